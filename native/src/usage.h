/*
 * Per-device usage shared by every process of the container through the mmapped file
 * described in tessera_usage.h.
 *
 * Protocol: every change to the figures - a reservation, its release, a process's slot coming
 * or going - happens under one process-shared robust mutex, which lives in a lock file beside
 * the usage file (gpu-<ordinal>.lock; not part of the agent's contract). Under it the slot and
 * the header move together, so the header's used_bytes is always exactly the sum of the slots
 * (plus the bytes of processes that found no slot): a reservation is added to the process's
 * slot in the same step as to the total, before the driver call, and a detach or a reaper that
 * subtracts a slot takes out precisely what that process put in, in-flight reservations
 * included. A process killed inside the lock leaves it to the kernel (robust mutex): the next
 * locker recounts the header from the slots. Readers (the node agent, NVML queries) never
 * lock; every field is written with single atomic stores.
 *
 * Loans: an allocation within the request that the driver refuses for lack of memory adds
 * its size to header.wanted_bytes while it waits (tessera_usage_want / _unwant), so the node
 * agent knows to reclaim memory lent to other containers on the GPU.
 */
#ifndef TESSERA_USAGE_API_H
#define TESSERA_USAGE_API_H

#include <pthread.h>
#include <stdint.h>

#include "tessera_usage.h"

/* A container's compute-share bucket for one GPU, shared by its processes through the lock
 * file (see pacing.c). Every field is updated with atomics, never under the usage lock. */
typedef struct tessera_pacing_shared {
    int64_t tokens_ns;           /* GPU time the container may still take; below 0: in debt */
    uint64_t refilled_ns;        /* CLOCK_MONOTONIC of the last refill */
    uint64_t contended_until_ns; /* a launch was seen waiting for another tenant's work:
                                  * launches are paced until then */
    uint64_t charged_ns;         /* GPU time charged to launches, all told */
    uint64_t held_ns;            /* time launches were held back, all told */
} tessera_pacing_shared;

/*
 * gpu-<ordinal>.lock, beside the usage file: what the usage file (the agent's contract, with
 * no field to spare) has no room for. The library's own; the node agent never reads it (tests
 * do, to see the bucket).
 */
#define TESSERA_LOCK_MAGIC 0x4b4c5354u /* the bytes "TSLK" */

typedef struct tessera_usage_lock {
    uint32_t magic;               /* TESSERA_LOCK_MAGIC once the mutex is initialised */
    uint32_t size;                /* sizeof(tessera_usage_lock) of the library that made it */
    uint64_t unattributed;        /* bytes in used_bytes of processes that found no slot */
    uint64_t unattributed_wanted; /* the same for wanted_bytes */
    pthread_mutex_t mutex;        /* process-shared, robust */
    tessera_pacing_shared pacing; /* the compute-share bucket (atomics, not under the mutex) */
} tessera_usage_lock;

typedef struct tessera_usage {
    tessera_usage_header *hdr;
    struct tessera_usage_lock *lock;    /* the shared mutex and what slots cannot hold */
    tessera_usage_slot *slot;           /* own slot; NULL until (re-)registered */
    tessera_usage_slot overflow_slot;   /* stands in when the file has no free slot */
    pthread_mutex_t register_lock;      /* slow path: registering after a fork */
    uint64_t limit;
    uint64_t request;                   /* <= limit; used_bytes above it is on loan */
    int ordinal;
    int file_backed;                    /* 0: process-private fallback mapping */
    int detached;                       /* set at exit, under the lock: accounting stops */
} tessera_usage;

/* Maps dir/gpu-<ordinal>.usage (created if missing). Falls back to a private mapping (the
 * limit still holds within this process tree) when the file cannot be used. */
void tessera_usage_open(tessera_usage *u, const char *dir, int ordinal, uint64_t limit,
                        uint64_t request);

/* 1 if `bytes` more fit under the limit (now charged to this process's slot and the total in
 * one step), else 0. Reaps dead slots if short. */
int tessera_usage_reserve(tessera_usage *u, uint64_t bytes);
/* Charges `bytes` whatever the limit: memory the driver already holds for this process (a
 * pool that grew by more than the allocation asked for). The total may then pass the limit,
 * which refuses further allocations until it is back under. */
void tessera_usage_force(tessera_usage *u, uint64_t bytes);
/* Gives back charged bytes (a reservation the driver refused, or a free). */
void tessera_usage_release(tessera_usage *u, uint64_t bytes);
uint64_t tessera_usage_used(const tessera_usage *u);

/* An allocation the library answers CUDA_ERROR_OUT_OF_MEMORY: counted in this process's slot. */
void tessera_usage_count_oom(tessera_usage *u);
/* Announces `bytes` in wanted_bytes for the duration of a loan wait; 0 (nothing announced, do
 * not wait) once detached. Every successful want is paired with one unwant. */
int tessera_usage_want(tessera_usage *u, uint64_t bytes);
void tessera_usage_unwant(tessera_usage *u, uint64_t bytes);

/*
 * Swap (see swap.c): host memory the container holds for this GPU's swapped-out memory lives in
 * the slots' swapped_bytes. tessera_usage_swap_reserve adds `bytes` to this process's slot if
 * the container's total (all slots) plus `bytes` stays within `budget`; 1 if so, else 0 with
 * the total in *in_use (slots of dead processes are reaped first). A process without a slot of
 * its own (the file was full) cannot swap: the node agent would not see its host memory.
 */
int tessera_usage_swap_reserve(tessera_usage *u, uint64_t bytes, uint64_t budget,
                               uint64_t *in_use);
void tessera_usage_swap_release(tessera_usage *u, uint64_t bytes);
/* Sets and clears TESSERA_SLOT_FLAG_* bits in this process's slot. */
void tessera_usage_set_flags(tessera_usage *u, uint32_t set, uint32_t clear);

/* In a fork child: forget the parent's slot; the child registers its own when it allocates. */
void tessera_usage_after_fork_child(tessera_usage *u, pid_t pid);
/* At exit: give this process's bytes (in-flight reservations included), slot and wanted bytes
 * back (the driver frees its memory anyway).
 * Afterwards every call is a no-op, so frees run by later exit handlers cannot subtract the
 * same bytes twice; allocations made that late are not limited. */
void tessera_usage_detach(tessera_usage *u);

/*
 * For readers that must not attach (the NVML queries of a process that has not used CUDA):
 * maps dir/gpu-<ordinal>.usage read-only, never creating it. NULL with *absent set when the
 * file does not exist (nothing in the container has used the device yet), clear when it
 * cannot be used (unreadable, or not full size: a file being created is short for a moment).
 */
const tessera_usage_header *tessera_usage_map_view(const char *dir, int ordinal, int *absent);
void tessera_usage_unmap_view(const tessera_usage_header *h);
/* The used bytes a view shows; 0 (nothing read) until its header is valid for `ordinal`. */
int tessera_usage_view_used(const tessera_usage_header *h, int ordinal, uint64_t *used);

/* The container's compute-share bucket for this GPU. */
tessera_pacing_shared *tessera_usage_pacing(tessera_usage *u);

/* Identity used for slots; tessera_cuda.c refreshes it after fork. */
void tessera_usage_set_identity(pid_t pid);

#endif
