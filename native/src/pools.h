/*
 * What the driver holds for a process beyond single allocations, charged by what it holds:
 * memory pools (cuMemAllocAsync, cuMemAllocFromPoolAsync), graph memory (memory nodes) and
 * the device memory that context limits set aside (cuCtxSetLimit). See hooks_pool.c.
 */
#ifndef TESSERA_POOLS_H
#define TESSERA_POOLS_H

#include "cuda_api.h"
#include "ptr_table.h"
#include "tessera_cuda.h"

struct pool_entry;

/* One stream-ordered allocation between admission and the driver's answer. */
typedef struct tessera_pool_ticket {
    tessera_ticket t;          /* the reservation made at admission (t.dev NULL: none) */
    struct pool_entry *entry;  /* the pool, when known before the call */
    CUgraph graph;             /* capturing: the graph the allocation becomes a node of */
    uint64_t bytes;            /* what the application asked for */
    int device;                /* where it is charged; -1: not at all */
    int capturing;
} tessera_pool_ticket;

/*
 * Before the driver call. `pool` NULL: the current pool of the stream's device
 * (cuMemAllocAsync), found from the pointer afterwards. Reserves the size rounded up to the
 * pools' growth step unless the pool already has that much free; refuses with
 * CUDA_ERROR_OUT_OF_MEMORY when neither. During stream capture nothing is reserved: the
 * allocation becomes a graph node, charged when the graph runs.
 */
CUresult tessera_pool_admit(tessera_pool_ticket *pt, CUmemoryPool pool, CUstream stream,
                            int ptsz, uint64_t bytes);
/* After it: the pool's charge becomes what it holds now (the reservation folded in). */
void tessera_pool_settle(tessera_pool_ticket *pt, CUresult rc, CUdeviceptr ptr);
/* A pool allocation was freed (`sync`: by cuMemFree, so the memory is back in the pool). */
void tessera_pool_freed(const tessera_alloc *a, int sync);
/* Brings every pool's and every device's graph-memory charge up to date (after a
 * synchronisation, where pools give memory back). */
void tessera_pools_refresh(void);
/* Gives `bytes` back on `device` when `stream` reaches this point (cuLaunchHostFunc), or now
 * if the driver will not take a host function there. */
void tessera_release_at_stream(CUstream stream, int ptsz, int device, uint64_t bytes);
/* In a fork child: the parent's pools, graphs and limits are not the child's. */
void tessera_pools_reset_after_fork(void);

#endif
