#include "usage.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "proc_info.h"

static tessera_proc_identity g_self;
static int g_fallback_logged; /* one warning per process, however many devices fall back */

#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

void tessera_usage_set_identity(pid_t pid) {
    tessera_proc_self(&g_self);
    g_self.pid = pid;
}

static tessera_usage_slot *slot_at(tessera_usage_header *h, unsigned i) {
    return (tessera_usage_slot *)((char *)h + sizeof *h) + i;
}

/* ---- lock-free total ------------------------------------------------------------------ */

static int try_reserve(tessera_usage_header *h, uint64_t limit, uint64_t bytes) {
    uint64_t cur = __atomic_load_n(&h->used_bytes, __ATOMIC_RELAXED);
    do {
        if (bytes > limit || cur > limit - bytes) return 0;
    } while (!__atomic_compare_exchange_n(&h->used_bytes, &cur, cur + bytes, 1, __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    return 1;
}

static void raise_peak(tessera_usage_slot *s, uint64_t used) {
    uint64_t peak = __atomic_load_n(&s->peak_bytes, __ATOMIC_RELAXED);
    while (used > peak && !__atomic_compare_exchange_n(&s->peak_bytes, &peak, used, 1,
                                                       __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
}

/* ---- slots (slow path) ------------------------------------------------------------------ */

/* Empties a slot whose owner is gone; the CAS on pid makes concurrent reapers harmless. */
static uint64_t reclaim_slot(tessera_usage_header *h, tessera_usage_slot *s, int32_t pid) {
    if (!__atomic_compare_exchange_n(&s->pid, &pid, TESSERA_SLOT_RECLAIMING, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_RELAXED))
        return 0;
    uint64_t bytes = __atomic_exchange_n(&s->used_bytes, 0, __ATOMIC_ACQ_REL);
    __atomic_sub_fetch(&h->used_bytes, bytes, __ATOMIC_ACQ_REL);
    /* A waiter killed mid-wait: its wanted bytes go with it. The slot's figure never exceeds
     * what the process put in the header (header first on want, slot first on unwant). */
    uint64_t wanted = __atomic_exchange_n(&s->wanted_bytes, 0, __ATOMIC_ACQ_REL);
    if (wanted != 0) __atomic_sub_fetch(&h->wanted_bytes, wanted, __ATOMIC_ACQ_REL);
    STORE(&s->peak_bytes, 0);
    STORE(&s->start_time, 0);
    STORE(&s->pid_ns, 0);
    STORE(&s->oom_count, 0);
    STORE(&s->pid, TESSERA_SLOT_FREE);
    return bytes;
}

/*
 * Reclaims the slots of dead processes in our pid namespace (a pid from another namespace
 * means nothing to kill(2) here, so those are left alone). Returns bytes given back;
 * *freed_slots counts emptied slots.
 */
static uint64_t reap_dead(tessera_usage *u, unsigned *freed_slots) {
    uint64_t bytes = 0;
    unsigned freed = 0;
    for (unsigned i = 0; i < TESSERA_USAGE_SLOTS; i++) {
        tessera_usage_slot *s = slot_at(u->hdr, i);
        int32_t pid = LOAD(&s->pid);
        if (pid <= 0 || pid == g_self.pid || LOAD(&s->pid_ns) != g_self.pid_ns) continue;
        if (tessera_proc_alive(pid, LOAD(&s->start_time))) continue;
        uint64_t got = reclaim_slot(u->hdr, s, pid);
        tessera_log(TESSERA_LOG_INFO, "gpu %d: reclaimed %llu bytes of dead process %d",
                    u->ordinal, (unsigned long long)got, (int)pid);
        bytes += got;
        freed++;
    }
    if (freed_slots) *freed_slots = freed;
    return bytes;
}

/* Claims a free slot: CLAIMING first so a reaper never judges a half-written slot. */
static tessera_usage_slot *claim_slot(tessera_usage_header *h) {
    for (unsigned i = 0; i < TESSERA_USAGE_SLOTS; i++) {
        tessera_usage_slot *s = slot_at(h, i);
        int32_t expected = TESSERA_SLOT_FREE;
        if (LOAD(&s->pid) != TESSERA_SLOT_FREE ||
            !__atomic_compare_exchange_n(&s->pid, &expected, TESSERA_SLOT_CLAIMING, 0,
                                         __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            continue;
        STORE(&s->used_bytes, 0);
        STORE(&s->peak_bytes, 0);
        STORE(&s->oom_count, 0);
        STORE(&s->start_time, g_self.start_time);
        STORE(&s->pid_ns, g_self.pid_ns);
        STORE(&s->pid, (int32_t)g_self.pid);
        return s;
    }
    return NULL;
}

static tessera_usage_slot *register_slot(tessera_usage *u) {
    tessera_usage_slot *s = claim_slot(u->hdr);
    unsigned freed = 0;
    if (s == NULL && (reap_dead(u, &freed), freed > 0)) s = claim_slot(u->hdr);
    if (s != NULL) return s;
    __atomic_add_fetch(&u->hdr->overflow_procs, 1, __ATOMIC_ACQ_REL);
    tessera_log(TESSERA_LOG_WARN, "gpu %d: usage file has no free slot; this process's usage "
                "counts against the limit but is not attributed", u->ordinal);
    memset(&u->overflow_slot, 0, sizeof u->overflow_slot);
    return &u->overflow_slot;
}

/* Registration must precede the first reservation (tessera_usage_open relies on it). */
static tessera_usage_slot *own_slot(tessera_usage *u) {
    tessera_usage_slot *s = LOAD(&u->slot);
    if (__builtin_expect(s != NULL, 1)) return s;
    pthread_mutex_lock(&u->register_lock);
    s = u->slot;
    if (s == NULL) {
        s = register_slot(u);
        STORE(&u->slot, s);
    }
    pthread_mutex_unlock(&u->register_lock);
    return s;
}

/* ---- opening ---------------------------------------------------------------------------- */

static void init_header(tessera_usage_header *h, int ordinal) {
    memset(h, 0, TESSERA_USAGE_FILE_SIZE);
    h->version = TESSERA_USAGE_VERSION;
    h->header_size = sizeof(tessera_usage_header);
    h->slot_size = sizeof(tessera_usage_slot);
    h->slot_count = TESSERA_USAGE_SLOTS;
    h->device_ordinal = ordinal;
    STORE(&h->magic, TESSERA_USAGE_MAGIC);
}

static int header_valid(const tessera_usage_header *h) {
    return h->magic == TESSERA_USAGE_MAGIC && h->version == TESSERA_USAGE_VERSION &&
           h->header_size == sizeof(tessera_usage_header) &&
           h->slot_size == sizeof(tessera_usage_slot) && h->slot_count == TESSERA_USAGE_SLOTS;
}

/*
 * Called under the file lock with no slot of ours yet. If no process is attached (every slot
 * free after reaping) nobody can hold budget or wait for a loan, so any remaining total or
 * wanted figure is a leak from a process killed mid-update: zero it. Every attached process
 * registered before reserving or waiting, so one that is attached shows up in the scan; the
 * CAS against the figure read before the scan catches a process that registers (after fork,
 * without the lock) and reserves or waits meanwhile.
 */
static void reset_if_orphaned(tessera_usage *u) {
    tessera_usage_header *h = u->hdr;
    uint64_t seen = LOAD(&h->used_bytes), wanted = LOAD(&h->wanted_bytes);
    if ((seen == 0 && wanted == 0) || LOAD(&h->overflow_procs) != 0) return;
    for (unsigned i = 0; i < TESSERA_USAGE_SLOTS; i++) {
        if (LOAD(&slot_at(h, i)->pid) != TESSERA_SLOT_FREE) return;
    }
    if (seen != 0 && __atomic_compare_exchange_n(&h->used_bytes, &seen, 0, 0, __ATOMIC_ACQ_REL,
                                                 __ATOMIC_RELAXED))
        tessera_log(TESSERA_LOG_INFO, "gpu %d: reset %llu leaked bytes (no process attached)",
                    u->ordinal, (unsigned long long)seen);
    if (wanted != 0 && __atomic_compare_exchange_n(&h->wanted_bytes, &wanted, 0, 0,
                                                   __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        tessera_log(TESSERA_LOG_INFO, "gpu %d: reset %llu leaked wanted bytes (no process "
                    "attached)", u->ordinal, (unsigned long long)wanted);
}

static tessera_usage_header *map_file(int fd, int ordinal) {
    struct stat st;
    if (fstat(fd, &st) != 0) return NULL;
    if (st.st_size != (off_t)TESSERA_USAGE_FILE_SIZE &&
        ftruncate(fd, (off_t)TESSERA_USAGE_FILE_SIZE) != 0)
        return NULL;
    void *p = mmap(NULL, TESSERA_USAGE_FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return NULL;
    tessera_usage_header *h = p;
    if (!header_valid(h)) init_header(h, ordinal);
    return h;
}

static int fallback_level(void) {
    return __atomic_exchange_n(&g_fallback_logged, 1, __ATOMIC_RELAXED) ? TESSERA_LOG_DEBUG
                                                                         : TESSERA_LOG_WARN;
}

static int open_file(tessera_usage *u, const char *dir) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/gpu-%d.usage", dir, u->ordinal);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
        tessera_log(fallback_level(), "cannot open %s (%s); gpu %d's limit holds per process "
                    "tree only", path, strerror(errno), u->ordinal);
        return -1;
    }
    (void)fchmod(fd, 0666); /* processes of the container may run as different users */
    int locked = 0;
    while (!(locked = flock(fd, LOCK_EX) == 0) && errno == EINTR) {
    }
    u->hdr = map_file(fd, u->ordinal);
    if (u->hdr != NULL) {
        __atomic_store_n(&u->hdr->limit_bytes, u->limit, __ATOMIC_RELEASE);
        __atomic_store_n(&u->hdr->request_bytes, u->request, __ATOMIC_RELEASE);
        reap_dead(u, NULL);
        if (locked) reset_if_orphaned(u);
        u->slot = register_slot(u);
    }
    if (locked) flock(fd, LOCK_UN);
    close(fd); /* the mapping stays valid */
    if (u->hdr == NULL)
        tessera_log(fallback_level(), "cannot map %s; gpu %d's limit holds per process tree only",
                    path, u->ordinal);
    return u->hdr != NULL ? 0 : -1;
}

/* Shared (not private) so forked children keep counting against the same total. */
static void open_fallback(tessera_usage *u) {
    void *p = mmap(NULL, TESSERA_USAGE_FILE_SIZE, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        static uint64_t last_resort[TESSERA_USAGE_FILE_SIZE / sizeof(uint64_t)];
        p = last_resort;
    }
    u->hdr = p;
    init_header(u->hdr, u->ordinal);
    u->hdr->limit_bytes = u->limit;
    u->hdr->request_bytes = u->request;
    u->slot = register_slot(u);
}

void tessera_usage_open(tessera_usage *u, const char *dir, int ordinal, uint64_t limit,
                        uint64_t request) {
    memset(u, 0, sizeof *u);
    pthread_mutex_init(&u->register_lock, NULL);
    pthread_mutex_init(&u->loan_lock, NULL);
    u->ordinal = ordinal;
    u->limit = limit;
    u->request = request;
    if (g_self.pid == 0) tessera_usage_set_identity(getpid());
    u->file_backed = open_file(u, dir) == 0;
    if (!u->file_backed) open_fallback(u);
}

/* ---- read-only views -------------------------------------------------------------------- */

const tessera_usage_header *tessera_usage_map_view(const char *dir, int ordinal, int *absent) {
    char path[PATH_MAX];
    struct stat st;
    *absent = 0;
    snprintf(path, sizeof path, "%s/gpu-%d.usage", dir, ordinal);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *absent = errno == ENOENT;
        return NULL;
    }
    void *p = MAP_FAILED;
    /* A page past the end of a shorter file would fault when read. */
    if (fstat(fd, &st) == 0 && st.st_size == (off_t)TESSERA_USAGE_FILE_SIZE)
        p = mmap(NULL, TESSERA_USAGE_FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
    close(fd); /* the mapping stays valid */
    return p == MAP_FAILED ? NULL : p;
}

void tessera_usage_unmap_view(const tessera_usage_header *h) {
    munmap((void *)h, TESSERA_USAGE_FILE_SIZE);
}

int tessera_usage_view_used(const tessera_usage_header *h, int ordinal, uint64_t *used) {
    if (LOAD(&h->magic) != TESSERA_USAGE_MAGIC || !header_valid(h) || h->device_ordinal != ordinal)
        return 0;
    *used = LOAD(&h->used_bytes);
    return 1;
}

/* ---- fast path -------------------------------------------------------------------------- */

int tessera_usage_reserve(tessera_usage *u, uint64_t bytes) {
    if (__builtin_expect(LOAD(&u->detached), 0)) return 1;
    (void)own_slot(u);
    if (try_reserve(u->hdr, u->limit, bytes)) return 1;
    /* Short of space: dead processes may still hold some. */
    if (reap_dead(u, NULL) == 0) return 0;
    return try_reserve(u->hdr, u->limit, bytes);
}

void tessera_usage_unreserve(tessera_usage *u, uint64_t bytes) {
    if (__builtin_expect(LOAD(&u->detached), 0)) return;
    __atomic_sub_fetch(&u->hdr->used_bytes, bytes, __ATOMIC_ACQ_REL);
}

void tessera_usage_commit(tessera_usage *u, uint64_t bytes) {
    if (__builtin_expect(LOAD(&u->detached), 0)) return;
    tessera_usage_slot *s = own_slot(u);
    raise_peak(s, __atomic_add_fetch(&s->used_bytes, bytes, __ATOMIC_ACQ_REL));
}

void tessera_usage_release(tessera_usage *u, uint64_t bytes) {
    if (__builtin_expect(LOAD(&u->detached), 0)) return;
    tessera_usage_slot *s = own_slot(u);
    __atomic_sub_fetch(&s->used_bytes, bytes, __ATOMIC_ACQ_REL);
    __atomic_sub_fetch(&u->hdr->used_bytes, bytes, __ATOMIC_ACQ_REL);
}

uint64_t tessera_usage_used(const tessera_usage *u) { return LOAD(&u->hdr->used_bytes); }

/* ---- refusals and loan waits (slow path) ------------------------------------------------ */

void tessera_usage_count_oom(tessera_usage *u) {
    if (__builtin_expect(LOAD(&u->detached), 0)) return;
    __atomic_add_fetch(&own_slot(u)->oom_count, 1, __ATOMIC_RELAXED);
}

/*
 * The lock pairs each want with its unwant against tessera_usage_detach: a process that
 * exits while a thread waits takes its wanted bytes out of the file (the waiter, once it
 * sees detached, leaves them alone), so the agent is not left reclaiming for nobody.
 */
int tessera_usage_want(tessera_usage *u, uint64_t bytes) {
    pthread_mutex_lock(&u->loan_lock);
    int ok = !LOAD(&u->detached);
    if (ok) {
        tessera_usage_slot *s = own_slot(u); /* registered before wanting: reset_if_orphaned
                                               * relies on it */
        u->wanting += bytes;
        __atomic_add_fetch(&u->hdr->wanted_bytes, bytes, __ATOMIC_ACQ_REL);
        __atomic_add_fetch(&s->wanted_bytes, bytes, __ATOMIC_ACQ_REL);
    }
    pthread_mutex_unlock(&u->loan_lock);
    return ok;
}

void tessera_usage_unwant(tessera_usage *u, uint64_t bytes) {
    pthread_mutex_lock(&u->loan_lock);
    if (!LOAD(&u->detached)) {
        u->wanting -= bytes;
        __atomic_sub_fetch(&own_slot(u)->wanted_bytes, bytes, __ATOMIC_ACQ_REL);
        __atomic_sub_fetch(&u->hdr->wanted_bytes, bytes, __ATOMIC_ACQ_REL);
    }
    pthread_mutex_unlock(&u->loan_lock);
}

/* ---- lifecycle -------------------------------------------------------------------------- */

/* The child's threads are not the parent's waiters: the parent's wanted bytes stay its own. */
void tessera_usage_after_fork_child(tessera_usage *u, pid_t pid) {
    (void)pid;
    pthread_mutex_init(&u->register_lock, NULL);
    pthread_mutex_init(&u->loan_lock, NULL);
    u->slot = NULL;
    u->wanting = 0;
}

void tessera_usage_detach(tessera_usage *u) {
    if (u->hdr == NULL) return;
    pthread_mutex_lock(&u->loan_lock);
    STORE(&u->detached, 1);
    tessera_usage_slot *own = LOAD(&u->slot);
    if (own != NULL) __atomic_sub_fetch(&own->wanted_bytes, u->wanting, __ATOMIC_ACQ_REL);
    __atomic_sub_fetch(&u->hdr->wanted_bytes, u->wanting, __ATOMIC_ACQ_REL);
    u->wanting = 0;
    pthread_mutex_unlock(&u->loan_lock);
    tessera_usage_slot *s = LOAD(&u->slot);
    if (s == &u->overflow_slot) {
        __atomic_sub_fetch(&u->hdr->used_bytes, __atomic_exchange_n(&s->used_bytes, 0, __ATOMIC_ACQ_REL),
                           __ATOMIC_ACQ_REL);
        __atomic_sub_fetch(&u->hdr->overflow_procs, 1, __ATOMIC_ACQ_REL);
    } else if (s != NULL && LOAD(&s->pid) == (int32_t)g_self.pid) {
        reclaim_slot(u->hdr, s, (int32_t)g_self.pid);
    }
}
