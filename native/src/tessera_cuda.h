/*
 * The accounting core the wrappers share: lazy one-time init, per-device limits, and the
 * admit / settle / forget steps every allocation and free goes through.
 */
#ifndef TESSERA_CUDA_H
#define TESSERA_CUDA_H

#include <stdint.h>

#include "cuda_api.h"
#include "ptr_table.h"

#define TESSERA_EXPORT __attribute__((visibility("default")))

struct tessera_device;

/* 1 when limits are enforced; first call runs the init (pthread_once). */
int tessera_enforcing(void);

/* An allocation's reservation between admission and the driver's answer. */
typedef struct tessera_ticket {
    struct tessera_device *dev; /* NULL: not accounted (pass-through) */
    uint64_t bytes;
} tessera_ticket;

/*
 * Reserves `bytes` on the current context's device (or `device`) before the driver call.
 * Returns CUDA_ERROR_OUT_OF_MEMORY if they do not fit, else CUDA_SUCCESS (with t->dev NULL
 * when nothing is accounted: disabled, no limit for the device, zero bytes, no context).
 */
CUresult tessera_admit_current(tessera_ticket *t, uint64_t bytes);
CUresult tessera_admit_device(tessera_ticket *t, CUdevice device, uint64_t bytes);

/* Changes a reservation to the size the driver really used; 0 if the new size does not fit
 * (the reservation is then unchanged). */
int tessera_ticket_resize(tessera_ticket *t, uint64_t actual);

/* After the driver call: commit and remember `key` on success, else give the bytes back. */
void tessera_settle(tessera_ticket *t, CUresult rc, int kind, uint64_t key);

/* Before a free reaches the driver: take the entry out of the table (so a concurrent
 * allocation that gets the same address back cannot collide with it). 1 if it was ours. */
int tessera_forget(int kind, uint64_t key, tessera_alloc *out);
/* After the driver's answer: success releases the bytes, failure puts the entry back. */
void tessera_forgotten(uint64_t key, const tessera_alloc *a, CUresult rc);

/* Limit and shared usage of `device`, for the memory queries. 0 if it has no limit. */
int tessera_device_budget(CUdevice device, uint64_t *limit, uint64_t *used);
/* The current context's device; 0 on success. */
int tessera_current_device(CUdevice *device);

#endif
