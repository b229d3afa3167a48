/* Read-only view of a usage file, the way the node agent maps it. */
#ifndef TESSERA_USAGE_VIEW_H
#define TESSERA_USAGE_VIEW_H

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tessera_usage.h"

/* dir/gpu-<ordinal>.usage, or NULL while it does not exist or is not yet full size (a page
 * past the end of the file would fault). The header is valid once magic is set. */
static inline const tessera_usage_header *usage_map_in(const char *dir, int ordinal) {
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s/gpu-%d.usage", dir, ordinal);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    if (fstat(fd, &st) != 0 || st.st_size != (off_t)TESSERA_USAGE_FILE_SIZE) {
        close(fd);
        return NULL;
    }
    void *p = mmap(NULL, TESSERA_USAGE_FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    return p == MAP_FAILED ? NULL : p;
}

/* This process's own container: $TESSERA_USAGE_DIR. */
static inline const tessera_usage_header *usage_map(int ordinal) {
    return usage_map_in(getenv("TESSERA_USAGE_DIR"), ordinal);
}

static inline const tessera_usage_slot *usage_slot(const tessera_usage_header *h, unsigned i) {
    return (const tessera_usage_slot *)(h + 1) + i;
}

static inline uint64_t usage_total(const tessera_usage_header *h) {
    return __atomic_load_n(&h->used_bytes, __ATOMIC_ACQUIRE);
}

static inline uint64_t usage_wanted(const tessera_usage_header *h) {
    return __atomic_load_n(&h->wanted_bytes, __ATOMIC_ACQUIRE);
}

static inline uint64_t usage_slot_wanted(const tessera_usage_slot *s) {
    return __atomic_load_n(&s->wanted_bytes, __ATOMIC_ACQUIRE);
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
