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

/* ---- the lock ----------------------------------------------------------------------------- */

/*
 * Called with the lock held after its owner died inside it (or at open): every change is
 * made under the lock, slot and header together, so the slots are the truth and the header
 * is their sum. A slot whose owner died stays until it is reaped, bytes and all; a slot left
 * half-claimed is freed.
 */
static void recount(tessera_usage_header *h, const tessera_usage_lock *l) {
    uint64_t used = l->unattributed, wanted = l->unattributed_wanted;
    for (unsigned i = 0; i < TESSERA_USAGE_SLOTS; i++) {
        tessera_usage_slot *s = slot_at(h, i);
        int32_t pid = LOAD(&s->pid);
        if (pid == TESSERA_SLOT_CLAIMING || pid == TESSERA_SLOT_RECLAIMING) {
            /* Claims happen under the lock, so none is under way: this one's process died
             * mid-claim (or an older library's reaper died mid-reap). Nobody owns it. */
            memset((char *)s + sizeof s->pid, 0, sizeof *s - sizeof s->pid);
            STORE(&s->pid, TESSERA_SLOT_FREE);
            continue;
        }
        if (pid == TESSERA_SLOT_FREE) continue;
        used += LOAD(&s->used_bytes);
        wanted += LOAD(&s->wanted_bytes);
    }
    STORE(&h->used_bytes, used);
    STORE(&h->wanted_bytes, wanted);
}

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

/* Critical sections are a handful of stores, never a driver call or a system call: spin a
 * little before sleeping in the kernel. */
#define LOCK_SPINS 256

/* 1 when held (unlock with unlock_usage), 0 if the lock is beyond repair (then the caller
 * updates without it, as the library did before it had one; logged once). */
static int lock_usage(tessera_usage *u) {
    pthread_mutex_t *m = &u->lock->mutex;
    int rc = EBUSY;
    for (int i = 0; i < LOCK_SPINS && rc == EBUSY; i++) {
        rc = pthread_mutex_trylock(m);
        if (rc == EBUSY) cpu_relax();
    }
    if (rc == EBUSY) rc = pthread_mutex_lock(m);
    if (rc == EOWNERDEAD) {
        recount(u->hdr, u->lock);
        pthread_mutex_consistent(m);
        tessera_log(TESSERA_LOG_INFO, "gpu %d: a process died holding the usage lock; totals "
                    "recounted from the slots", u->ordinal);
        return 1;
    }
    if (rc == 0) return 1;
    static int logged;
    if (!__atomic_exchange_n(&logged, 1, __ATOMIC_RELAXED))
        tessera_log(TESSERA_LOG_ERROR, "gpu %d: usage lock unusable (%s); updating without it",
                    u->ordinal, strerror(rc));
    return 0;
}

static void unlock_usage(tessera_usage *u, int held) {
    if (held) pthread_mutex_unlock(&u->lock->mutex);
}

static void init_lock(tessera_usage_lock *l) {
    pthread_mutexattr_t attr;
    memset(l, 0, sizeof *l);
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&l->mutex, &attr);
    pthread_mutexattr_destroy(&attr);
    l->size = sizeof *l;
    STORE(&l->magic, TESSERA_LOCK_MAGIC);
}

/* ---- under the lock ----------------------------------------------------------------------- */

static void raise_peak(tessera_usage_slot *s, uint64_t used) {
    if (used > LOAD(&s->peak_bytes)) STORE(&s->peak_bytes, used);
}

static int is_overflow(const tessera_usage *u, const tessera_usage_slot *s) {
    return s == &u->overflow_slot;
}

/* Adds to the slot and the total in one step; with `check`, only if the total stays within
 * the limit. */
static int charge_locked(tessera_usage *u, tessera_usage_slot *s, uint64_t bytes, int check) {
    tessera_usage_header *h = u->hdr;
    uint64_t cur = LOAD(&h->used_bytes);
    if (check && (bytes > u->limit || cur > u->limit - bytes)) return 0;
    uint64_t mine = LOAD(&s->used_bytes) + bytes;
    STORE(&s->used_bytes, mine);
    raise_peak(s, mine);
    if (is_overflow(u, s)) STORE(&u->lock->unattributed, LOAD(&u->lock->unattributed) + bytes);
    STORE(&h->used_bytes, cur + bytes);
    return 1;
}

/* Never takes more than the slot holds, so the total stays the sum of the slots. */
static void discharge_locked(tessera_usage *u, tessera_usage_slot *s, uint64_t bytes) {
    uint64_t mine = LOAD(&s->used_bytes);
    if (bytes > mine) bytes = mine;
    STORE(&s->used_bytes, mine - bytes);
    if (is_overflow(u, s)) STORE(&u->lock->unattributed, LOAD(&u->lock->unattributed) - bytes);
    STORE(&u->hdr->used_bytes, LOAD(&u->hdr->used_bytes) - bytes);
}

static void want_locked(tessera_usage *u, tessera_usage_slot *s, uint64_t bytes, int add) {
    uint64_t mine = LOAD(&s->wanted_bytes);
    if (!add && bytes > mine) bytes = mine;
    STORE(&s->wanted_bytes, add ? mine + bytes : mine - bytes);
    if (is_overflow(u, s)) {
        uint64_t un = LOAD(&u->lock->unattributed_wanted);
        STORE(&u->lock->unattributed_wanted, add ? un + bytes : un - bytes);
    }
    uint64_t total = LOAD(&u->hdr->wanted_bytes);
    STORE(&u->hdr->wanted_bytes, add ? total + bytes : total - bytes);
}

/* Empties a slot (its owner is gone, or is this process detaching): its bytes and wanted
 * bytes leave the header in the same step. */
static uint64_t empty_slot_locked(tessera_usage *u, tessera_usage_slot *s) {
    uint64_t bytes = LOAD(&s->used_bytes);
    discharge_locked(u, s, bytes);
    want_locked(u, s, LOAD(&s->wanted_bytes), 0);
    STORE(&s->peak_bytes, 0);
    STORE(&s->start_time, 0);
    STORE(&s->pid_ns, 0);
    STORE(&s->oom_count, 0);
    STORE(&s->swapped_bytes, 0); /* the host copies went with the process */
    STORE(&s->flags, 0);
    STORE(&s->pid, TESSERA_SLOT_FREE);
    return bytes;
}

/* ---- slots (slow path) ------------------------------------------------------------------ */

/*
 * Reclaims the slots of dead processes in our pid namespace (a pid from another namespace
 * means nothing to kill(2) here, so those are left alone). Liveness is judged outside the
 * lock (it reads /proc); the slot is emptied under it only if the same pid still holds it.
 * Returns bytes given back; *freed_slots counts emptied slots.
 */
static uint64_t reap_dead(tessera_usage *u, unsigned *freed_slots) {
    uint64_t bytes = 0;
    unsigned freed = 0;
    for (unsigned i = 0; i < TESSERA_USAGE_SLOTS; i++) {
        tessera_usage_slot *s = slot_at(u->hdr, i);
        int32_t pid = LOAD(&s->pid);
        if (pid <= 0 || pid == g_self.pid || LOAD(&s->pid_ns) != g_self.pid_ns) continue;
        if (tessera_proc_alive(pid, LOAD(&s->start_time))) continue;
        int held = lock_usage(u);
        int same = LOAD(&s->pid) == pid;
        uint64_t got = same ? empty_slot_locked(u, s) : 0;
        unlock_usage(u, held);
        if (!same) continue;
        tessera_log(TESSERA_LOG_INFO, "gpu %d: reclaimed %llu bytes of dead process %d",
                    u->ordinal, (unsigned long long)got, (int)pid);
        bytes += got;
        freed++;
    }
    if (freed_slots) *freed_slots = freed;
    return bytes;
}

/* Claims a free slot, under the lock: CLAIMING first so a reader never takes a half-written
 * slot for a tenant. */
static tessera_usage_slot *claim_slot(tessera_usage *u) {
    tessera_usage_slot *found = NULL;
    int held = lock_usage(u);
    for (unsigned i = 0; i < TESSERA_USAGE_SLOTS && found == NULL && !LOAD(&u->detached); i++) {
        tessera_usage_slot *s = slot_at(u->hdr, i);
        if (LOAD(&s->pid) != TESSERA_SLOT_FREE) continue;
        STORE(&s->pid, TESSERA_SLOT_CLAIMING);
        STORE(&s->used_bytes, 0);
        STORE(&s->peak_bytes, 0);
        STORE(&s->oom_count, 0);
        STORE(&s->wanted_bytes, 0);
        STORE(&s->swapped_bytes, 0);
        STORE(&s->flags, 0);
        STORE(&s->start_time, g_self.start_time);
        STORE(&s->pid_ns, g_self.pid_ns);
        STORE(&s->pid, (int32_t)g_self.pid);
        found = s;
    }
    unlock_usage(u, held);
    return found;
}

/* NULL once detached: a thread that gets here after the process began to exit must not leave
 * a slot behind (every user of the slot checks `detached` under the lock first). */
static tessera_usage_slot *register_slot(tessera_usage *u) {
    if (LOAD(&u->detached)) return NULL;
    tessera_usage_slot *s = claim_slot(u);
    if (s == NULL && LOAD(&u->detached)) return NULL;
    unsigned freed = 0;
    if (s == NULL && (reap_dead(u, &freed), freed > 0)) s = claim_slot(u);
    if (s != NULL) return s;
    __atomic_add_fetch(&u->hdr->overflow_procs, 1, __ATOMIC_ACQ_REL);
    tessera_log(TESSERA_LOG_WARN, "gpu %d: usage file has no free slot; this process's usage "
                "counts against the limit but is not attributed", u->ordinal);
    memset(&u->overflow_slot, 0, sizeof u->overflow_slot);
    return &u->overflow_slot;
}

/* Registration precedes the first reservation: every byte in the total has a slot (or the
 * lock file's unattributed figure) to come back from. */
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
 * Called with the lock held and no slot of ours yet. The header is recounted from the slots
 * (a no-op when every process kept the protocol; it repairs a file from an older library).
 * With no process attached that lacks a slot (overflow_procs 0), nothing can be unattributed:
 * a leftover is a leak from a process that was killed, and goes.
 */
static void settle_at_open(tessera_usage *u) {
    tessera_usage_header *h = u->hdr;
    tessera_usage_lock *l = u->lock;
    uint64_t before = LOAD(&h->used_bytes), wanted_before = LOAD(&h->wanted_bytes);
    if (LOAD(&h->overflow_procs) == 0) {
        STORE(&l->unattributed, 0);
        STORE(&l->unattributed_wanted, 0);
    }
    recount(h, l);
    uint64_t after = LOAD(&h->used_bytes), wanted_after = LOAD(&h->wanted_bytes);
    if (after != before || wanted_after != wanted_before)
        tessera_log(TESSERA_LOG_INFO, "gpu %d: recounted the usage file from its slots: used "
                    "%llu -> %llu, wanted %llu -> %llu", u->ordinal, (unsigned long long)before,
                    (unsigned long long)after, (unsigned long long)wanted_before,
                    (unsigned long long)wanted_after);
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

/* Under the usage file's flock, so one process initialises the mutex. */
static tessera_usage_lock *map_lock_file(const char *dir, int ordinal) {
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s/gpu-%d.lock", dir, ordinal);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) return NULL;
    (void)fchmod(fd, 0666);
    void *p = MAP_FAILED;
    if (fstat(fd, &st) == 0 &&
        (st.st_size == (off_t)sizeof(tessera_usage_lock) ||
         ftruncate(fd, (off_t)sizeof(tessera_usage_lock)) == 0))
        p = mmap(NULL, sizeof(tessera_usage_lock), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return NULL;
    tessera_usage_lock *l = p;
    if (LOAD(&l->magic) != TESSERA_LOCK_MAGIC || l->size != sizeof *l) init_lock(l);
    return l;
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
    u->lock = u->hdr != NULL ? map_lock_file(dir, u->ordinal) : NULL;
    if (u->lock == NULL && u->hdr != NULL) {
        munmap(u->hdr, TESSERA_USAGE_FILE_SIZE);
        u->hdr = NULL;
    }
    if (u->hdr != NULL) {
        STORE(&u->hdr->limit_bytes, u->limit);
        STORE(&u->hdr->request_bytes, u->request);
        reap_dead(u, NULL);
        int held = lock_usage(u);
        settle_at_open(u);
        unlock_usage(u, held);
        u->slot = register_slot(u);
    }
    if (locked) flock(fd, LOCK_UN);
    close(fd); /* the mappings stay valid */
    if (u->hdr == NULL)
        tessera_log(fallback_level(), "cannot map %s or its lock file; gpu %d's limit holds "
                    "per process tree only", path, u->ordinal);
    return u->hdr != NULL ? 0 : -1;
}

/* Shared (not private) so forked children keep counting against the same total. */
static void open_fallback(tessera_usage *u) {
    void *p = mmap(NULL, TESSERA_USAGE_FILE_SIZE, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    void *l = mmap(NULL, sizeof(tessera_usage_lock), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || l == MAP_FAILED) {
        static uint64_t last_resort[TESSERA_USAGE_FILE_SIZE / sizeof(uint64_t)];
        static tessera_usage_lock last_resort_lock;
        p = last_resort;
        l = &last_resort_lock;
    }
    u->hdr = p;
    u->lock = l;
    init_header(u->hdr, u->ordinal);
    init_lock(u->lock);
    u->hdr->limit_bytes = u->limit;
    u->hdr->request_bytes = u->request;
    u->slot = register_slot(u);
}

void tessera_usage_open(tessera_usage *u, const char *dir, int ordinal, uint64_t limit,
                        uint64_t request) {
    memset(u, 0, sizeof *u);
    pthread_mutex_init(&u->register_lock, NULL);
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

static int charge(tessera_usage *u, uint64_t bytes, int check) {
    tessera_usage_slot *s = own_slot(u);
    int held = lock_usage(u);
    int ok = LOAD(&u->detached) || charge_locked(u, s, bytes, check);
    unlock_usage(u, held);
    return ok;
}

int tessera_usage_reserve(tessera_usage *u, uint64_t bytes) {
    if (__builtin_expect(LOAD(&u->detached), 0)) return 1;
    if (charge(u, bytes, 1)) return 1;
    /* Short of space: dead processes may still hold some. */
    if (reap_dead(u, NULL) == 0) return 0;
    return charge(u, bytes, 1);
}

void tessera_usage_force(tessera_usage *u, uint64_t bytes) {
    if (__builtin_expect(LOAD(&u->detached), 0)) return;
    (void)charge(u, bytes, 0);
}

void tessera_usage_release(tessera_usage *u, uint64_t bytes) {
    if (__builtin_expect(LOAD(&u->detached), 0)) return;
    tessera_usage_slot *s = own_slot(u);
    int held = lock_usage(u);
    if (!LOAD(&u->detached)) discharge_locked(u, s, bytes);
    unlock_usage(u, held);
}

uint64_t tessera_usage_used(const tessera_usage *u) { return LOAD(&u->hdr->used_bytes); }

tessera_pacing_shared *tessera_usage_pacing(tessera_usage *u) { return &u->lock->pacing; }

/* ---- refusals and loan waits (slow path) ------------------------------------------------ */

void tessera_usage_count_oom(tessera_usage *u) {
    if (__builtin_expect(LOAD(&u->detached), 0)) return;
    tessera_usage_slot *s = own_slot(u);
    int held = lock_usage(u);
    if (!LOAD(&u->detached)) STORE(&s->oom_count, LOAD(&s->oom_count) + 1);
    unlock_usage(u, held);
}

/*
 * Under the lock, like the bytes: a process that exits while a thread waits takes its wanted
 * bytes out with its slot (the waiter, once it sees detached, leaves them alone), and one
 * killed mid-wait leaves them in its slot for the reaper, so the agent is never left
 * reclaiming for nobody.
 */
int tessera_usage_want(tessera_usage *u, uint64_t bytes) {
    if (LOAD(&u->detached)) return 0;
    tessera_usage_slot *s = own_slot(u);
    int held = lock_usage(u);
    int ok = !LOAD(&u->detached);
    if (ok) want_locked(u, s, bytes, 1);
    unlock_usage(u, held);
    return ok;
}

void tessera_usage_unwant(tessera_usage *u, uint64_t bytes) {
    if (LOAD(&u->detached)) return;
    tessera_usage_slot *s = own_slot(u);
    int held = lock_usage(u);
    if (!LOAD(&u->detached)) want_locked(u, s, bytes, 0);
    unlock_usage(u, held);
}

/* ---- swap (slow path) ------------------------------------------------------------------- */

/* Under the lock: what the container's processes hold in host memory for this GPU. A dead
 * process's slot still counts until it is reaped (its host memory is gone, but the slot says
 * what it held until then, like its bytes). */
static uint64_t swapped_locked(tessera_usage *u) {
    uint64_t sum = 0;
    for (unsigned i = 0; i < TESSERA_USAGE_SLOTS; i++) {
        tessera_usage_slot *s = slot_at(u->hdr, i);
        if (LOAD(&s->pid) > 0) sum += LOAD(&s->swapped_bytes);
    }
    return sum;
}

static int swap_reserve_once(tessera_usage *u, uint64_t bytes, uint64_t budget,
                             uint64_t *in_use) {
    tessera_usage_slot *s = own_slot(u);
    int held = lock_usage(u);
    int ok = 0;
    *in_use = 0;
    if (!LOAD(&u->detached) && s != NULL && !is_overflow(u, s)) {
        *in_use = swapped_locked(u);
        ok = bytes <= budget && *in_use <= budget - bytes;
        if (ok) STORE(&s->swapped_bytes, LOAD(&s->swapped_bytes) + bytes);
    }
    unlock_usage(u, held);
    return ok;
}

int tessera_usage_swap_reserve(tessera_usage *u, uint64_t bytes, uint64_t budget,
                               uint64_t *in_use) {
    if (LOAD(&u->detached)) return 0;
    if (swap_reserve_once(u, bytes, budget, in_use)) return 1;
    unsigned freed = 0;
    reap_dead(u, &freed); /* a dead process's slot may still say it holds host memory */
    return freed > 0 && swap_reserve_once(u, bytes, budget, in_use);
}

void tessera_usage_swap_release(tessera_usage *u, uint64_t bytes) {
    if (LOAD(&u->detached)) return;
    tessera_usage_slot *s = own_slot(u);
    int held = lock_usage(u);
    if (!LOAD(&u->detached) && s != NULL && !is_overflow(u, s)) {
        uint64_t mine = LOAD(&s->swapped_bytes);
        STORE(&s->swapped_bytes, mine - (bytes < mine ? bytes : mine));
    }
    unlock_usage(u, held);
}

void tessera_usage_set_flags(tessera_usage *u, uint32_t set, uint32_t clear) {
    if (LOAD(&u->detached)) return;
    tessera_usage_slot *s = own_slot(u);
    int held = lock_usage(u);
    if (!LOAD(&u->detached) && s != NULL)
        STORE(&s->flags, (LOAD(&s->flags) & ~clear) | set);
    unlock_usage(u, held);
}

/* ---- lifecycle -------------------------------------------------------------------------- */

/* The child's threads are not the parent's: none of the parent's reservations, wanted bytes or
 * slot are its own. It registers a slot of its own on its first allocation. */
void tessera_usage_after_fork_child(tessera_usage *u, pid_t pid) {
    (void)pid;
    pthread_mutex_init(&u->register_lock, NULL);
    u->slot = NULL;
}

/* Everything this process put in the header is in its slot, in-flight reservations and
 * wanted bytes included: emptying the slot under the lock takes out exactly that. Threads
 * still running find `detached` set under the same lock and leave the file alone. */
void tessera_usage_detach(tessera_usage *u) {
    if (u->hdr == NULL) return;
    int held = lock_usage(u);
    STORE(&u->detached, 1);
    tessera_usage_slot *s = LOAD(&u->slot);
    if (s != NULL && is_overflow(u, s)) {
        discharge_locked(u, s, LOAD(&s->used_bytes));
        want_locked(u, s, LOAD(&s->wanted_bytes), 0);
        __atomic_sub_fetch(&u->hdr->overflow_procs, 1, __ATOMIC_ACQ_REL);
    } else if (s != NULL && LOAD(&s->pid) == (int32_t)g_self.pid) {
        empty_slot_locked(u, s);
    }
    unlock_usage(u, held);
}
