/* Read-only view of a usage file, the way the node agent maps it. */
#ifndef TESSERA_USAGE_VIEW_H
#define TESSERA_USAGE_VIEW_H

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tessera_usage.h"

static inline const tessera_usage_header *usage_map(int ordinal) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/gpu-%d.usage", getenv("TESSERA_USAGE_DIR"), ordinal);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    void *p = mmap(NULL, TESSERA_USAGE_FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    return p == MAP_FAILED ? NULL : p;
}

static inline const tessera_usage_slot *usage_slot(const tessera_usage_header *h, unsigned i) {
    return (const tessera_usage_slot *)(h + 1) + i;
}

static inline uint64_t usage_total(const tessera_usage_header *h) {
    return __atomic_load_n(&h->used_bytes, __ATOMIC_ACQUIRE);
}

/* The slot held by pid, or NULL. */
static inline const tessera_usage_slot *usage_slot_of(const tessera_usage_header *h, int pid) {
    for (unsigned i = 0; i < h->slot_count; i++) {
        if (__atomic_load_n(&usage_slot(h, i)->pid, __ATOMIC_ACQUIRE) == pid) return usage_slot(h, i);
    }
    return NULL;
}

static inline uint64_t usage_slot_sum(const tessera_usage_header *h) {
    uint64_t sum = 0;
    for (unsigned i = 0; i < h->slot_count; i++) sum += __atomic_load_n(&usage_slot(h, i)->used_bytes, __ATOMIC_ACQUIRE);
    return sum;
}

#endif
