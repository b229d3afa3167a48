/*
 * An application (or CUDA 12 runtime) that finds entry points through cuGetProcAddress,
 * including looking up cuGetProcAddress through itself. Env as for t_link.
 */
#include <dlfcn.h>

#include "stub_cuda.h"
#include "tcheck.h"

#define MiB (1024ull * 1024ull)
#define PTSZ TESSERA_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM

static void *h;

static void *get2(cuGetProcAddress_v2_fn gpa, const char *name, int version, cuuint64_t flags) {
    void *p = NULL;
    CUdriverProcAddressQueryResult status = -1;
    CUresult rc = gpa(name, &p, version, flags, &status);
    CHECK(rc == CUDA_SUCCESS && status == 0 && p != NULL, "cuGetProcAddress_v2(%s, %d): rc %d status %d",
          name, version, rc, status);
    return p;
}

static void test_pointers(cuGetProcAddress_v2_fn gpa) {
    /* cuGetProcAddress itself comes back wrapped, in the ABI the version asks for. */
    void *self2 = get2(gpa, "cuGetProcAddress", 12000, 0);
    CHECK(self2 == dlsym(h, "cuGetProcAddress_v2"), "cuGetProcAddress@12000 is our _v2");
    CHECK(self2 != tstub_real_addr("cuGetProcAddress_v2"), "... not the driver's");
    void *self1 = get2(gpa, "cuGetProcAddress", 11030, 0);
    CHECK(self1 == dlsym(h, "cuGetProcAddress"), "cuGetProcAddress@11030 is our v1");
    CHECK(self1 != tstub_real_addr("cuGetProcAddress"), "... not the driver's");

    void *alloc = get2(gpa, "cuMemAlloc", 12000, 0);
    CHECK(alloc == dlsym(h, "cuMemAlloc_v2") && alloc != tstub_real_addr("cuMemAlloc_v2"),
          "cuMemAlloc wrapped");
    void *legacy = get2(gpa, "cuMemAlloc", 3000, 0);
    CHECK(legacy == dlsym(h, "cuMemAlloc") && legacy != tstub_real_addr("cuMemAlloc"),
          "the pre-3.2 ABI is wrapped too");
    static const char *const legacy_names[] = {"cuMemAllocPitch", "cuMemFree", "cuMemGetInfo",
                                               "cuDeviceTotalMem", "cuArrayCreate",
                                               "cuArray3DCreate"};
    for (size_t i = 0; i < sizeof legacy_names / sizeof legacy_names[0]; i++) {
        void *p = get2(gpa, legacy_names[i], 3000, 0);
        CHECK(p == dlsym(h, legacy_names[i]) && p != tstub_real_addr(legacy_names[i]),
              "%s@3000 is our legacy wrapper", legacy_names[i]);
    }
    /* Everything else that sets device memory aside, and the synchronisations. */
    static const char *const more[] = {"cuMemMap", "cuMemUnmap", "cuMemPoolCreate",
                                       "cuMemPoolDestroy", "cuMemPoolTrimTo",
                                       "cuMemPoolSetAttribute", "cuDeviceSetMemPool",
                                       "cuCtxSynchronize", "cuEventSynchronize", "cuCtxSetLimit",
                                       "cuGraphAddMemAllocNode", "cuDeviceGraphMemTrim"};
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        void *p = get2(gpa, more[i], 12000, 0);
        CHECK(p == dlsym(h, more[i]) && p != tstub_real_addr(more[i]), "%s wrapped", more[i]);
    }
    CHECK(get2(gpa, "cuStreamSynchronize", 12000, PTSZ) == dlsym(h, "cuStreamSynchronize_ptsz"),
          "per-thread-stream synchronisation wrapped");
    CHECK(get2(gpa, "cuGraphLaunch", 12000, PTSZ) == dlsym(h, "cuGraphLaunch_ptsz"),
          "per-thread-stream graph launch wrapped");
    CHECK(get2(gpa, "cuGraphInstantiate", 12000, 0) == dlsym(h, "cuGraphInstantiateWithFlags"),
          "cuGraphInstantiate@12000 is our cuGraphInstantiateWithFlags");
    CHECK(get2(gpa, "cuGraphInstantiate", 11080, 0) == dlsym(h, "cuGraphInstantiate_v2"),
          "cuGraphInstantiate@11080 is our _v2");
    /* A pointer the table does not expect, for a function we wrap, is still caught. */
    CHECK(get2(gpa, "cuMemPoolGetAttribute", 12000, 0) == tstub_real_addr("cuMemPoolGetAttribute"),
          "a query we only call stays the driver's");
    void *async = get2(gpa, "cuMemAllocAsync", 12000, 0);
    void *async_ptsz = get2(gpa, "cuMemAllocAsync", 12000, PTSZ);
    CHECK(async == dlsym(h, "cuMemAllocAsync"), "legacy-stream async wrapped");
    CHECK(async_ptsz == dlsym(h, "cuMemAllocAsync_ptsz") && async_ptsz != async &&
              async_ptsz != tstub_real_addr("cuMemAllocAsync_ptsz"),
          "per-thread-stream async wrapped separately");
    /* Copies and memsets (gated for swap): the _v2 ABI, their per-thread-stream forms (_ptds
     * for synchronous ones, _ptsz for asynchronous ones), 13.0's batch _v2; a version before
     * the _v2 ABI is left to the driver, which has no such entry point in the stub. */
    static const char *const copies[][3] = {
        {"cuMemcpyHtoD", "cuMemcpyHtoD_v2", "cuMemcpyHtoD_v2_ptds"},
        {"cuMemcpyDtoH", "cuMemcpyDtoH_v2", "cuMemcpyDtoH_v2_ptds"},
        {"cuMemcpyAsync", "cuMemcpyAsync", "cuMemcpyAsync_ptsz"},
        {"cuMemsetD32Async", "cuMemsetD32Async", "cuMemsetD32Async_ptsz"},
        {"cuMemcpyBatchAsync", "cuMemcpyBatchAsync_v2", "cuMemcpyBatchAsync_v2_ptsz"}};
    for (size_t i = 0; i < sizeof copies / sizeof copies[0]; i++) {
        void *p = get2(gpa, copies[i][0], 13000, 0), *q = get2(gpa, copies[i][0], 13000, PTSZ);
        CHECK(p == dlsym(h, copies[i][1]) && p != tstub_real_addr(copies[i][1]), "%s wrapped",
              copies[i][1]);
        CHECK(q == dlsym(h, copies[i][2]) && q != tstub_real_addr(copies[i][2]), "%s wrapped",
              copies[i][2]);
    }
    CHECK(get2(gpa, "cuMemcpyBatchAsync", 12080, 0) == dlsym(h, "cuMemcpyBatchAsync"),
          "cuMemcpyBatchAsync@12080 is our 12.8 form (with failIdx)");
    void *old_copy = (void *)1;
    CUdriverProcAddressQueryResult old_status = 0;
    CHECK(gpa("cuMemcpyHtoD", &old_copy, 3000, 0, &old_status) != CUDA_SUCCESS &&
              old_copy == NULL,
          "cuMemcpyHtoD@3000: the driver's answer (no _v2 wrapper for a 32-bit ABI)");
    CHECK(get2(gpa, "cuCtxSynchronize", 13000, 0) == dlsym(h, "cuCtxSynchronize_v2"),
          "cuCtxSynchronize@13000 is our _v2, which takes the context");
    CHECK(get2(gpa, "cuCtxGetDevice", 12000, 0) == tstub_real_addr("cuCtxGetDevice"),
          "names we do not intercept are the driver's");
    void *none = (void *)1;
    CUdriverProcAddressQueryResult status = 0;
    CHECK(gpa("cuNoSuchEntryPoint", &none, 12000, 0, &status) != CUDA_SUCCESS && status == 1,
          "unknown names still fail");
}

/* Everything through pointers obtained from the wrapped cuGetProcAddress. */
static void test_enforcement(cuGetProcAddress_v2_fn gpa, uint64_t L) {
    cuMemAlloc_v2_fn alloc = (cuMemAlloc_v2_fn)get2(gpa, "cuMemAlloc", 12000, 0);
    cuMemFree_v2_fn release = (cuMemFree_v2_fn)get2(gpa, "cuMemFree", 12000, 0);
    cuMemGetInfo_v2_fn info = (cuMemGetInfo_v2_fn)get2(gpa, "cuMemGetInfo", 12000, 0);
    cuDeviceTotalMem_v2_fn total_mem = (cuDeviceTotalMem_v2_fn)get2(gpa, "cuDeviceTotalMem", 12000, 0);
    cuMemAllocAsync_fn async = (cuMemAllocAsync_fn)get2(gpa, "cuMemAllocAsync", 12000, PTSZ);
    cuMemAllocFromPoolAsync_fn pool =
        (cuMemAllocFromPoolAsync_fn)get2(gpa, "cuMemAllocFromPoolAsync", 12000, PTSZ);
    cuCtxSynchronize_fn sync = (cuCtxSynchronize_fn)get2(gpa, "cuCtxSynchronize", 12000, 0);
    CUmemoryPool mp = NULL;
    cuDeviceGetDefaultMemPool(&mp, 0);
    cuMemFreeAsync_fn free_async = (cuMemFreeAsync_fn)get2(gpa, "cuMemFreeAsync", 12000, PTSZ);
    if (g_failures) return;

    size_t f = 0, t = 0, bytes = 0;
    CHECK_RC(total_mem(&bytes, 0), CUDA_SUCCESS);
    CHECK_EQ_U64(bytes, L, "cuDeviceTotalMem is the limit");
    CUdeviceptr a = 0, b = 0, c = 0, d = 0;
    CHECK_RC(alloc(&a, L - 2 * MiB), CUDA_SUCCESS);
    CHECK_RC(async(&b, MiB, NULL), CUDA_SUCCESS); /* the pool takes 2 MiB */
    CHECK_RC(pool(&c, MiB, mp, NULL), CUDA_SUCCESS); /* and serves this from them */
    CHECK_RC(alloc(&d, 1), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_RC(pool(&d, 1, mp, NULL), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_RC(info(&f, &t), CUDA_SUCCESS);
    CHECK(f == 0 && t == L, "at the limit: free %zu total %zu", f, t);
    CHECK_RC(free_async(c, NULL), CUDA_SUCCESS);
    CHECK_RC(free_async(b, NULL), CUDA_SUCCESS);
    CHECK_RC(release(a), CUDA_SUCCESS);
    CHECK_RC(sync(), CUDA_SUCCESS);
    CHECK_RC(info(&f, &t), CUDA_SUCCESS);
    CHECK_EQ_U64(f, L, "all free again");
    CHECK_EQ_U64(tstub_used(0), 0, "driver clean");
}

int main(void) {
    uint64_t L = limit0();
    h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
    CHECK(h != NULL, "libcuda.so.1 is loaded");
    if (h == NULL) return finish("t_procaddr");
    cuGetProcAddress_v2_fn gpa = (cuGetProcAddress_v2_fn)dlsym(h, "cuGetProcAddress_v2");
    CHECK(gpa != NULL && (void *)gpa != tstub_real_addr("cuGetProcAddress_v2"), "dlsym gives our _v2");
    if (gpa == NULL) return finish("t_procaddr");
    test_pointers(gpa);
    /* The pointer cuGetProcAddress returns for itself is just as good. */
    cuGetProcAddress_v2_fn again = (cuGetProcAddress_v2_fn)get2(gpa, "cuGetProcAddress", 12000, 0);
    if (again != NULL) test_enforcement(again, L);
    /* And the 4-argument cuGetProcAddress (CUDA 11.3-11.8 runtimes). */
    cuGetProcAddress_fn gpa1 = (cuGetProcAddress_fn)get2(gpa, "cuGetProcAddress", 11080, 0);
    void *alloc = NULL;
    if (gpa1 != NULL) {
        CHECK_RC(gpa1("cuMemAlloc", &alloc, 11080, 0), CUDA_SUCCESS);
        CHECK(alloc == dlsym(h, "cuMemAlloc_v2"), "v1 lookup wraps too");
    }
    return finish("t_procaddr");
}
