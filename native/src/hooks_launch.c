/* Kernel launches, paced against the container's compute share (pacing.c). Without a share
 * below 100 on the current device a launch costs one configuration check more than the
 * driver's own, and one load for the swap gate (swap.h: swapped-out memory comes back first). */
#include "hooks.h"

#include "driver.h"
#include "pacing.h"
#include "swap.h"

#define REAL(name) (tessera_driver_get()->name)
#define MISSING CUDA_ERROR_NOT_SUPPORTED

#define LAUNCH(real, f, stream, ptsz, call)                          \
    do {                                                             \
        if ((real) == NULL) return MISSING;                          \
        int token;                                                   \
        CUresult rc = tessera_swap_enter(&token);                    \
        if (rc != CUDA_SUCCESS) return rc;                           \
        tessera_launch l;                                            \
        int paced = tessera_pace_begin(&l, (uint64_t)(uintptr_t)(f), (stream), (ptsz)); \
        rc = call;                                                   \
        if (paced) tessera_pace_end(&l, rc);                         \
        tessera_swap_leave(token);                                   \
        return rc;                                                   \
    } while (0)

CUresult cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY,
                        unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY,
                        unsigned int blockDimZ, unsigned int sharedMemBytes, CUstream hStream,
                        void **kernelParams, void **extra) {
    cuLaunchKernel_fn real = REAL(cuLaunchKernel);
    LAUNCH(real, f, hStream, 0,
           real(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes,
                hStream, kernelParams, extra));
}

CUresult cuLaunchKernel_ptsz(CUfunction f, unsigned int gridDimX, unsigned int gridDimY,
                             unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY,
                             unsigned int blockDimZ, unsigned int sharedMemBytes, CUstream hStream,
                             void **kernelParams, void **extra) {
    cuLaunchKernel_ptsz_fn real = REAL(cuLaunchKernel_ptsz);
    LAUNCH(real, f, hStream, 1,
           real(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes,
                hStream, kernelParams, extra));
}

CUresult cuLaunchKernelEx(const CUlaunchConfig *config, CUfunction f, void **kernelParams,
                          void **extra) {
    cuLaunchKernelEx_fn real = REAL(cuLaunchKernelEx);
    LAUNCH(real, f, config != NULL ? config->hStream : NULL, 0,
           real(config, f, kernelParams, extra));
}

CUresult cuLaunchKernelEx_ptsz(const CUlaunchConfig *config, CUfunction f, void **kernelParams,
                               void **extra) {
    cuLaunchKernelEx_ptsz_fn real = REAL(cuLaunchKernelEx_ptsz);
    LAUNCH(real, f, config != NULL ? config->hStream : NULL, 1,
           real(config, f, kernelParams, extra));
}

CUresult cuLaunchCooperativeKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY,
                                   unsigned int gridDimZ, unsigned int blockDimX,
                                   unsigned int blockDimY, unsigned int blockDimZ,
                                   unsigned int sharedMemBytes, CUstream hStream,
                                   void **kernelParams) {
    cuLaunchCooperativeKernel_fn real = REAL(cuLaunchCooperativeKernel);
    LAUNCH(real, f, hStream, 0,
           real(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes,
                hStream, kernelParams));
}

CUresult cuLaunchCooperativeKernel_ptsz(CUfunction f, unsigned int gridDimX,
                                        unsigned int gridDimY, unsigned int gridDimZ,
                                        unsigned int blockDimX, unsigned int blockDimY,
                                        unsigned int blockDimZ, unsigned int sharedMemBytes,
                                        CUstream hStream, void **kernelParams) {
    cuLaunchCooperativeKernel_ptsz_fn real = REAL(cuLaunchCooperativeKernel_ptsz);
    LAUNCH(real, f, hStream, 1,
           real(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes,
                hStream, kernelParams));
}
