/*
 * Added cost per intercepted allocation + free pair. Runs in one process with the library
 * preloaded: "direct" calls the stub driver's own cuMemAlloc_v2/cuMemFree_v2 (found with
 * tstub_real_addr, bypassing every hook), "intercepted" calls them the way a linked
 * application does (bound to our wrappers). The difference is what the library adds.
 * Usage: bench_alloc [pairs per run] [threads]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "stub_cuda.h"

#define RUNS 7
#define SIZE 256

typedef struct pair_fns {
    cuMemAlloc_v2_fn alloc;
    cuMemFree_v2_fn release;
    long pairs;
    double ns_per_pair;
} pair_fns;

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *loop(void *arg) {
    pair_fns *f = arg;
    CUdeviceptr p;
    double start = now_ns();
    for (long i = 0; i < f->pairs; i++) {
        if (f->alloc(&p, SIZE) != CUDA_SUCCESS || f->release(p) != CUDA_SUCCESS) {
            fprintf(stderr, "allocation failed\n");
            exit(1);
        }
    }
    f->ns_per_pair = (now_ns() - start) / (double)f->pairs;
    return NULL;
}

/* Best of RUNS (least disturbed by other load); with threads, the mean per-thread cost. */
static double measure(cuMemAlloc_v2_fn alloc, cuMemFree_v2_fn release, long pairs, int threads) {
    double best = 1e30;
    for (int r = 0; r < RUNS; r++) {
        pair_fns f[64];
        pthread_t th[64];
        double sum = 0;
        for (int t = 0; t < threads; t++) {
            f[t] = (pair_fns){alloc, release, pairs, 0};
            pthread_create(&th[t], NULL, loop, &f[t]);
        }
        for (int t = 0; t < threads; t++) {
            pthread_join(th[t], NULL);
            sum += f[t].ns_per_pair;
        }
        if (sum / threads < best) best = sum / threads;
    }
    return best;
}

int main(int argc, char **argv) {
    long pairs = argc > 1 ? atol(argv[1]) : 1000000;
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    if (threads < 1 || threads > 64) threads = 1;
    cuMemAlloc_v2_fn direct_alloc = (cuMemAlloc_v2_fn)tstub_real_addr("cuMemAlloc_v2");
    cuMemFree_v2_fn direct_free = (cuMemFree_v2_fn)tstub_real_addr("cuMemFree_v2");
    cuMemAlloc_v2_fn hooked_alloc = cuMemAlloc_v2;
    cuMemFree_v2_fn hooked_free = cuMemFree_v2;
    if (cuInit(0) != CUDA_SUCCESS) return 1;
    int intercepted = hooked_alloc != direct_alloc;
    measure(hooked_alloc, hooked_free, pairs / 10, threads); /* warm up: init, page faults */
    double direct = measure(direct_alloc, direct_free, pairs, threads);
    double hooked = measure(hooked_alloc, hooked_free, pairs, threads);
    printf("alloc+free pair, %d bytes, %d thread(s), best of %d x %ld pairs\n", SIZE, threads, RUNS, pairs);
    printf("  direct (stub driver):   %7.1f ns\n", direct);
    printf("  intercepted (library):  %7.1f ns%s\n", hooked, intercepted ? "" : "  (library NOT preloaded)");
    printf("  added by the library:   %7.1f ns per pair\n", hooked - direct);
    return intercepted ? 0 : 2;
}
