/* Facts about processes that the usage-file reaper needs; all slow path. */
#ifndef TESSERA_PROC_INFO_H
#define TESSERA_PROC_INFO_H

#include <stdint.h>
#include <sys/types.h>

typedef struct tessera_proc_identity {
    pid_t pid;
    uint64_t start_time; /* 0 if unknown */
    uint64_t pid_ns;     /* 0 if unknown */
} tessera_proc_identity;

/* Identity of the calling process. */
void tessera_proc_self(tessera_proc_identity *self);

/*
 * 0 only when pid certainly no longer runs the process that took the slot: kill(pid, 0)
 * fails with ESRCH, or /proc shows a zombie, or a different start time (pid reused).
 */
int tessera_proc_alive(pid_t pid, uint64_t start_time);

#endif
