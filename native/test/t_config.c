/*
 * Configuration edge cases, run by run_tests.sh under different environments:
 *   t_config passthrough  - limits must not apply and the driver's pointers are returned
 *                           untouched (bad or missing configuration, TESSERA_DISABLE=1)
 *   t_config enforce      - a limit of TESSERA_GPU_MEMORY_LIMITS's first entry applies
 *                           (e.g. with an unusable usage directory: process-private fallback)
 * The runner counts the lines the library wrote to stderr.
 */
#include <dlfcn.h>
#include <string.h>

#include "stub_cuda.h"
#include "tcheck.h"

#define MiB (1024ull * 1024ull)

static void passthrough(void) {
    uint64_t physical = env_u64_or("TSTUB_TOTAL_BYTES", 0);
    void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
    CHECK(h != NULL, "libcuda loaded");
    if (h == NULL) return;
    CHECK(dlsym(h, "cuMemAlloc_v2") == tstub_real_addr("cuMemAlloc_v2"), "dlsym untouched");
    CHECK(dlsym(h, "cuGetProcAddress_v2") == tstub_real_addr("cuGetProcAddress_v2"), "dlsym untouched");
    void *p = NULL;
    CUdriverProcAddressQueryResult st;
    CHECK_RC(cuGetProcAddress_v2("cuMemAlloc", &p, 12000, 0, &st), CUDA_SUCCESS);
    CHECK(p == tstub_real_addr("cuMemAlloc_v2"), "cuGetProcAddress untouched");
    CHECK_RC(cuGetProcAddress_v2("cuGetProcAddress", &p, 12000, 0, &st), CUDA_SUCCESS);
    CHECK(p == tstub_real_addr("cuGetProcAddress_v2"), "cuGetProcAddress untouched for itself");

    size_t f = 0, t = 0, bytes = 0;
    CHECK_RC(cuMemGetInfo_v2(&f, &t), CUDA_SUCCESS);
    CHECK_EQ_U64(t, physical, "total is the driver's");
    CHECK_RC(cuDeviceTotalMem_v2(&bytes, 0), CUDA_SUCCESS);
    CHECK_EQ_U64(bytes, physical, "device total is the driver's");
    CUdeviceptr a = 0, b = 0;
    CHECK_RC(cuMemAlloc_v2(&a, 64 * MiB), CUDA_SUCCESS);
    CHECK_RC(cuMemAllocAsync(&b, 64 * MiB, NULL), CUDA_SUCCESS);
    CHECK_RC(cuMemGetInfo_v2(&f, &t), CUDA_SUCCESS);
    CHECK_EQ_U64(f, physical - 128 * MiB, "free is the driver's");
    CHECK_RC(cuMemFree_v2(a), CUDA_SUCCESS);
    CHECK_RC(cuMemFreeAsync(b, NULL), CUDA_SUCCESS);
}

static void enforce(void) {
    uint64_t L = limit0();
    CUdeviceptr a = 0, b = 0;
    CHECK_RC(cuMemAlloc_v2(&a, L), CUDA_SUCCESS);
    CHECK_RC(cuMemAlloc_v2(&b, 1), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_RC(cuMemFree_v2(a), CUDA_SUCCESS);
    size_t f = 0, t = 0;
    CHECK_RC(cuMemGetInfo_v2(&f, &t), CUDA_SUCCESS);
    CHECK(f == L && t == L, "free %zu total %zu", f, t);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    CHECK_RC(cuInit(0), CUDA_SUCCESS);
    if (strcmp(mode, "passthrough") == 0) passthrough();
    else if (strcmp(mode, "enforce") == 0) enforce();
    else CHECK(0, "unknown mode %s", mode);
    return finish("t_config");
}
