/*
 * A stand-in libcuda.so.1 for tests without a GPU: the intercepted driver entry points over
 * host memory, with a "physical" size per device from TSTUB_TOTAL_BYTES (default 1 GiB),
 * plus tstub_* helpers the tests use to look behind the library's back.
 * TSTUB_SHARED_FILE=<path>: processes naming the same file share that physical size, like
 * tenants of one GPU (a process's bytes stop counting once it is dead or a zombie); without
 * it each process has the whole size to itself.
 */
#ifndef TESSERA_STUB_CUDA_H
#define TESSERA_STUB_CUDA_H

#include <stdint.h>

#include "cuda_api.h"

#define TSTUB_MAX_DEVICES 8

#define TSTUB_DECLARE(name, params) CUresult name params;
#define TSTUB_DECLARE_GATED(name, params, args) CUresult name params;
TESSERA_HOOKED_FUNCS(TSTUB_DECLARE)
TESSERA_GATED_FUNCS(TSTUB_DECLARE_GATED)
TESSERA_RESOLVED_FUNCS(TSTUB_DECLARE)
#undef TSTUB_DECLARE
#undef TSTUB_DECLARE_GATED
CUresult cuInit(unsigned int flags);
CUresult cuDeviceGet(CUdevice *device, int ordinal);
CUresult cuDeviceGetCount(int *count);
/* Driver calls the library never wraps that the tests use to set scenes up. */
CUresult cuStreamBeginCapture_v2(CUstream hStream, int mode);
CUresult cuStreamEndCapture(CUstream hStream, CUgraph *phGraph);
CUresult cuGraphCreate(CUgraph *phGraph, unsigned int flags);

/* Test helpers (not CUDA). */
CUfunction tstub_kernel(uint64_t ns);       /* a kernel that keeps the GPU busy this long */
/* A kernel of three parameters (CUdeviceptr p, uint64_t n, uint64_t *out) that reads [p, p+n)
 * and writes its FNV-1a checksum to *out (host memory); CUDA_ERROR_ILLEGAL_ADDRESS where the
 * range is reserved address space without a mapping it may read (swapped out, say). */
CUfunction tstub_kernel_sum(void);
uint64_t tstub_gpu_busy_ns(uint64_t t0, uint64_t t1); /* this process's kernels' GPU time in
                                                       * [t0, t1) (CLOCK_MONOTONIC ns) */
uint64_t tstub_now_ns(void);
void tstub_set_device(int device);          /* what cuCtxGetDevice reports on this thread */
uint64_t tstub_used(int device);            /* bytes the "driver" has handed out */
uint64_t tstub_peak(int device);            /* high-water mark of tstub_used */
void tstub_reset_peak(int device);
void *tstub_real_addr(const char *name);    /* the stub's own entry point for an export name */
void tstub_fail_next_free(void);            /* the next free/destroy/release fails, frees nothing */
uint64_t tstub_host_used(void);             /* pinned host memory held (cuMemHostAlloc) */
int tstub_accessible(CUdeviceptr p, uint64_t n); /* 1: [p, p+n) is cuMemMap'ed, read-write */
int tstub_reserved(CUdeviceptr p);          /* 1: p lies in a cuMemAddressReserve range */

typedef void (*tstub_set_device_fn)(int);
typedef uint64_t (*tstub_used_fn)(int);
typedef void *(*tstub_real_addr_fn)(const char *);

#endif
