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
    TESSERA_KIND_DPTR = 1,   /* CUdeviceptr from cuMemAlloc*, pools, managed */
    TESSERA_KIND_HANDLE = 2, /* CUmemGenericAllocationHandle from cuMemCreate */
    TESSERA_KIND_ARRAY = 3,  /* CUarray */
    TESSERA_KIND_MIPMAP = 4, /* CUmipmappedArray */
};

typedef struct tessera_alloc {
    uint64_t size;
    int32_t device;
    int32_t kind;
} tessera_alloc;

/*
 * Records key -> alloc (key must be non-zero). Returns 1 and fills *stale when the key was
 * already present: the driver reused an address whose free we never saw (e.g. a destroyed
 * context), so the caller must give the stale entry's bytes back.
 */
int tessera_ptr_insert(uint64_t key, const tessera_alloc *alloc, tessera_alloc *stale);

/* Removes key; returns 1 and fills *out if it was present. */
int tessera_ptr_remove(uint64_t key, int kind, tessera_alloc *out);

/* In a fork child: the parent's allocations are not the child's to free. */
void tessera_ptr_reset_after_fork(void);

#endif
