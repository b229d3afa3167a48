/*
 * Compute shares: kernel launches are paced so that, while another tenant wants the same GPU,
 * a container takes no more than its share of the GPU's time - which leaves every tenant at
 * least its own share - and, while nobody else does, all of it. See pacing.c.
 */
#ifndef TESSERA_PACING_H
#define TESSERA_PACING_H

#include <stdint.h>

#include "cuda_api.h"

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
