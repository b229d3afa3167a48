/*
 * Added cost per kernel launch. Like bench_alloc: "direct" calls the stub driver's own
 * cuLaunchKernel (tstub_real_addr), "intercepted" the exported one a linked application
 * binds to. The kernel takes no GPU time, so the figures are the host's cost of a launch;
 * run with TESSERA_GPU_COMPUTE_SHARES unset (no pacing) and set (pacing, the GPU otherwise
 * idle: measurements taken, nothing held), and with TESSERA_GPU_SWAP=1 (the swap gate of a
 * process whose memory is resident: two atomic increments per launch).
 * Usage: bench_launch [launches per run]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stub_cuda.h"

#define RUNS 7

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Best of RUNS (least disturbed by other load). */
static double measure(cuLaunchKernel_fn launch, CUfunction k, long n) {
    double best = 1e30;
    for (int r = 0; r < RUNS; r++) {
        double start = now_ns();
        for (long i = 0; i < n; i++) {
            if (launch(k, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL) != CUDA_SUCCESS) {
                fprintf(stderr, "launch failed\n");
                exit(1);
            }
        }
        double per = (now_ns() - start) / (double)n;
        if (per < best) best = per;
    }
    return best;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    cuLaunchKernel_fn direct = (cuLaunchKernel_fn)tstub_real_addr("cuLaunchKernel");
    cuLaunchKernel_fn hooked = cuLaunchKernel;
    if (cuInit(0) != CUDA_SUCCESS) return 1;
    size_t free_bytes, total; /* the library's init, as an application's first allocation does */
    if (cuMemGetInfo_v2(&free_bytes, &total) != CUDA_SUCCESS) return 1;
    CUfunction k = tstub_kernel(0);
    int intercepted = hooked != direct;
    const char *shares = getenv("TESSERA_GPU_COMPUTE_SHARES");
    const char *swap = getenv("TESSERA_GPU_SWAP");
    measure(hooked, k, n / 10); /* warm up: init, the kernel's first measurements */
    double d = measure(direct, k, n), h = measure(hooked, k, n);
    printf("kernel launch, compute shares %s%s, best of %d x %ld launches\n",
           shares && *shares ? shares : "unset (no pacing)",
           swap && strcmp(swap, "1") == 0 ? ", swap on (resident)" : "", RUNS, n);
    printf("  direct (stub driver):   %7.1f ns\n", d);
    printf("  intercepted (library):  %7.1f ns%s\n", h, intercepted ? "" : "  (library NOT preloaded)");
    printf("  added by the library:   %7.1f ns per launch\n", h - d);
    return intercepted ? 0 : 2;
}
