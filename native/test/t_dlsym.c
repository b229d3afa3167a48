/*
 * An application that links no libcuda and finds it at run time, as libcudart does:
 * dlopen("libcuda.so.1") + dlsym. Env as for t_link.
 */
#include <dlfcn.h>
#include <string.h>

#include "stub_cuda.h"
#include "tcheck.h"

#define MiB (1024ull * 1024ull)

static void *must(void *handle, const char *name) {
    void *p = dlsym(handle, name);
    CHECK(p != NULL, "dlsym(%s)", name);
    return p;
}

int main(void) {
    uint64_t L = limit0();
    void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    CHECK(h != NULL, "dlopen: %s", dlerror());
    if (h == NULL) return finish("t_dlsym");

    tstub_real_addr_fn real_addr = (tstub_real_addr_fn)must(h, "tstub_real_addr");
    cuMemAlloc_v2_fn alloc = (cuMemAlloc_v2_fn)must(h, "cuMemAlloc_v2");
    cuMemFree_v2_fn release = (cuMemFree_v2_fn)must(h, "cuMemFree_v2");
    cuMemGetInfo_v2_fn info = (cuMemGetInfo_v2_fn)must(h, "cuMemGetInfo_v2");
    cuMemAllocAsync_fn alloc_async = (cuMemAllocAsync_fn)must(h, "cuMemAllocAsync");
    cuMemFreeAsync_fn free_async = (cuMemFreeAsync_fn)must(h, "cuMemFreeAsync");
    cuCtxSynchronize_fn sync = (cuCtxSynchronize_fn)must(h, "cuCtxSynchronize");
    if (g_failures) return finish("t_dlsym");

    /* Intercepted names give our wrappers; everything else is the driver's own. */
    CHECK(alloc != real_addr("cuMemAlloc_v2"), "cuMemAlloc_v2 is wrapped");
    CHECK(info != real_addr("cuMemGetInfo_v2"), "cuMemGetInfo_v2 is wrapped");
    CHECK(dlsym(h, "cuCtxGetDevice") == real_addr("cuCtxGetDevice"), "cuCtxGetDevice untouched");
    CHECK(dlsym(h, "cuMemAlloc") != real_addr("cuMemAlloc") && dlsym(h, "cuMemAlloc") != NULL,
          "legacy cuMemAlloc is wrapped too");
    CHECK(dlsym(h, "cuNoSuchEntryPoint") == NULL, "unknown cu name stays NULL");
    void *self = dlopen(NULL, RTLD_NOW);
    CHECK(dlsym(self, "strlen") == (void *)strlen, "non-CUDA lookups unaffected");
    /* RTLD_NEXT resolves relative to the caller (us), so the next "dlsym" after the program
     * is the preloaded library's: proves our dlsym forwards without becoming the caller. */
    CHECK(dlsym(RTLD_NEXT, "dlsym") == (void *)dlsym, "RTLD_NEXT keeps the caller's view");

    size_t f = 0, t = 0;
    CHECK_RC(info(&f, &t), CUDA_SUCCESS);
    CHECK_EQ_U64(t, L, "total is the limit");
    CUdeviceptr a = 0, b = 0, c = 0;
    /* The pool grows by 2 MiB for 1 MiB: that is what it takes from the GPU, and is charged. */
    CHECK_RC(alloc(&a, L - 2 * MiB), CUDA_SUCCESS);
    CHECK_RC(alloc_async(&b, MiB, NULL), CUDA_SUCCESS);
    CHECK_RC(alloc(&c, 1), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_RC(info(&f, &t), CUDA_SUCCESS);
    CHECK_EQ_U64(f, 0, "free at the limit");
    CHECK_RC(free_async(b, NULL), CUDA_SUCCESS);
    CHECK_RC(info(&f, &t), CUDA_SUCCESS);
    CHECK_EQ_U64(f, 0, "nothing back when the free is only enqueued");
    CHECK_RC(sync(), CUDA_SUCCESS);
    CHECK_RC(info(&f, &t), CUDA_SUCCESS);
    CHECK_EQ_U64(f, 2 * MiB, "back once the stream reached the free and the pool let go");
    CHECK_RC(release(a), CUDA_SUCCESS);
    CHECK_RC(info(&f, &t), CUDA_SUCCESS);
    CHECK_EQ_U64(f, L, "all free again");
    return finish("t_dlsym");
}
