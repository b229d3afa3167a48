/*
 * Compute shares (TESSERA_GPU_COMPUTE_SHARES): time-slicing the library enforces on kernel
 * launches, so that a fractional pod gets at least its fraction of a GPU's time when its
 * neighbours are busy, and the whole GPU when they are not.
 *
 * The bucket: per container and GPU, in the lock file beside the usage file (so all the
 * container's processes draw on one), a count of GPU nanoseconds refilled at share x wall
 * time, capped at share x BURST_NS. Every launch (cuLaunchKernel, cuLaunchKernelEx,
 * cuLaunchCooperativeKernel, their _ptsz forms, cuGraphLaunch(_ptsz)) is charged its estimated
 * GPU time before it reaches the driver.
 *
 * The estimate: measured, with a pair of CUDA events recorded around the launch on its stream
 * (every launch of a kernel until it has WARMUP measurements, then one in SAMPLE_EVERY and at
 * least one every SAMPLE_GAP_NS; a launch finding all PAIRS pairs in flight is not measured),
 * read back later
 * without waiting (cuEventQuery, cuEventElapsedTime). Elapsed time between the events is the
 * kernel's time plus any time the GPU spent on other tenants' work meanwhile, so a kernel's
 * estimate is the least it has been measured to take (rising only slowly, 1/32 of the gap per
 * measurement, should the kernel's work really grow): its own time.
 *
 * Contention, the feedback: a measurement above the estimate by more than noise (1/16 of it
 * plus 50 us) means the kernel waited for someone else's work: another tenant wants the GPU. For
 * CONTENDED_FOR_NS after that the bucket is enforced - a launch finding it in debt sleeps
 * (in steps of at most MAX_HOLD_STEP_NS) until the refill pays the debt. While nothing waits,
 * debt is forgiven at once: a tenant alone on the GPU is never slowed.
 *
 * So under contention each paced tenant takes at most its share of GPU time, and since the
 * shares the scheduler hands out add up to at most 1, each gets at least its own; tenants
 * without a share (not paced) are the one way to take more.
 *
 * Dynamic shares: the share in force is the larger of the container's own (the environment's,
 * read once) and the one the node agent writes in gpu-<ordinal>.compute (pacing.h) while its
 * lease lasts. The agent raises it to lend a busy tenant the shares its idle neighbours leave
 * unused and lowers it to give them back; it can never take a tenant below its own. The file is
 * looked at by one launch per SHARE_LOOK_NS per process and device; every other launch reads the
 * share in force with one atomic load. Launches add their charge to the file too, which is how
 * the agent sees what each tenant uses.
 */
#include "pacing.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "driver.h"
#include "log.h"
#include "ptr_table.h"
#include "tessera_cuda.h"
#include "usage.h"

#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)

#define PAIRS 32                      /* launches being measured at once, per device */
#define SAMPLE_EVERY 16               /* one launch in this many is measured, */
#define WARMUP 8                      /* every launch until a kernel has this many measurements */
#define BURST_NS 20000000ull          /* 20 ms of GPU time at a full share */
#define SAMPLE_GAP_NS 10000000ull     /* and one at least every 10 ms */
#define CONTENDED_FOR_NS 500000000ull /* pacing stays on this long after a wait was seen */
#define MAX_HOLD_STEP_NS 5000000ull   /* a held launch looks again at least this often */
#define REFILL_GRAIN_NS 10000ull      /* refills closer together than this are skipped */
#define WAIT_SLACK_NS 50000ull        /* measurement noise tolerated before calling it a wait, */
#define WAIT_SLACK_SHIFT 4            /* plus 1/16 of the kernel's time */
#define SHARE_LOOK_NS 100000000ull    /* the agent's share is looked at this often */
#define FULL_SHARE 100u               /* percent: the whole GPU, never held */

typedef struct event_pair {
    CUevent start, end;
    uint64_t key;
    int busy;
    int queued;       /* the start event was still ahead of the GPU when the kernel was queued */
    uint64_t host_ns; /* how long the host took from recording the start event to the launch */
} event_pair;

/* Per device, in this process: the events measuring launches. */
typedef struct device_pacing {
    pthread_mutex_t lock;
    int created;             /* 1: events made; -1: they cannot be (never measure) */
    event_pair pairs[PAIRS];
    int pending[PAIRS];      /* pairs whose end event is recorded, oldest first */
    int head, count;
    uint64_t launches;       /* sampling counter */
    uint64_t sampled_ns;     /* when a launch was last measured */
} device_pacing;

static device_pacing g_dp[TESSERA_MAX_DEVICES] = {
    [0 ... TESSERA_MAX_DEVICES - 1] = {.lock = PTHREAD_MUTEX_INITIALIZER}};

/* Per device, in this process: the agent's share as last looked at. A fork child keeps its
 * parent's mapping (MAP_SHARED), so this needs no reset after fork. */
typedef struct share_view {
    pthread_mutex_t lock;         /* one look at a time (trylock: a launch never waits for it) */
    tessera_compute_file *file;   /* mapped once it could be made; NULL before */
    uint64_t next_look_ns;        /* CLOCK_MONOTONIC of the next look */
    uint32_t effective;           /* the share in force, percent; 0 before the first look */
    int warned;                   /* the file could not be made: said once */
} share_view;

static share_view g_share[TESSERA_MAX_DEVICES] = {
    [0 ... TESSERA_MAX_DEVICES - 1] = {.lock = PTHREAD_MUTEX_INITIALIZER}};

#define REAL(name) (tessera_driver_get()->name)

static void nap(uint64_t ns) {
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    nanosleep(&ts, NULL);
}

/* ---- the bucket (shared by the container's processes; atomics only) --------------------- */

static void refill(tessera_pacing_shared *p, uint64_t now, uint32_t share) {
    uint64_t last = LOAD(&p->refilled_ns);
    if (last != 0 && now < last + REFILL_GRAIN_NS) return;
    if (!__atomic_compare_exchange_n(&p->refilled_ns, &last, now, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_RELAXED))
        return; /* another launch refilled for this interval */
    if (last == 0 || now <= last) return;
    int64_t add = (int64_t)((now - last) * share / 100);
    int64_t cap = (int64_t)(BURST_NS * share / 100);
    int64_t cur = LOAD(&p->tokens_ns), want;
    do {
        want = cur + add > cap ? cap : cur + add;
    } while (!__atomic_compare_exchange_n(&p->tokens_ns, &cur, want, 1, __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
}

static int contended(tessera_pacing_shared *p, uint64_t now) {
    return now < LOAD(&p->contended_until_ns);
}

/* Holds the launch while the container is in debt and someone else wants the GPU. `now` is
 * the caller's clock reading; a share of the whole GPU is never held. */
static void hold(tessera_pacing_shared *p, uint32_t share, uint64_t now,
                 tessera_compute_file *f) {
    if (share >= FULL_SHARE) return;
    for (;;) {
        refill(p, now, share);
        int64_t tokens = LOAD(&p->tokens_ns);
        if (tokens >= 0 || !contended(p, now)) return;
        uint64_t wait = (uint64_t)(-tokens) * 100 / share;
        if (wait > MAX_HOLD_STEP_NS) wait = MAX_HOLD_STEP_NS;
        nap(wait);
        uint64_t held = tessera_now_ns() - now;
        __atomic_add_fetch(&p->held_ns, held, __ATOMIC_RELAXED);
        if (f != NULL) __atomic_add_fetch(&f->held_ns, held, __ATOMIC_RELAXED);
        now = tessera_now_ns();
    }
}

static void charge(tessera_pacing_shared *p, uint64_t cost, uint32_t share,
                   tessera_compute_file *f) {
    if (cost == 0) return;
    __atomic_add_fetch(&p->charged_ns, cost, __ATOMIC_RELAXED);
    if (f != NULL) __atomic_add_fetch(&f->charged_ns, cost, __ATOMIC_RELAXED);
    int64_t cur = __atomic_sub_fetch(&p->tokens_ns, (int64_t)cost, __ATOMIC_ACQ_REL);
    /* Nobody else waits for the GPU, or the agent lent the whole of it: the debt is forgiven.
     * A tenant alone is never held, nor left owing for the time it was let run free. */
    while (cur < 0 && (share >= FULL_SHARE || !contended(p, tessera_now_ns())) &&
           !__atomic_compare_exchange_n(&p->tokens_ns, &cur, 0, 1, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
    }
}

/* ---- the agent's share (gpu-<ordinal>.compute) -------------------------------------------- */

static uint64_t realtime_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Maps (making it if need be) the device's compute file; NULL when it cannot be, said once. */
static tessera_compute_file *map_compute_file(share_view *v, int device, uint32_t own) {
    const char *dir = tessera_config_get()->usage_dir;
    char path[PATH_MAX];
    if (dir[0] == '\0' ||
        snprintf(path, sizeof path, "%s/gpu-%d.compute", dir, device) >= (int)sizeof path)
        return NULL;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
    tessera_compute_file *f = MAP_FAILED;
    if (fd >= 0) {
        (void)fchmod(fd, 0666); /* the agent, and processes running as other users, open it too */
        int locked;
        while (!(locked = flock(fd, LOCK_EX) == 0) && errno == EINTR) {
        }
        struct stat st;
        if (fstat(fd, &st) == 0 &&
            (st.st_size >= (off_t)sizeof *f || ftruncate(fd, sizeof *f) == 0))
            f = mmap(NULL, sizeof *f, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (f != MAP_FAILED && LOAD(&f->magic) != TESSERA_COMPUTE_MAGIC) {
            __atomic_store_n(&f->version, TESSERA_COMPUTE_VERSION, __ATOMIC_RELAXED);
            __atomic_store_n(&f->magic, TESSERA_COMPUTE_MAGIC, __ATOMIC_RELEASE);
        }
        if (f != MAP_FAILED) __atomic_store_n(&f->guaranteed, own, __ATOMIC_RELEASE);
        if (locked) flock(fd, LOCK_UN);
        close(fd);
    }
    if (f != MAP_FAILED) return f;
    if (!v->warned) {
        v->warned = 1;
        tessera_log(TESSERA_LOG_WARN, "cannot make %s (%s); the compute share on device %d stays "
                    "at %u%%, whatever the node agent lends", path, strerror(errno), device, own);
    }
    return NULL;
}

/* Reads the agent's share: the larger of the container's own and the agent's, while its lease
 * lasts. Under v->lock. */
static void look(share_view *v, int device, uint32_t own) {
    tessera_compute_file *f = v->file;
    if (f == NULL) {
        f = map_compute_file(v, device, own);
        if (f != NULL) __atomic_store_n(&v->file, f, __ATOMIC_RELEASE);
    }
    uint32_t share = own;
    if (f != NULL) {
        uint64_t lease = LOAD(&f->lease_until_ms);
        uint32_t agent = LOAD(&f->effective);
        if (lease != 0 && realtime_ms() < lease && agent > share)
            share = agent > FULL_SHARE ? FULL_SHARE : agent;
    }
    uint32_t was = LOAD(&v->effective);
    if (was != share && was != 0)
        tessera_log(TESSERA_LOG_DEBUG, "compute share on device %d: %u%% (own %u%%, was %u%%)",
                    device, share, own, was);
    __atomic_store_n(&v->effective, share, __ATOMIC_RELEASE);
}

/* The share in force on `device`: one atomic load, and a look at the file once per
 * SHARE_LOOK_NS by whichever launch comes first. */
static uint32_t share_in_force(int device, uint32_t own, uint64_t now) {
    share_view *v = &g_share[device];
    uint64_t next = LOAD(&v->next_look_ns);
    if (now >= next &&
        __atomic_compare_exchange_n(&v->next_look_ns, &next, now + SHARE_LOOK_NS, 0,
                                    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED) &&
        pthread_mutex_trylock(&v->lock) == 0) {
        look(v, device, own);
        pthread_mutex_unlock(&v->lock);
    }
    uint32_t share = LOAD(&v->effective);
    return share >= own ? share : own;
}

/* ---- measuring ---------------------------------------------------------------------------- */

static void create_events(device_pacing *dp) {
    cuEventCreate_fn create = REAL(cuEventCreate);
    dp->created = -1;
    if (create == NULL) return;
    for (int i = 0; i < PAIRS; i++) {
        if (create(&dp->pairs[i].start, 0) != CUDA_SUCCESS ||
            create(&dp->pairs[i].end, 0) != CUDA_SUCCESS) {
            tessera_log(TESSERA_LOG_WARN, "cannot create CUDA events to measure kernels; "
                        "compute shares are not enforced on this device");
            return;
        }
    }
    dp->created = 1;
}

static int start_measure(device_pacing *dp, uint64_t key, CUstream stream, int ptsz) {
    cuEventRecord_fn record = ptsz ? REAL(cuEventRecord_ptsz) : REAL(cuEventRecord);
    int idx = -1;
    pthread_mutex_lock(&dp->lock);
    if (dp->created == 0) create_events(dp);
    for (int i = 0; dp->created == 1 && i < PAIRS && idx < 0; i++) {
        if (dp->pairs[i].busy) continue;
        dp->pairs[i].busy = 1;
        dp->pairs[i].key = key;
        idx = i;
    }
    pthread_mutex_unlock(&dp->lock);
    if (idx >= 0 && (record == NULL || record(dp->pairs[idx].start, stream) != CUDA_SUCCESS)) {
        __atomic_store_n(&dp->pairs[idx].busy, 0, __ATOMIC_RELEASE);
        idx = -1;
    }
    return idx;
}

/* A measurement came back: the estimate is the least the kernel took; more than that by a
 * margin means it waited for someone else. On an idle stream the GPU reaches the start event
 * at once, so the elapsed time also holds however long the host took to launch the kernel
 * (it may have been descheduled): that part is not counted as waiting. */
static void learn(tessera_pacing_shared *p, uint64_t key, uint64_t took, const event_pair *e) {
    tessera_alloc est, stale;
    uint64_t now = tessera_now_ns();
    if (!tessera_ptr_get(key, TESSERA_KIND_KERNEL, &est)) {
        est = (tessera_alloc){.size = took, .kind = TESSERA_KIND_KERNEL, .refs = 1};
    } else {
        if (est.refs < WARMUP) est.refs++;
        uint64_t excess = took > est.size ? took - est.size : 0;
        if (!e->queued) excess = excess > e->host_ns ? excess - e->host_ns : 0;
        if (excess > (est.size >> WAIT_SLACK_SHIFT) + WAIT_SLACK_NS) {
            tessera_log(TESSERA_LOG_DEBUG, "kernel %#llx waited: took %llu ns, estimate %llu, "
                        "host %llu, %s", (unsigned long long)key, (unsigned long long)took,
                        (unsigned long long)est.size, (unsigned long long)e->host_ns,
                        e->queued ? "queued" : "idle stream");
            uint64_t until = now + CONTENDED_FOR_NS, cur = LOAD(&p->contended_until_ns);
            while (cur < until && !__atomic_compare_exchange_n(&p->contended_until_ns, &cur,
                                                               until, 1, __ATOMIC_ACQ_REL,
                                                               __ATOMIC_RELAXED)) {
            }
        }
        if (took <= est.size) est.size = took;
        else est.size += (took - est.size) / 32;
    }
    (void)tessera_ptr_insert(key, &est, &stale);
}

/* Reads back finished measurements, oldest first, without waiting for any. The event calls
 * made under dp->lock are queries that never wait. */
static void poll(device_pacing *dp, tessera_pacing_shared *p) {
    if (LOAD(&dp->count) == 0 || pthread_mutex_trylock(&dp->lock) != 0) return;
    cuEventQuery_fn query = REAL(cuEventQuery);
    cuEventElapsedTime_fn elapsed =
        REAL(cuEventElapsedTime) != NULL ? REAL(cuEventElapsedTime) : REAL(cuEventElapsedTime_v2);
    for (int n = 0; n < 4 && dp->count > 0; n++) {
        event_pair *e = &dp->pairs[dp->pending[dp->head]];
        CUresult rc = query != NULL ? query(e->end) : CUDA_ERROR_NOT_SUPPORTED;
        if (rc == CUDA_ERROR_NOT_READY) break;
        float ms = 0;
        if (rc == CUDA_SUCCESS && elapsed != NULL &&
            elapsed(&ms, e->start, e->end) == CUDA_SUCCESS && ms >= 0)
            learn(p, e->key, (uint64_t)((double)ms * 1e6), e);
        e->busy = 0;
        dp->head = (dp->head + 1) % PAIRS;
        __atomic_store_n(&dp->count, dp->count - 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&dp->lock);
}

/* ---- launches ----------------------------------------------------------------------------- */

int tessera_pace_begin(tessera_launch *l, uint64_t key, CUstream stream, int ptsz) {
    l->device = -1;
    l->pair = -1;
    if (!tessera_config_get()->pacing) return 0;
    CUdevice d;
    uint32_t share = 100;
    tessera_pacing_shared *p =
        tessera_current_device(&d) == 0 ? tessera_device_pacing(d, &share) : NULL;
    if (p == NULL) return 0;
    device_pacing *dp = &g_dp[d];
    uint64_t start = tessera_now_ns();
    share = share_in_force(d, share, start);
    tessera_compute_file *f = LOAD(&g_share[d].file);
    poll(dp, p);
    hold(p, share, start, f);
    tessera_alloc est = {.refs = 0};
    uint64_t cost = tessera_ptr_get(key, TESSERA_KIND_KERNEL, &est) ? est.size : 0;
    charge(p, cost, share, f);
    l->device = d;
    l->key = key;
    l->stream = stream;
    l->ptsz = ptsz;
    uint64_t nth = __atomic_add_fetch(&dp->launches, 1, __ATOMIC_RELAXED);
    uint64_t now = tessera_now_ns();
    if ((est.refs < WARMUP || nth % SAMPLE_EVERY == 0 ||
         now - LOAD(&dp->sampled_ns) >= SAMPLE_GAP_NS) && dp->created >= 0) {
        __atomic_store_n(&dp->sampled_ns, now, __ATOMIC_RELAXED);
        l->host_start_ns = now;
        l->pair = start_measure(dp, key, stream, ptsz);
    }
    return 1;
}

void tessera_pace_end(tessera_launch *l, CUresult rc) {
    if (l->pair < 0) return;
    device_pacing *dp = &g_dp[l->device];
    event_pair *e = &dp->pairs[l->pair];
    cuEventRecord_fn record = l->ptsz ? REAL(cuEventRecord_ptsz) : REAL(cuEventRecord);
    if (rc != CUDA_SUCCESS || record == NULL || record(e->end, l->stream) != CUDA_SUCCESS) {
        __atomic_store_n(&e->busy, 0, __ATOMIC_RELEASE);
        return;
    }
    cuEventQuery_fn query = REAL(cuEventQuery);
    e->queued = query != NULL && query(e->start) == CUDA_ERROR_NOT_READY;
    e->host_ns = tessera_now_ns() - l->host_start_ns;
    pthread_mutex_lock(&dp->lock);
    dp->pending[(dp->head + dp->count) % PAIRS] = l->pair;
    __atomic_store_n(&dp->count, dp->count + 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&dp->lock);
}

void tessera_pacing_reset_after_fork(void) {
    for (int d = 0; d < TESSERA_MAX_DEVICES; d++) {
        memset(&g_dp[d], 0, sizeof g_dp[d]);
        pthread_mutex_init(&g_dp[d].lock, NULL);
    }
}
