/*
 * The accounting core the wrappers share: lazy one-time init, per-device limits, and the
 * admit / settle / forget steps every allocation and free goes through.
 */
#ifndef TESSERA_CUDA_H
#define TESSERA_CUDA_H

#include <pthread.h>
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
    int waiting;                /* 1 while waiting for loans (the fields below are valid) */
    int logged;                 /* the wait's start was logged, so its end is too */
    uint64_t wait_start_ns;
    uint64_t sleep_ns;          /* before the next try; backs off */
} tessera_ticket;

/*
 * Reserves `bytes` on the current context's device (or `device`) before the driver call.
 * Returns CUDA_ERROR_OUT_OF_MEMORY if they do not fit, else CUDA_SUCCESS (with t->dev NULL
 * when nothing is accounted: disabled, no limit for the device, zero bytes, no context).
 */
CUresult tessera_admit_current(tessera_ticket *t, uint64_t bytes);
CUresult tessera_admit_device(tessera_ticket *t, CUdevice device, uint64_t bytes);

/* Changes a reservation to the size the driver really used; 0 if the new size does not fit
 * (the reservation is then unchanged, and the refusal counted in the slot's oom_count). */
int tessera_ticket_resize(tessera_ticket *t, uint64_t actual);

int tessera_loan_retry_slow(tessera_ticket *t, CUresult rc);

/*
 * After each answer of the driver: 1 if the caller should call it again. Only when the driver
 * is out of memory while the container is within its request (someone else on the GPU has
 * memory on loan): the bytes are announced in the usage file's wanted_bytes for the node
 * agent, which takes loans back, and the call is retried with a short sleep until it succeeds
 * or TESSERA_LOAN_WAIT_MS has passed. Inline so a successful allocation pays one compare:
 *     rc = real(...);
 *     while (tessera_loan_retry(&t, rc)) rc = real(...);
 */
static inline int tessera_loan_retry(tessera_ticket *t, CUresult rc) {
    if (__builtin_expect(rc != CUDA_ERROR_OUT_OF_MEMORY && !t->waiting, 1)) return 0;
    return tessera_loan_retry_slow(t, rc);
}

/* After the driver call: remember `key` on success (the bytes stay charged), else give the
 * bytes back. */
void tessera_settle(tessera_ticket *t, CUresult rc, int kind, uint64_t key);

/* Before a free reaches the driver: take the entry out of the table (so a concurrent
 * allocation that gets the same address back cannot collide with it). 1 if it was ours. */
int tessera_forget(int kind, uint64_t key, tessera_alloc *out);
/* After the driver's answer: success releases the bytes, failure puts the entry back. */
void tessera_forgotten(uint64_t key, const tessera_alloc *a, CUresult rc);

/* Limit and shared usage of `device`, for the memory queries. 0 if it has no limit. */
int tessera_device_budget(CUdevice device, uint64_t *limit, uint64_t *used);
/*
 * The same for the NVML queries, by ordinal, without attaching: an NVML call must not create
 * usage files or slots (nvidia-smi never allocates). Usage comes from this process's own
 * mapping once it has attached (it used CUDA), else from the usage file mapped read-only, 0
 * while there is none. 0 if limits are not enforced, the device has no limit, or its file
 * cannot be read.
 */
int tessera_device_budget_peek(int ordinal, uint64_t *limit, uint64_t *used);
/* The current context's device; 0 on success. */
int tessera_current_device(CUdevice *device);
struct tessera_pacing_shared;
/* The compute-share bucket of `device` and its share in percent (100: not paced), or NULL. */
struct tessera_pacing_shared *tessera_device_pacing(int device, uint32_t *share);

/* Number of devices with a configured limit (0 when not enforcing). */
int tessera_device_count(void);

/* As tessera_admit_device, but a refusal is neither logged nor counted: the caller has other
 * ways to find room first, and calls tessera_count_refusal when it gives up. */
CUresult tessera_try_admit_device(tessera_ticket *t, CUdevice device, uint64_t bytes);
void tessera_count_refusal(CUdevice device, uint64_t bytes);
/* Gives a reservation back (the ticket then holds nothing). */
void tessera_ticket_drop(tessera_ticket *t);

/*
 * Swap's host budget (swap.c): the container may hold TESSERA_GPU_SWAP_HOST_BYTES of host memory
 * for each device's swapped-out memory, counted in the usage file's slots. Reserve: 1 if
 * `bytes` more fit (now in this process's slot), else 0 with the budget and what the container
 * holds in *budget and *in_use. 0 also when the device has no budget or no slot of its own.
 */
int tessera_swap_budget_reserve(int device, uint64_t bytes, uint64_t *budget, uint64_t *in_use);
void tessera_swap_budget_release(int device, uint64_t bytes);
/* The device's host budget (0: its memory is not swapped). */
uint64_t tessera_swap_budget(int device);
/* Sets and clears TESSERA_SLOT_FLAG_* in this process's slot for `device`. */
void tessera_swap_slot_flags(int device, uint32_t set, uint32_t clear);

/* Direct charges for memory that is not one allocation: `force` charges whatever the limit
 * (the driver already holds it), `uncharge` gives back. No-ops for unlimited devices. */
void tessera_charge_force(int device, uint64_t bytes);
void tessera_uncharge(int device, uint64_t bytes);
/* Charges `bytes` against the limit; 0 (nothing charged) if they do not fit. */
int tessera_charge_try(int device, uint64_t bytes);
/* Total charged on `device` and its limit; 0 if not limited. */
int tessera_device_over_limit(int device);

/*
 * Something the driver holds memory in for this process that is not one allocation: a memory
 * pool, or a device's graph memory. It is charged by what the driver says it holds (its
 * reserved-memory figure), brought up to date by tessera_reservoir_sync; `lock` orders the
 * queries so the last update is always made from the freshest figure.
 */
typedef struct tessera_reservoir {
    pthread_mutex_t lock;
    uint64_t charged; /* bytes of it in this process's slot */
    int device;
} tessera_reservoir;

/* Reads the driver's figure for a reservoir; 0 if it cannot be read. */
typedef int (*tessera_reservoir_query)(void *arg, uint64_t *bytes);

/*
 * Under r->lock: asks `query` what the reservoir holds now and moves the charge there.
 * `pending` bytes were reserved on r->device for this reservoir by the caller (an allocation's
 * admission): they are folded in. A figure that cannot be read leaves the charge as it was,
 * pending bytes included.
 */
void tessera_reservoir_sync(tessera_reservoir *r, tessera_reservoir_query query, void *arg,
                            uint64_t pending);

#endif
