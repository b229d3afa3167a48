/*
 * Binary layout of a usage file: $TESSERA_USAGE_DIR/gpu-<ordinal>.usage, one per CUDA device
 * ordinal as the container sees it. This header is the contract with the node agent, which
 * maps the same file read-only (native/README.md repeats it for the Java side).
 *
 * Little-endian, naturally aligned, fixed size TESSERA_USAGE_FILE_SIZE. Every 64-bit field is
 * read and written with single atomic accesses, so a reader never sees a torn value; the
 * reader needs no lock. Writers change the figures under a process-shared lock kept in a file
 * beside this one (gpu-<ordinal>.lock, the library's own), so that at every moment the lock is
 * free the header's used_bytes and wanted_bytes are exactly the sums of the slots' (plus those
 * of processes that found no slot); a reader sees each field at some instant, not a snapshot.
 */
#ifndef TESSERA_USAGE_H
#define TESSERA_USAGE_H

#include <stddef.h>
#include <stdint.h>

#define TESSERA_USAGE_MAGIC 0x55525354u /* the bytes "TSRU" */
#define TESSERA_USAGE_VERSION 1u
#define TESSERA_USAGE_SLOTS 256u

/* Slot pid values other than a real pid. */
#define TESSERA_SLOT_FREE 0
#define TESSERA_SLOT_RECLAIMING (-1) /* a reaper is emptying it */
#define TESSERA_SLOT_CLAIMING (-2)   /* a process is taking it; fields not yet valid */

/* Offset 0, 64 bytes. */
typedef struct tessera_usage_header {
    uint32_t magic;          /*  0: TESSERA_USAGE_MAGIC once initialised (written last) */
    uint32_t version;        /*  4: TESSERA_USAGE_VERSION */
    uint32_t header_size;    /*  8: 64 */
    uint32_t slot_size;      /* 12: 64 */
    uint32_t slot_count;     /* 16: TESSERA_USAGE_SLOTS */
    int32_t device_ordinal;  /* 20: CUDA device ordinal inside the container */
    uint64_t limit_bytes;    /* 24: the limit, as the last process to open the file read it */
    uint64_t used_bytes;     /* 32: bytes reserved against the limit by all processes (the sum
                              *     of the slots, allocations in flight included) */
    uint64_t overflow_procs; /* 40: processes that found no free slot (counted in used_bytes
                              *     but in no slot) */
    uint64_t request_bytes;  /* 48: the request (guaranteed share), written at open like
                              *     limit_bytes; used_bytes above it is on loan. 0: same as the
                              *     limit (files written before requests existed) */
    uint64_t wanted_bytes;   /* 56: bytes that allocations within the request are waiting for
                              *     because the driver is out of memory: the node agent's cue to
                              *     reclaim loans on this GPU (see README, "Memory loans") */
} tessera_usage_header;

/* Slot flags (a reader that knows none of them may ignore the field: figures never depend on
 * it). */
#define TESSERA_SLOT_FLAG_SWAP 0x1u    /* the process serves its allocations swappably
                                         * (TESSERA_GPU_SWAP=1, see README "GPU memory swap") */
#define TESSERA_SLOT_FLAG_SWAPPED 0x2u /* some of its device memory is in host memory now */

/* Offset 64 + i * 64, i < slot_count; one cache line each so processes never share one. */
typedef struct tessera_usage_slot {
    int32_t pid;         /*  0: owner's pid in its pid namespace, or TESSERA_SLOT_* above */
    uint32_t flags;      /*  4: TESSERA_SLOT_FLAG_* (0 from libraries without swap) */
    uint64_t used_bytes; /*  8: bytes this process holds, its allocations in flight included */
    uint64_t peak_bytes; /* 16: high-water mark of used_bytes */
    uint64_t start_time; /* 24: owner's start time, /proc/<pid>/stat field 22 (clock ticks
                          *     since boot): tells a reused pid from the owner */
    uint64_t pid_ns;     /* 32: inode of the owner's /proc/self/ns/pid (0 if unknown) */
    uint64_t oom_count;  /* 40: allocations the library answered CUDA_ERROR_OUT_OF_MEMORY:
                          *     over the limit, or within the request after a loan wait */
    uint64_t wanted_bytes;/* 48: this process's part of the header's wanted_bytes: the agent
                          *     acts only for waiters that are alive */
    uint64_t swapped_bytes;/* 56: device memory of this process held in host memory (swapped
                          *     out), not in used_bytes; counted against the container's host
                          *     budget. 0 from libraries without swap (the field was reserved) */
} tessera_usage_slot;

#define TESSERA_USAGE_FILE_SIZE \
    (sizeof(tessera_usage_header) + TESSERA_USAGE_SLOTS * sizeof(tessera_usage_slot))

_Static_assert(sizeof(tessera_usage_header) == 64, "usage header is 64 bytes");
_Static_assert(sizeof(tessera_usage_slot) == 64, "usage slot is 64 bytes");
_Static_assert(TESSERA_USAGE_FILE_SIZE == 16448, "usage file size");
/* Offsets the node agent reads by number. */
_Static_assert(offsetof(tessera_usage_header, request_bytes) == 48, "request_bytes");
_Static_assert(offsetof(tessera_usage_header, wanted_bytes) == 56, "wanted_bytes");
_Static_assert(offsetof(tessera_usage_slot, oom_count) == 40, "oom_count");
_Static_assert(offsetof(tessera_usage_slot, wanted_bytes) == 48, "slot wanted_bytes");
_Static_assert(offsetof(tessera_usage_slot, flags) == 4, "slot flags");
_Static_assert(offsetof(tessera_usage_slot, swapped_bytes) == 56, "slot swapped_bytes");

#endif
