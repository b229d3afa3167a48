/*
 * NVML's memory queries through the library, reached the two ways tools reach NVML: linked
 * against libnvidia-ml.so.1 (t_nvml) and dlopen + dlsym, as nvidia-smi and pynvml do
 * (t_nvml_dlsym: this file built with -DTNVML_DLSYM). Modes, run by run_tests.sh:
 *   limited    NVIDIA_VISIBLE_DEVICES names stub GPUs A,B,C (the stub lists them in an order
 *              of its own, plus one the container does not see); A's limit is below its
 *              physical size, B's above, C has none (TESSERA_GPU_MEMORY_LIMITS has 2 entries)
 *   untouched  limits enforced, but no NVML device maps to one: every answer passes through
 *   off        limits not enforced (disabled, bad configuration): answers and, looked up with
 *              dlsym, entry points pass through
 * No usage file appears until the process itself uses CUDA, in every mode.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cuda_api.h"
#include "stub_nvml.h"
#include "tcheck.h"

#define MiB (1024ull * 1024ull)
#define HELD (16 * MiB) /* what another process of the container holds on A */
#define OWN (8 * MiB)   /* what this process allocates on A once it uses CUDA itself */

typedef struct nvml {
    void *lib; /* TNVML_DLSYM: the dlopen handle */
    nvmlInit_v2_fn init;
    nvmlShutdown_fn shutdown;
    nvmlDeviceGetCount_v2_fn count;
    nvmlDeviceGetHandleByIndex_v2_fn handle;
    nvmlDeviceGetUUID_fn uuid;
    nvmlDeviceGetMemoryInfo_fn mem;       /* as the application finds it: ours when enforcing */
    nvmlDeviceGetMemoryInfo_v2_fn mem_v2;
    nvmlDeviceGetMemoryInfo_fn real_mem;  /* the stub's own, behind the library's back */
    nvmlDeviceGetMemoryInfo_v2_fn real_mem_v2;
    tstub_nvml_set_used_fn set_used;
} nvml;

#ifdef TNVML_DLSYM
static void *must(void *handle, const char *name) {
    void *p = dlsym(handle, name);
    CHECK(p != NULL, "dlsym(%s)", name);
    return p;
}
#endif

static int load(nvml *n) {
    tstub_nvml_real_addr_fn real_addr;
#ifdef TNVML_DLSYM
    n->lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    CHECK(n->lib != NULL, "dlopen: %s", dlerror());
    if (n->lib == NULL) return -1;
    n->init = (nvmlInit_v2_fn)must(n->lib, "nvmlInit_v2");
    n->shutdown = (nvmlShutdown_fn)must(n->lib, "nvmlShutdown");
    n->count = (nvmlDeviceGetCount_v2_fn)must(n->lib, "nvmlDeviceGetCount_v2");
    n->handle = (nvmlDeviceGetHandleByIndex_v2_fn)must(n->lib, "nvmlDeviceGetHandleByIndex_v2");
    n->uuid = (nvmlDeviceGetUUID_fn)must(n->lib, "nvmlDeviceGetUUID");
    n->mem = (nvmlDeviceGetMemoryInfo_fn)must(n->lib, "nvmlDeviceGetMemoryInfo");
    n->mem_v2 = (nvmlDeviceGetMemoryInfo_v2_fn)must(n->lib, "nvmlDeviceGetMemoryInfo_v2");
    n->set_used = (tstub_nvml_set_used_fn)must(n->lib, "tstub_nvml_set_used");
    real_addr = (tstub_nvml_real_addr_fn)must(n->lib, "tstub_nvml_real_addr");
    if (g_failures) return -1;
#else
    n->init = nvmlInit_v2;
    n->shutdown = nvmlShutdown;
    n->count = nvmlDeviceGetCount_v2;
    n->handle = nvmlDeviceGetHandleByIndex_v2;
    n->uuid = nvmlDeviceGetUUID;
    n->mem = nvmlDeviceGetMemoryInfo; /* binds to the library's export: preloaded first */
    n->mem_v2 = nvmlDeviceGetMemoryInfo_v2;
    n->set_used = tstub_nvml_set_used;
    real_addr = tstub_nvml_real_addr;
#endif
    n->real_mem = (nvmlDeviceGetMemoryInfo_fn)real_addr("nvmlDeviceGetMemoryInfo");
    n->real_mem_v2 = (nvmlDeviceGetMemoryInfo_v2_fn)real_addr("nvmlDeviceGetMemoryInfo_v2");
    return 0;
}

/* Entry `i` of NVIDIA_VISIBLE_DEVICES, or 0 when there is none. */
static int visible(unsigned i, char *out, size_t size) {
    const char *p = getenv("NVIDIA_VISIBLE_DEVICES");
    for (; p != NULL && i > 0; i--) {
        p = strchr(p, ',');
        if (p != NULL) p++;
    }
    if (p == NULL || *p == '\0') return 0;
    snprintf(out, size, "%.*s", (int)strcspn(p, ","), p);
    return 1;
}

/* The stub device whose UUID is `uuid` (any case, as the library matches), or -1. */
static int index_of(const nvml *n, const char *uuid) {
    unsigned count = 0;
    char name[TESSERA_NVML_UUID_BUFFER_SIZE];
    nvmlDevice_t d;
    CHECK_RC(n->count(&count), NVML_SUCCESS);
    for (unsigned i = 0; i < count; i++) {
        if (n->handle(i, &d) == NVML_SUCCESS && n->uuid(d, name, sizeof name) == NVML_SUCCESS &&
            strcasecmp(name, uuid) == 0)
            return (int)i;
    }
    return -1;
}

static nvmlDevice_t handle_at(const nvml *n, int index) {
    nvmlDevice_t d = NULL;
    CHECK_RC(n->handle((unsigned)index, &d), NVML_SUCCESS);
    return d;
}

/* ---- what a device reports ---------------------------------------------------------------- */

static void expect_v1(const nvml *n, nvmlDevice_t d, uint64_t total, uint64_t used,
                      uint64_t free, const char *what) {
    nvmlMemory_t m;
    memset(&m, 0xa5, sizeof m);
    CHECK_RC(n->mem(d, &m), NVML_SUCCESS);
    CHECK(m.total == total && m.used == used && m.free == free,
          "%s (v1): total %llu used %llu free %llu, want %llu %llu %llu", what, m.total, m.used,
          m.free, (unsigned long long)total, (unsigned long long)used, (unsigned long long)free);
}

static void expect_v2(const nvml *n, nvmlDevice_t d, uint64_t total, uint64_t used,
                      uint64_t free, const char *what) {
    nvmlMemory_v2_t m;
    memset(&m, 0xa5, sizeof m);
    m.version = TESSERA_NVML_MEMORY_V2;
    CHECK_RC(n->mem_v2(d, &m), NVML_SUCCESS);
    CHECK(m.version == TESSERA_NVML_MEMORY_V2, "%s (v2): version kept", what);
    CHECK(m.total == total && m.used == used && m.free == free && m.reserved == 0,
          "%s (v2): total %llu used %llu free %llu reserved %llu, want %llu %llu %llu 0", what,
          m.total, m.used, m.free, m.reserved, (unsigned long long)total,
          (unsigned long long)used, (unsigned long long)free);
}

/* Both calls give exactly the stub's own answer, byte for byte. */
static void expect_untouched(const nvml *n, nvmlDevice_t d, const char *what) {
    nvmlMemory_t got, want;
    memset(&got, 0xa5, sizeof got);
    memset(&want, 0xa5, sizeof want);
    CHECK_RC(n->mem(d, &got), NVML_SUCCESS);
    CHECK_RC(n->real_mem(d, &want), NVML_SUCCESS);
    CHECK(memcmp(&got, &want, sizeof got) == 0, "%s (v1): total %llu used %llu free %llu, "
          "want NVML's %llu %llu %llu", what, got.total, got.used, got.free, want.total,
          want.used, want.free);
    nvmlMemory_v2_t got2, want2;
    memset(&got2, 0xa5, sizeof got2);
    memset(&want2, 0xa5, sizeof want2);
    got2.version = want2.version = TESSERA_NVML_MEMORY_V2;
    CHECK_RC(n->mem_v2(d, &got2), NVML_SUCCESS);
    CHECK_RC(n->real_mem_v2(d, &want2), NVML_SUCCESS);
    CHECK(memcmp(&got2, &want2, sizeof got2) == 0, "%s (v2): total %llu used %llu free %llu "
          "reserved %llu, want NVML's %llu %llu %llu %llu", what, got2.total, got2.used,
          got2.free, got2.reserved, want2.total, want2.used, want2.free, want2.reserved);
}

static nvmlMemory_v2_t real_v2(const nvml *n, nvmlDevice_t d) {
    nvmlMemory_v2_t m = {.version = TESSERA_NVML_MEMORY_V2};
    CHECK_RC(n->real_mem_v2(d, &m), NVML_SUCCESS);
    return m;
}

/* ---- the container around this process ---------------------------------------------------- */

static void expect_no_usage_file(int ordinal, const char *when) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/gpu-%d.usage", getenv("TESSERA_USAGE_DIR"), ordinal);
    CHECK(access(path, F_OK) != 0 && errno == ENOENT, "%s exists %s", path, when);
}

/* Another CUDA process of the container (same environment): t_loan, from this program's
 * directory, holding `bytes` on device 0 until killed. Its pid once it holds them, else -1. */
static pid_t start_holder(uint64_t bytes) {
    char self[PATH_MAX], exe[PATH_MAX + 16], arg[32], line[64] = "";
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    int up[2];
    if (len <= 0 || pipe2(up, O_CLOEXEC) != 0) return -1;
    self[len] = '\0';
    *strrchr(self, '/') = '\0';
    snprintf(exe, sizeof exe, "%s/t_loan", self);
    snprintf(arg, sizeof arg, "%llu", (unsigned long long)bytes);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(up[1], STDOUT_FILENO);
        execl(exe, "t_loan", "hold", arg, (char *)NULL);
        _exit(127);
    }
    close(up[1]);
    size_t got = 0;
    ssize_t r;
    while (got < sizeof line - 1 && (r = read(up[0], line + got, sizeof line - 1 - got)) != 0) {
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) break;
        got += (size_t)r;
        if (memchr(line, '\n', got) != NULL) break;
    }
    close(up[0]);
    line[got] = '\0';
    CHECK(strncmp(line, "held ", 5) == 0, "holder said \"%s\"", line);
    return strncmp(line, "held ", 5) == 0 ? pid : -1;
}

/* This process uses CUDA too (through the library, as any application would): from now on the
 * library's own mapping of the usage file answers. */
static void allocate_here(uint64_t bytes) {
    void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    CHECK(h != NULL, "dlopen libcuda: %s", dlerror());
    if (h == NULL) return;
    cuMemAlloc_v2_fn alloc = (cuMemAlloc_v2_fn)dlsym(h, "cuMemAlloc_v2");
    CUdeviceptr p = 0;
    CHECK(alloc != NULL, "dlsym(cuMemAlloc_v2)");
    if (alloc != NULL) CHECK_RC(alloc(&p, bytes), CUDA_SUCCESS); /* kept until exit */
}

/* ---- modes -------------------------------------------------------------------------------- */

static void limited(nvml *n) {
    uint64_t limit_a = limit0();
    const char *comma = strchr(getenv("TESSERA_GPU_MEMORY_LIMITS"), ',');
    uint64_t limit_b = comma ? strtoull(comma + 1, NULL, 10) : 0;
    nvmlMemory_t m;

    /* NVML's own failures come back untouched. */
    memset(&m, 0xa5, sizeof m);
    CHECK_RC(n->mem(NULL, &m), NVML_ERROR_UNINITIALIZED);
    CHECK(m.total == 0xa5a5a5a5a5a5a5a5ull, "struct untouched on failure");
    CHECK_RC(n->init(), NVML_SUCCESS);

    char uuid[TESSERA_NVML_UUID_BUFFER_SIZE];
    int ia = visible(0, uuid, sizeof uuid) ? index_of(n, uuid) : -1;
    int ib = visible(1, uuid, sizeof uuid) ? index_of(n, uuid) : -1;
    int ic = visible(2, uuid, sizeof uuid) ? index_of(n, uuid) : -1;
    int hidden = -1;
    unsigned count = 0;
    CHECK_RC(n->count(&count), NVML_SUCCESS);
    for (int i = 0; i < (int)count; i++) {
        if (i != ia && i != ib && i != ic) hidden = i;
    }
    CHECK(ia >= 0 && ib >= 0 && ic >= 0 && hidden >= 0, "devices A %d B %d C %d hidden %d", ia,
          ib, ic, hidden);
    CHECK(ia != 0, "A is not NVML's first device (the mapping is by UUID, not by index)");
    if (g_failures) return;
    nvmlDevice_t a = handle_at(n, ia), b = handle_at(n, ib), c = handle_at(n, ic);
    nvmlDevice_t x = handle_at(n, hidden);
    nvmlMemory_v2_t phys_a = real_v2(n, a), phys_b = real_v2(n, b);
    CHECK(limit_a < phys_a.total && limit_b > phys_b.total,
          "scenario: A %llu < %llu, B %llu > %llu", (unsigned long long)limit_a, phys_a.total, (unsigned long long)limit_b, phys_b.total);

    CHECK_RC(n->mem(a, NULL), NVML_ERROR_INVALID_ARGUMENT);
    nvmlMemory_v2_t m2;
    memset(&m2, 0xa5, sizeof m2);
    m2.version = (unsigned int)(sizeof(nvmlMemory_v2_t) | (1u << 24)); /* a version NVML refuses */
    CHECK_RC(n->mem_v2(a, &m2), NVML_ERROR_ARGUMENT_VERSION_MISMATCH);
    CHECK(m2.total == 0xa5a5a5a5a5a5a5a5ull && m2.reserved == 0xa5a5a5a5a5a5a5a5ull,
          "struct untouched on a version mismatch");

    /* Nothing allocated in the container yet, and no usage file. */
    expect_v1(n, a, limit_a, 0, limit_a, "A, nothing used");
    expect_v2(n, a, limit_a, 0, limit_a, "A, nothing used");
    expect_v1(n, b, phys_b.total, 0, phys_b.free, "B: physical total, NVML's free");
    expect_v2(n, b, phys_b.total, 0, phys_b.free, "B: physical total, NVML's free");
    expect_untouched(n, c, "C (no limit)");
    expect_untouched(n, x, "a device the container does not see");
    expect_no_usage_file(0, "after NVML queries");
    expect_no_usage_file(1, "after NVML queries");

    /* Another process of the container holds memory on A: the usage file says so. */
    pid_t holder = start_holder(HELD);
    if (holder < 0) return;
    expect_v1(n, a, limit_a, HELD, limit_a - HELD, "A, held by another process");
    expect_v2(n, a, limit_a, HELD, limit_a - HELD, "A, held by another process");
    /* Other tenants leave less free on the GPU than the limit would: NVML's figure wins. */
    uint64_t left = 40 * MiB;
    CHECK(left < limit_a - HELD, "scenario: %llu MiB left is below the container's free",
          (unsigned long long)(left / MiB));
    n->set_used((unsigned)ia, phys_a.total - phys_a.reserved - left);
    expect_v1(n, a, limit_a, HELD, left, "A, GPU nearly full");
    expect_v2(n, a, limit_a, HELD, left, "A, GPU nearly full");
    n->set_used((unsigned)ia, phys_a.used);
    expect_untouched(n, c, "C (no limit), with A in use");

    /* This process allocates too: its own mapping answers, with both processes' bytes. */
    allocate_here(OWN);
    expect_v1(n, a, limit_a, HELD + OWN, limit_a - HELD - OWN, "A, held here too");
    expect_v2(n, a, limit_a, HELD + OWN, limit_a - HELD - OWN, "A, held here too");

    kill(holder, SIGKILL);
    waitpid(holder, NULL, 0);
    CHECK_RC(n->shutdown(), NVML_SUCCESS);

#ifdef TNVML_DLSYM
    /* Wrapped only where the library has the name; everything else is NVML's own. */
    tstub_nvml_real_addr_fn real_addr =
        (tstub_nvml_real_addr_fn)dlsym(n->lib, "tstub_nvml_real_addr");
    CHECK((void *)n->mem != real_addr("nvmlDeviceGetMemoryInfo"), "GetMemoryInfo wrapped");
    CHECK((void *)n->mem_v2 != real_addr("nvmlDeviceGetMemoryInfo_v2"), "_v2 wrapped");
    CHECK((void *)n->uuid == real_addr("nvmlDeviceGetUUID"), "nvmlDeviceGetUUID untouched");
    CHECK((void *)n->init == real_addr("nvmlInit_v2"), "nvmlInit_v2 untouched");
    CHECK(dlsym(n->lib, "nvmlNoSuchCall") == NULL, "unknown nvml name stays NULL");
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    CHECK(libc != NULL && dlsym(libc, "nvmlDeviceGetMemoryInfo") == NULL,
          "a library without the symbol still answers NULL");
#endif
}

/* Every device's answers are NVML's own. */
static void untouched(nvml *n, int enforcing) {
    CHECK_RC(n->init(), NVML_SUCCESS);
    unsigned count = 0;
    CHECK_RC(n->count(&count), NVML_SUCCESS);
    CHECK(count > 0, "devices");
    for (unsigned i = 0; i < count; i++) expect_untouched(n, handle_at(n, (int)i), "device");
    nvmlMemory_v2_t m2 = {.version = 0};
    CHECK_RC(n->mem_v2(handle_at(n, 0), &m2), NVML_ERROR_ARGUMENT_VERSION_MISMATCH);
    expect_no_usage_file(0, "after NVML queries");
    CHECK_RC(n->shutdown(), NVML_SUCCESS);
#ifdef TNVML_DLSYM
    tstub_nvml_real_addr_fn real_addr =
        (tstub_nvml_real_addr_fn)dlsym(n->lib, "tstub_nvml_real_addr");
    if (!enforcing)
        CHECK((void *)n->mem == real_addr("nvmlDeviceGetMemoryInfo") &&
              (void *)n->mem_v2 == real_addr("nvmlDeviceGetMemoryInfo_v2"),
              "dlsym gives NVML's own entry points");
#else
    (void)enforcing;
#endif
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    nvml n = {0};
    if (load(&n) != 0) return finish("t_nvml");
    if (strcmp(mode, "limited") == 0) limited(&n);
    else if (strcmp(mode, "untouched") == 0) untouched(&n, 1);
    else if (strcmp(mode, "off") == 0) untouched(&n, 0);
    else CHECK(0, "unknown mode %s", mode);
    return finish("t_nvml");
}
