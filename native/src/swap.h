/*
 * GPU memory swap (TESSERA_GPU_SWAP=1): a container's allocations are served from the driver's
 * virtual memory management, so that while the process is idle its device memory can be moved
 * to host memory and back at the same device addresses. See swap.c and README "GPU memory
 * swap".
 */
#ifndef TESSERA_SWAP_H
#define TESSERA_SWAP_H

#include <stddef.h>
#include <stdint.h>

#include "cuda_api.h"
#include "tessera_cuda.h"

/* 1 once the configuration asked for swap (set by the init, before limits are enforced). */
extern int tessera_swap_on;

CUresult tessera_swap_enter_slow(int *token);
void tessera_swap_leave_slow(int token);

/*
 * Around every call that may touch device memory (launches, copies, memsets,
 * synchronisations, allocations): the process's swapped-out memory comes back first, and a
 * swap-out waits for the calls in flight. Without swap it costs one relaxed load:
 *     int token;
 *     CUresult rc = tessera_swap_enter(&token);
 *     if (rc != CUDA_SUCCESS) return rc;   (the memory could not come back)
 *     rc = real(...);
 *     tessera_swap_leave(token);
 */
static inline CUresult tessera_swap_enter(int *token) {
    *token = 0;
    if (__builtin_expect(!__atomic_load_n(&tessera_swap_on, __ATOMIC_RELAXED), 1))
        return CUDA_SUCCESS;
    return tessera_swap_enter_slow(token);
}

static inline void tessera_swap_leave(int token) {
    if (__builtin_expect(token != 0, 0)) tessera_swap_leave_slow(token);
}

/* `return` the gated call's answer from the enclosing wrapper. */
#define TESSERA_GATED_RETURN(call)                                 \
    do {                                                           \
        int gate_token_;                                           \
        CUresult gate_rc_ = tessera_swap_enter(&gate_token_);      \
        if (gate_rc_ != CUDA_SUCCESS) return gate_rc_;             \
        gate_rc_ = (call);                                         \
        tessera_swap_leave(gate_token_);                           \
        return gate_rc_;                                           \
    } while (0)

/* 1 when this process serves its allocations swappably (runs the init). */
static inline int tessera_swap_serving(void) {
    return __builtin_expect(tessera_enforcing() && __atomic_load_n(&tessera_swap_on,
                                                                   __ATOMIC_RELAXED), 0);
}

/*
 * Allocation entry points, in a swap container: 1 when the call was served (or refused) as
 * swappable memory, its answer in *rc; 0 when the caller takes its usual path (smaller than the
 * device's allocation granularity, no virtual memory management, no host budget on the device,
 * no current context).
 */
int tessera_swap_alloc(CUdeviceptr *dptr, uint64_t bytes, CUresult *rc);
int tessera_swap_alloc_pitch(CUdeviceptr *dptr, size_t *pitch, size_t width, size_t height,
                             unsigned int element_bytes, CUresult *rc);
/* Frees: 1 when `dptr` was swappable memory (answer in *rc), 0 when it is not ours. */
int tessera_swap_free(CUdeviceptr dptr, CUresult *rc);
int tessera_swap_free_async(CUdeviceptr dptr, CUstream stream, int ptsz, CUresult *rc);

/* From the init, once the usage files are open: turns the gate on. */
void tessera_swap_init(void);
/* In a fork child: the parent's ranges and thread are not the child's. */
void tessera_swap_reset_after_fork(void);
/* At exit: the background thread takes no new work. */
void tessera_swap_stop(void);

#endif
