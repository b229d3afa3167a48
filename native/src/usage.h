/*
 * Per-device usage shared by every process of the container through the mmapped file
 * described in tessera_usage.h.
 *
 * Protocol: an allocation first reserves its bytes on header.used_bytes with a
 * compare-and-swap that refuses to pass the limit (so processes together can never exceed it
 * by one byte), then calls the driver, then either commits the bytes to its own slot or gives
 * the reservation back. A free takes the bytes off the slot first and off the total second.
 * With that order a slot never holds more than its process contributed to the total, so a
 * reaper that subtracts a dead process's slot can never undercount; a process killed between
 * the two steps leaks one allocation's worth of budget (never over-commits) until the file is
 * next opened with no live process attached (see tessera_usage_open).
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

typedef struct tessera_usage {
    tessera_usage_header *hdr;
    tessera_usage_slot *slot;           /* own slot; NULL until (re-)registered */
    tessera_usage_slot overflow_slot;   /* stands in when the file has no free slot */
    pthread_mutex_t register_lock;      /* slow path: registering after a fork */
    pthread_mutex_t loan_lock;          /* slow path: wanting vs. detach at exit */
    uint64_t wanting;                   /* this process's share of wanted_bytes (loan_lock) */
    uint64_t limit;
    uint64_t request;                   /* <= limit; used_bytes above it is on loan */
    int ordinal;
    int file_backed;                    /* 0: process-private fallback mapping */
    int detached;                       /* set at exit: accounting stops */
} tessera_usage;

/* Maps dir/gpu-<ordinal>.usage (created if missing). Falls back to a private mapping (the
 * limit still holds within this process tree) when the file cannot be used. */
void tessera_usage_open(tessera_usage *u, const char *dir, int ordinal, uint64_t limit,
                        uint64_t request);

/* 1 if `bytes` more fit under the limit (now reserved), else 0. Reaps dead slots if short. */
int tessera_usage_reserve(tessera_usage *u, uint64_t bytes);
void tessera_usage_unreserve(tessera_usage *u, uint64_t bytes);
/* The driver call succeeded: attribute reserved bytes to this process's slot. */
void tessera_usage_commit(tessera_usage *u, uint64_t bytes);
/* Frees committed bytes: slot first, then the total. */
void tessera_usage_release(tessera_usage *u, uint64_t bytes);
uint64_t tessera_usage_used(const tessera_usage *u);

/* An allocation the library answers CUDA_ERROR_OUT_OF_MEMORY: counted in this process's slot. */
void tessera_usage_count_oom(tessera_usage *u);
/* Announces `bytes` in wanted_bytes for the duration of a loan wait; 0 (nothing announced, do
 * not wait) once detached. Every successful want is paired with one unwant. */
int tessera_usage_want(tessera_usage *u, uint64_t bytes);
void tessera_usage_unwant(tessera_usage *u, uint64_t bytes);

/* In a fork child: forget the parent's slot; the child registers its own when it allocates. */
void tessera_usage_after_fork_child(tessera_usage *u, pid_t pid);
/* At exit: give this process's bytes, slot and wanted bytes back (the driver frees its memory
 * anyway).
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

/* Identity used for slots; tessera_cuda.c refreshes it after fork. */
void tessera_usage_set_identity(pid_t pid);

#endif
