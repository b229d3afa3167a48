/*
 * How the real functions are found.
 *
 * Our cu* wrappers are exported under the driver's names from a library that LD_PRELOAD puts
 * first in the global lookup scope, so an application linked against libcuda binds to them.
 * To reach the real ones we dlopen("libcuda.so.1") - which returns the copy already loaded,
 * matched by soname - and look each name up in *that handle*: a handle lookup searches
 * libcuda and its dependencies only, never the preloaded library, so it cannot find our own
 * wrapper. RTLD_NEXT would be the alternative, but it only sees objects in the global scope
 * after us and misses a libcuda that the application (or libcudart) dlopen()ed RTLD_LOCAL.
 *
 * Because we also export dlsym (hooks_lookup.c) - applications that dlopen libcuda and
 * dlsym its entry points must get our wrappers too - every lookup we make ourselves goes
 * through glibc's dlsym obtained with dlvsym(RTLD_NEXT, "dlsym", <version>). dlvsym is not
 * hooked, so this cannot recurse, and it needs no private glibc symbol (__libc_dlsym).
 *
 * NVML (libnvidia-ml.so.1) is reached the same way, for the same reasons: applications link
 * it or dlopen it (nvidia-smi, pynvml through ctypes) and find our exports or our dlsym.
 */
#include "driver.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

#include "log.h"

static tessera_dlsym_fn g_real_dlsym;
static tessera_driver g_driver;
static pthread_once_t g_driver_once = PTHREAD_ONCE_INIT;
static tessera_nvml g_nvml;
static pthread_once_t g_nvml_once = PTHREAD_ONCE_INIT;

/* Used only if glibc's dlsym cannot be found (not glibc?): lookups then find nothing. */
static void *no_dlsym(void *handle, const char *name) {
    (void)handle;
    (void)name;
    return NULL;
}

/*
 * No pthread_once here: dlsym may be called while our own init runs (or from a constructor
 * of a library that init loads), and re-entering a pthread_once from the same thread would
 * deadlock. Two threads racing both store the same pointer, which is harmless.
 */
tessera_dlsym_fn tessera_real_dlsym(void) {
    tessera_dlsym_fn f = __atomic_load_n(&g_real_dlsym, __ATOMIC_ACQUIRE);
    if (f != NULL) return f;
    /* GLIBC_2.34: dlsym's home since libdl merged into libc; 2.2.5 (x86-64) and 2.17
     * (aarch64): the base versions older glibc export. */
    static const char *const versions[] = {"GLIBC_2.34", "GLIBC_2.2.5", "GLIBC_2.17"};
    for (size_t i = 0; f == NULL && i < sizeof versions / sizeof versions[0]; i++)
        f = (tessera_dlsym_fn)dlvsym(RTLD_NEXT, "dlsym", versions[i]);
    if (f == NULL) {
        tessera_log(TESSERA_LOG_ERROR, "cannot find glibc's dlsym; CUDA lookups will fail");
        f = no_dlsym;
    }
    __atomic_store_n(&g_real_dlsym, f, __ATOMIC_RELEASE);
    return f;
}

/* The library already loaded if it is (RTLD_NOLOAD), else loaded now; NULL, logged, if neither. */
static void *open_library(const char *soname) {
    void *h = dlopen(soname, RTLD_LAZY | RTLD_NOLOAD);
    if (h == NULL) h = dlopen(soname, RTLD_LAZY);
    if (h == NULL) tessera_log(TESSERA_LOG_ERROR, "cannot open %s: %s", soname, dlerror());
    return h;
}

static void resolve_driver(void) {
    void *h = open_library("libcuda.so.1");
    if (h == NULL) return;
    tessera_dlsym_fn real = tessera_real_dlsym();
#define TESSERA_RESOLVE(name, params) g_driver.name = (name##_fn)real(h, #name);
#define TESSERA_RESOLVE_GATED(name, params, args) TESSERA_RESOLVE(name, params)
    TESSERA_HOOKED_FUNCS(TESSERA_RESOLVE)
    TESSERA_GATED_FUNCS(TESSERA_RESOLVE_GATED)
    TESSERA_RESOLVED_FUNCS(TESSERA_RESOLVE)
#undef TESSERA_RESOLVE
#undef TESSERA_RESOLVE_GATED
}

const tessera_driver *tessera_driver_get(void) {
    pthread_once(&g_driver_once, resolve_driver);
    return &g_driver;
}

/* Only reached from an NVML call, so the library is normally loaded already (RTLD_NOLOAD
 * finds it); opening it ourselves covers an application that bound to our export without it. */
static void resolve_nvml(void) {
    void *h = open_library("libnvidia-ml.so.1");
    if (h == NULL) return;
    tessera_dlsym_fn real = tessera_real_dlsym();
#define TESSERA_RESOLVE(name, params) g_nvml.name = (name##_fn)real(h, #name);
    TESSERA_NVML_HOOKED_FUNCS(TESSERA_RESOLVE)
    TESSERA_NVML_RESOLVED_FUNCS(TESSERA_RESOLVE)
#undef TESSERA_RESOLVE
}

const tessera_nvml *tessera_nvml_get(void) {
    pthread_once(&g_nvml_once, resolve_nvml);
    return &g_nvml;
}
