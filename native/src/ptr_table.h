/*
 * What each live allocation cost, keyed by what the application will later hand to the free
 * call (device pointer, allocation handle, array handle), so a free gives back exactly the
 * bytes its allocation took.
 *
 * 256 independently locked stripes, each an open-addressing table: a lock is held for a few
 * dozen instructions, never across a driver call (the NCCL-deadlock lesson), and threads
 * working on different pointers almost never meet on the same stripe.
 */
#ifndef TESSERA_PTR_TABLE_H
#define TESSERA_PTR_TABLE_H

#include <stdint.h>

enum {
    TESSERA_KIND_DPTR = 1,    /* CUdeviceptr from cuMemAlloc*, managed, pools (link: the pool) */
    TESSERA_KIND_HANDLE = 2,  /* CUmemGenericAllocationHandle from cuMemCreate (refs: the
                               * handle itself plus its mappings) */
    TESSERA_KIND_ARRAY = 3,   /* CUarray */
    TESSERA_KIND_MIPMAP = 4,  /* CUmipmappedArray */
    TESSERA_KIND_MAPPING = 5, /* a cuMemMap'ed address: size mapped, link: the handle */
    TESSERA_KIND_GRAPH = 6,   /* a CUgraph's memory nodes on one device (key: see hooks_pool.c) */
    TESSERA_KIND_EXEC = 7,    /* the same for an instantiated graph */
    TESSERA_KIND_KERNEL = 8,  /* a CUfunction or CUgraphExec: size is its GPU time estimate (ns) */
    TESSERA_KIND_SWAP = 9,    /* swappable memory's address (swap.c): link is its range */
};

typedef struct tessera_alloc {
    uint64_t size;   /* bytes charged for it (a pool allocation: its size, charged to the pool) */
    uint64_t link;   /* KIND_MAPPING: the handle mapped; KIND_DPTR: the pool, or 0 */
    int32_t device;
    int32_t kind;
    uint32_t refs;   /* KIND_HANDLE: references that keep its memory (0 is taken as 1) */
    uint32_t pad;
} tessera_alloc;

/*
 * Records key -> alloc (key must be non-zero). Returns 1 and fills *stale when the key was
 * already present: the driver reused an address whose free we never saw (e.g. a destroyed
 * context), so the caller must give the stale entry's bytes back.
 */
int tessera_ptr_insert(uint64_t key, const tessera_alloc *alloc, tessera_alloc *stale);

/* Removes key; returns 1 and fills *out if it was present. */
int tessera_ptr_remove(uint64_t key, int kind, tessera_alloc *out);

/* Looks key up without removing it; 1 and fills *out if present. */
int tessera_ptr_get(uint64_t key, int kind, tessera_alloc *out);

/*
 * Adds `delta` to the entry's references (an absent refs field counts as 1). When they reach
 * 0 the entry is removed and 1 is returned with *out filled: the last reference is gone.
 * 0: still referenced; -1: no such entry.
 */
int tessera_ptr_ref(uint64_t key, int kind, int delta, tessera_alloc *out);

/* Adds `bytes` to the entry's size, creating it (with `device`) if absent. */
void tessera_ptr_add_size(uint64_t key, int kind, int device, uint64_t bytes);

/* In a fork child: the parent's allocations are not the child's to free. */
void tessera_ptr_reset_after_fork(void);

#endif
