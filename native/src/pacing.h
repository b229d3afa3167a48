/*
 * Compute shares: kernel launches are paced so that, while another tenant wants the same GPU,
 * a container takes no more than its share of the GPU's time - which leaves every tenant at
 * least its own share - and, while nobody else does, all of it. See pacing.c.
 */
#ifndef TESSERA_PACING_H
#define TESSERA_PACING_H

#include <stdint.h>

#include "cuda_api.h"

/*
 * gpu-<ordinal>.compute, beside the usage file: the share the node agent lets the container have
 * now, and what the library measured for the agent to decide it by. The agent's node-level
 * scheduler lends the shares of idle tenants to busy ones by raising `effective`, and takes them
 * back by lowering it; the library looks at it at most every SHARE_LOOK_NS (pacing.c).
 *
 * Little-endian, naturally aligned, 64 bytes, created by the library (mode 0666) on the first
 * paced launch on the device. Each field has one writer and is read and written with single
 * atomic accesses; a reader checks `magic` (written last) first. native/README.md, "Compute
 * shares", repeats the layout for the agent.
 */
#define TESSERA_COMPUTE_MAGIC 0x53435354u /* the bytes "TSCS" */
#define TESSERA_COMPUTE_VERSION 1u

typedef struct tessera_compute_file {
    uint32_t magic;          /*  0: TESSERA_COMPUTE_MAGIC once initialised (library) */
    uint32_t version;        /*  4: TESSERA_COMPUTE_VERSION (library) */
    uint32_t guaranteed;     /*  8: the container's own share in percent, from
                              *     TESSERA_GPU_COMPUTE_SHARES (library) */
    uint32_t effective;      /* 12: the share the agent lets it have now, percent (agent). Below
                              *     `guaranteed` (0: never written) means the guaranteed share;
                              *     100: not held at all */
    uint64_t lease_until_ms; /* 16: CLOCK_REALTIME milliseconds since the epoch until which
                              *     `effective` holds (agent): an agent that stops renewing it
                              *     leaves no share lent for longer than the lease */
    uint64_t charged_ns;     /* 24: GPU time charged to the container's launches on this GPU since
                              *     the file was made, all processes together (library) */
    uint64_t held_ns;        /* 32: time its launches were held back for its share (library) */
    uint64_t reserved[3];    /* 40: zero */
} tessera_compute_file;

_Static_assert(sizeof(tessera_compute_file) == 64, "compute file is 64 bytes");
_Static_assert(__builtin_offsetof(tessera_compute_file, effective) == 12, "effective");
_Static_assert(__builtin_offsetof(tessera_compute_file, lease_until_ms) == 16, "lease_until_ms");
_Static_assert(__builtin_offsetof(tessera_compute_file, charged_ns) == 24, "charged_ns");
_Static_assert(__builtin_offsetof(tessera_compute_file, held_ns) == 32, "held_ns");

typedef struct tessera_launch {
    int device;      /* -1: not paced */
    int pair;        /* the event pair measuring this launch, -1: not measured */
    uint64_t key;    /* the CUfunction or CUgraphExec */
    CUstream stream;
    int ptsz;        /* the per-thread-default-stream variant was called */
    uint64_t host_start_ns; /* when measuring began (just before the start event) */
} tessera_launch;

/* Before a launch: waits while the container is over its share and the GPU is contended,
 * charges the launch's estimated GPU time, and may start measuring it. 0: not paced (no share
 * below 100 on the current device); tessera_pace_end need not be called then. */
int tessera_pace_begin(tessera_launch *l, uint64_t key, CUstream stream, int ptsz);
/* After the launch call. */
void tessera_pace_end(tessera_launch *l, CUresult rc);
/* In a fork child: the parent's events are not the child's. */
void tessera_pacing_reset_after_fork(void);

#endif
