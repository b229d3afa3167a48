#include "ptr_table.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define STRIPE_BITS 8
#define STRIPES (1u << STRIPE_BITS)
#define INITIAL_CAPACITY 16u

typedef struct entry {
    uint64_t key; /* 0: empty */
    tessera_alloc alloc;
} entry;

typedef struct stripe {
    pthread_mutex_t lock;
    entry *slots;
    uint32_t mask; /* capacity - 1 (capacity is a power of two) */
    uint32_t count;
} __attribute__((aligned(64))) stripe; /* one cache line each: no false sharing */

static stripe g_stripes[STRIPES] = {[0 ... STRIPES - 1] = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0}};

/* Device pointers are aligned, so the low bits carry nothing: mix before splitting. */
static uint64_t mix(uint64_t key, int kind) {
    uint64_t h = (key ^ ((uint64_t)kind << 59)) * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 31);
}

static stripe *stripe_for(uint64_t hash) { return &g_stripes[hash >> (64 - STRIPE_BITS)]; }

static uint32_t find(const stripe *s, uint64_t key, int kind, uint64_t hash) {
    uint32_t i = (uint32_t)hash & s->mask;
    while (s->slots[i].key != 0) {
        if (s->slots[i].key == key && s->slots[i].alloc.kind == kind) return i;
        i = (i + 1) & s->mask;
    }
    return i; /* the empty slot ending the probe */
}

static int grow(stripe *s) {
    uint32_t old_cap = s->slots ? s->mask + 1 : 0;
    uint32_t cap = old_cap ? old_cap * 2 : INITIAL_CAPACITY;
    entry *slots = calloc(cap, sizeof *slots);
    if (slots == NULL) return -1;
    entry *old = s->slots;
    s->slots = slots;
    s->mask = cap - 1;
    for (uint32_t i = 0; i < old_cap; i++) {
        if (old[i].key == 0) continue;
        uint64_t h = mix(old[i].key, old[i].alloc.kind);
        s->slots[find(s, old[i].key, old[i].alloc.kind, h)] = old[i];
    }
    free(old);
    return 0;
}

int tessera_ptr_insert(uint64_t key, const tessera_alloc *alloc, tessera_alloc *stale) {
    uint64_t hash = mix(key, alloc->kind);
    stripe *s = stripe_for(hash);
    int replaced = 0;
    pthread_mutex_lock(&s->lock);
    /* Load factor <= 1/2 keeps probes short; if growing fails we still have a free slot
     * until the table is full, and past that the allocation simply goes untracked. */
    if ((s->count + 1) * 2 > (s->slots ? s->mask + 1 : 0)) (void)grow(s);
    if (s->slots != NULL && s->count < s->mask) {
        uint32_t i = find(s, key, alloc->kind, hash);
        if (s->slots[i].key != 0) {
            *stale = s->slots[i].alloc;
            replaced = 1;
        } else {
            s->count++;
        }
        s->slots[i].key = key;
        s->slots[i].alloc = *alloc;
    }
    pthread_mutex_unlock(&s->lock);
    return replaced;
}

/* Backward-shift deletion: no tombstones, so probe lengths never degrade with churn. */
static void erase(stripe *s, uint32_t hole) {
    uint32_t i = hole;
    for (;;) {
        i = (i + 1) & s->mask;
        if (s->slots[i].key == 0) break;
        uint32_t home = (uint32_t)mix(s->slots[i].key, s->slots[i].alloc.kind) & s->mask;
        /* Move i into the hole unless its home lies cyclically in (hole, i]. */
        if (((i - home) & s->mask) >= ((i - hole) & s->mask)) {
            s->slots[hole] = s->slots[i];
            hole = i;
        }
    }
    s->slots[hole].key = 0;
    s->count--;
}

int tessera_ptr_remove(uint64_t key, int kind, tessera_alloc *out) {
    if (key == 0) return 0;
    uint64_t hash = mix(key, kind);
    stripe *s = stripe_for(hash);
    int found = 0;
    pthread_mutex_lock(&s->lock);
    if (s->slots != NULL) {
        uint32_t i = find(s, key, kind, hash);
        if (s->slots[i].key != 0) {
            *out = s->slots[i].alloc;
            erase(s, i);
            found = 1;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

int tessera_ptr_get(uint64_t key, int kind, tessera_alloc *out) {
    if (key == 0) return 0;
    uint64_t hash = mix(key, kind);
    stripe *s = stripe_for(hash);
    int found = 0;
    pthread_mutex_lock(&s->lock);
    if (s->slots != NULL) {
        uint32_t i = find(s, key, kind, hash);
        if (s->slots[i].key != 0) {
            *out = s->slots[i].alloc;
            found = 1;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

int tessera_ptr_ref(uint64_t key, int kind, int delta, tessera_alloc *out) {
    if (key == 0) return -1;
    uint64_t hash = mix(key, kind);
    stripe *s = stripe_for(hash);
    int result = -1;
    pthread_mutex_lock(&s->lock);
    if (s->slots != NULL) {
        uint32_t i = find(s, key, kind, hash);
        if (s->slots[i].key != 0) {
            tessera_alloc *a = &s->slots[i].alloc;
            int64_t refs = (int64_t)(a->refs ? a->refs : 1) + delta;
            if (refs <= 0) {
                *out = *a;
                erase(s, i);
                result = 1;
            } else {
                a->refs = (uint32_t)refs;
                result = 0;
            }
        }
    }
    pthread_mutex_unlock(&s->lock);
    return result;
}

void tessera_ptr_add_size(uint64_t key, int kind, int device, uint64_t bytes) {
    tessera_alloc a;
    if (key == 0) return;
    uint64_t hash = mix(key, kind);
    stripe *s = stripe_for(hash);
    pthread_mutex_lock(&s->lock);
    if (s->slots != NULL) {
        uint32_t i = find(s, key, kind, hash);
        if (s->slots[i].key != 0) {
            s->slots[i].alloc.size += bytes;
            pthread_mutex_unlock(&s->lock);
            return;
        }
    }
    pthread_mutex_unlock(&s->lock);
    a = (tessera_alloc){.size = bytes, .device = device, .kind = kind};
    tessera_alloc stale;
    (void)tessera_ptr_insert(key, &a, &stale); /* a racing insert of the same key loses bytes
                                                * to this one: graphs are built by one thread */
}

void tessera_ptr_reset_after_fork(void) {
    for (unsigned i = 0; i < STRIPES; i++) {
        pthread_mutex_init(&g_stripes[i].lock, NULL);
        free(g_stripes[i].slots);
        g_stripes[i].slots = NULL;
        g_stripes[i].mask = 0;
        g_stripes[i].count = 0;
    }
}
