#include "tessera_cuda.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "driver.h"
#include "log.h"
#include "pacing.h"
#include "pools.h"
#include "swap.h"
#include "usage.h"

typedef struct tessera_device {
    tessera_usage usage;
    int ordinal;
} tessera_device;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_enforce;
static int g_device_count;
static tessera_device g_devices[TESSERA_MAX_DEVICES];
static uint32_t g_loan_wait_ms;
static int g_unlimited_logged; /* one line for the first device without a configured limit */
static int g_exiting;          /* the destructor has begun: no init may start after it */

static void after_fork_child(void) {
    pid_t pid = getpid();
    tessera_usage_set_identity(pid);
    for (int i = 0; i < g_device_count; i++) tessera_usage_after_fork_child(&g_devices[i].usage, pid);
    tessera_ptr_reset_after_fork();
    tessera_pools_reset_after_fork();
    tessera_pacing_reset_after_fork();
    tessera_swap_reset_after_fork();
}

/* Runs once, on the first intercepted call, never from a constructor: keeps library load
 * free of work and of file I/O in processes that never touch CUDA. */
static void init_once(void) {
    if (__atomic_load_n(&g_exiting, __ATOMIC_ACQUIRE)) return; /* too late to start counting */
    const tessera_config *cfg = tessera_config_get();
    if (!cfg->enforce) return;
    for (int i = 0; i < cfg->device_count; i++) {
        g_devices[i].ordinal = i;
        tessera_usage_open(&g_devices[i].usage, cfg->usage_dir, i, cfg->limits[i],
                           cfg->requests[i]);
    }
    g_device_count = cfg->device_count;
    g_loan_wait_ms = cfg->loan_wait_ms;
    pthread_atfork(NULL, NULL, after_fork_child);
    tessera_log(TESSERA_LOG_INFO, "enforcing GPU memory limits on %d device(s), usage in %s",
                g_device_count, cfg->usage_dir);
    if (cfg->swap) tessera_swap_init(); /* before g_enforce: the gate is on once we enforce */
    __atomic_store_n(&g_enforce, 1, __ATOMIC_RELEASE);
}

int tessera_enforcing(void) {
    pthread_once(&g_once, init_once);
    return __atomic_load_n(&g_enforce, __ATOMIC_ACQUIRE);
}

/* Exit: hand our slots back so the agent stops counting this process at once. Another thread
 * may be inside the lazy init right now: pthread_once waits for it to finish (so its slots
 * are detached too), and an init that has not started yet never will. */
__attribute__((destructor)) static void tessera_fini(void) {
    __atomic_store_n(&g_exiting, 1, __ATOMIC_RELEASE);
    pthread_once(&g_once, init_once);
    if (!__atomic_load_n(&g_enforce, __ATOMIC_ACQUIRE)) return;
    tessera_swap_stop();
    for (int i = 0; i < g_device_count; i++) tessera_usage_detach(&g_devices[i].usage);
}

static tessera_device *device_for(CUdevice device) {
    if (device >= 0 && device < g_device_count) return &g_devices[device];
    if (!__atomic_exchange_n(&g_unlimited_logged, 1, __ATOMIC_RELAXED))
        tessera_log(TESSERA_LOG_WARN, "device %d has no entry in %s; its allocations are not "
                    "limited", device, TESSERA_ENV_LIMITS);
    return NULL;
}

int tessera_current_device(CUdevice *device) {
    cuCtxGetDevice_fn get = tessera_driver_get()->cuCtxGetDevice;
    return get != NULL && get(device) == CUDA_SUCCESS ? 0 : -1;
}

CUresult tessera_admit_device(tessera_ticket *t, CUdevice device, uint64_t bytes) {
    t->dev = NULL;
    t->bytes = bytes;
    t->waiting = 0;
    if (bytes == 0 || !tessera_enforcing()) return CUDA_SUCCESS;
    tessera_device *dev = device_for(device);
    if (dev == NULL) return CUDA_SUCCESS;
    if (!tessera_usage_reserve(&dev->usage, bytes)) {
        tessera_log(TESSERA_LOG_DEBUG, "gpu %d: refusing %llu bytes (used %llu of %llu)",
                    dev->ordinal, (unsigned long long)bytes,
                    (unsigned long long)tessera_usage_used(&dev->usage),
                    (unsigned long long)dev->usage.limit);
        tessera_usage_count_oom(&dev->usage);
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    t->dev = dev;
    return CUDA_SUCCESS;
}

CUresult tessera_try_admit_device(tessera_ticket *t, CUdevice device, uint64_t bytes) {
    t->dev = NULL;
    t->bytes = bytes;
    t->waiting = 0;
    if (bytes == 0 || !tessera_enforcing()) return CUDA_SUCCESS;
    tessera_device *dev = device_for(device);
    if (dev == NULL) return CUDA_SUCCESS;
    if (!tessera_usage_reserve(&dev->usage, bytes)) return CUDA_ERROR_OUT_OF_MEMORY;
    t->dev = dev;
    return CUDA_SUCCESS;
}

void tessera_count_refusal(CUdevice device, uint64_t bytes) {
    if (!tessera_enforcing()) return;
    tessera_device *dev = device_for(device);
    if (dev == NULL) return;
    tessera_log(TESSERA_LOG_DEBUG, "gpu %d: refusing %llu bytes (used %llu of %llu)",
                dev->ordinal, (unsigned long long)bytes,
                (unsigned long long)tessera_usage_used(&dev->usage),
                (unsigned long long)dev->usage.limit);
    tessera_usage_count_oom(&dev->usage);
}

void tessera_ticket_drop(tessera_ticket *t) {
    if (t->dev != NULL) tessera_usage_release(&t->dev->usage, t->bytes);
    t->dev = NULL;
    t->bytes = 0;
}

#define OVER_LOG_INTERVAL_NS 1000000000ull /* one line a second at most */
static tessera_log_limit g_over_log;

int tessera_device_count(void) { return tessera_enforcing() ? g_device_count : 0; }

struct tessera_pacing_shared *tessera_device_pacing(int device, uint32_t *share) {
    const tessera_config *cfg = tessera_config_get();
    if (!cfg->pacing || !tessera_enforcing() || device < 0 || device >= g_device_count ||
        cfg->compute_shares[device] >= 100)
        return NULL;
    *share = cfg->compute_shares[device];
    return tessera_usage_pacing(&g_devices[device].usage);
}

static tessera_device *limited(int device) {
    return tessera_enforcing() && device >= 0 && device < g_device_count ? &g_devices[device]
                                                                          : NULL;
}

void tessera_charge_force(int device, uint64_t bytes) {
    tessera_device *dev = limited(device);
    if (dev != NULL && bytes != 0) tessera_usage_force(&dev->usage, bytes);
}

void tessera_uncharge(int device, uint64_t bytes) {
    tessera_device *dev = limited(device);
    if (dev != NULL && bytes != 0) tessera_usage_release(&dev->usage, bytes);
}

int tessera_charge_try(int device, uint64_t bytes) {
    tessera_device *dev = limited(device);
    return dev == NULL || bytes == 0 || tessera_usage_reserve(&dev->usage, bytes);
}

uint64_t tessera_swap_budget(int device) {
    const tessera_config *cfg = tessera_config_get();
    return limited(device) != NULL && cfg->swap ? cfg->swap_host_bytes[device] : 0;
}

int tessera_swap_budget_reserve(int device, uint64_t bytes, uint64_t *budget, uint64_t *in_use) {
    tessera_device *dev = limited(device);
    *budget = tessera_swap_budget(device);
    *in_use = 0;
    return dev != NULL && *budget != 0 &&
           tessera_usage_swap_reserve(&dev->usage, bytes, *budget, in_use);
}

void tessera_swap_budget_release(int device, uint64_t bytes) {
    tessera_device *dev = limited(device);
    if (dev != NULL && bytes != 0) tessera_usage_swap_release(&dev->usage, bytes);
}

void tessera_swap_slot_flags(int device, uint32_t set, uint32_t clear) {
    tessera_device *dev = limited(device);
    if (dev != NULL) tessera_usage_set_flags(&dev->usage, set, clear);
}

int tessera_device_over_limit(int device) {
    tessera_device *dev = limited(device);
    return dev != NULL && tessera_usage_used(&dev->usage) > dev->usage.limit;
}

void tessera_reservoir_sync(tessera_reservoir *r, tessera_reservoir_query query, void *arg,
                            uint64_t pending) {
    pthread_mutex_lock(&r->lock);
    uint64_t had = r->charged + pending, now;
    if (!query(arg, &now)) now = had;
    if (now > had) tessera_charge_force(r->device, now - had);
    else if (now < had) tessera_uncharge(r->device, had - now);
    r->charged = now;
    pthread_mutex_unlock(&r->lock);
    if (now > had && tessera_device_over_limit(r->device) &&
        tessera_log_limited(&g_over_log, TESSERA_LOG_INFO, OVER_LOG_INTERVAL_NS) >= 0)
        tessera_log(TESSERA_LOG_INFO, "gpu %d: the driver holds %llu bytes more than was "
                    "reserved for them; the container is over its limit until they are "
                    "given back", r->device, (unsigned long long)(now - had));
}

CUresult tessera_admit_current(tessera_ticket *t, uint64_t bytes) {
    CUdevice device;
    t->dev = NULL;
    t->bytes = bytes;
    t->waiting = 0;
    /* Without a current context the driver call fails by itself: let it say so. */
    if (bytes == 0 || !tessera_enforcing() || tessera_current_device(&device) != 0)
        return CUDA_SUCCESS;
    return tessera_admit_device(t, device, bytes);
}

int tessera_ticket_resize(tessera_ticket *t, uint64_t actual) {
    if (t->dev == NULL || actual == t->bytes) return 1;
    if (actual < t->bytes) {
        tessera_usage_release(&t->dev->usage, t->bytes - actual);
    } else if (!tessera_usage_reserve(&t->dev->usage, actual - t->bytes)) {
        tessera_usage_count_oom(&t->dev->usage);
        return 0;
    }
    t->bytes = actual;
    return 1;
}

/* ---- waiting for loans (slow path) ------------------------------------------------------ */

#define LOAN_FIRST_SLEEP_NS 5000000ull    /* 5 ms: an agent's reclaim takes at least that */
#define LOAN_MAX_SLEEP_NS 50000000ull     /* 50 ms: resume soon after the memory is back */
#define LOAN_LOG_INTERVAL_NS 1000000000ull /* one wait logged per second at most */

static tessera_log_limit g_loan_log;

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* A signal cuts the sleep short: the caller tries the driver again, which is harmless. */
static void nap(uint64_t ns) {
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    nanosleep(&ts, NULL);
}

/*
 * The driver's first out-of-memory answer. Above the request the container is itself a
 * borrower: the answer stands. Within it, the memory it was promised is lent to someone else:
 * announce the bytes and wait (unless no wait is configured, or the usage file is a private
 * fallback the agent cannot see). 1 when a wait began.
 */
static int loan_wait_begin(tessera_ticket *t) {
    tessera_usage *u = &t->dev->usage;
    uint64_t used = tessera_usage_used(u);
    if (used > u->request) return 0;
    if (g_loan_wait_ms == 0 || !u->file_backed || !tessera_usage_want(u, t->bytes)) {
        tessera_usage_count_oom(u);
        return 0;
    }
    t->waiting = 1;
    t->wait_start_ns = tessera_now_ns();
    t->sleep_ns = LOAN_FIRST_SLEEP_NS;
    long long dropped = tessera_log_limited(&g_loan_log, TESSERA_LOG_INFO, LOAN_LOG_INTERVAL_NS);
    t->logged = dropped >= 0;
    if (t->logged) {
        char more[64] = "";
        if (dropped > 0) snprintf(more, sizeof more, " (%lld more waits not logged)", dropped);
        tessera_log(TESSERA_LOG_INFO, "gpu %d: out of memory for %llu bytes within the request "
                    "(%llu used of %llu requested); waiting up to %u ms for loans to be "
                    "reclaimed%s",
                    t->dev->ordinal, (unsigned long long)t->bytes, (unsigned long long)used,
                    (unsigned long long)u->request, g_loan_wait_ms, more);
    }
    return 1;
}

static void loan_wait_end(tessera_ticket *t, CUresult rc, uint64_t now) {
    tessera_usage *u = &t->dev->usage;
    tessera_usage_unwant(u, t->bytes);
    t->waiting = 0;
    if (rc == CUDA_ERROR_OUT_OF_MEMORY) tessera_usage_count_oom(u);
    if (!t->logged) return;
    unsigned long long ms = (now - t->wait_start_ns) / 1000000u;
    if (rc == CUDA_SUCCESS || rc == CUDA_ERROR_OUT_OF_MEMORY)
        tessera_log(TESSERA_LOG_INFO, "gpu %d: loan wait for %llu bytes ended after %llu ms: %s",
                    t->dev->ordinal, (unsigned long long)t->bytes, ms,
                    rc == CUDA_SUCCESS ? "allocated" : "still out of memory, refused");
    else
        tessera_log(TESSERA_LOG_INFO, "gpu %d: loan wait for %llu bytes ended after %llu ms: "
                    "driver error %d", t->dev->ordinal, (unsigned long long)t->bytes, ms, (int)rc);
}

int tessera_loan_retry_slow(tessera_ticket *t, CUresult rc) {
    if (t->dev == NULL) return 0;
    if (!t->waiting && (rc != CUDA_ERROR_OUT_OF_MEMORY || !loan_wait_begin(t))) return 0;
    uint64_t now = tessera_now_ns();
    uint64_t deadline = t->wait_start_ns + (uint64_t)g_loan_wait_ms * 1000000u;
    if (rc != CUDA_ERROR_OUT_OF_MEMORY || now >= deadline) {
        loan_wait_end(t, rc, now);
        return 0;
    }
    nap(min_u64(t->sleep_ns, deadline - now)); /* the last try falls on the deadline */
    t->sleep_ns = min_u64(t->sleep_ns * 2, LOAN_MAX_SLEEP_NS);
    return 1;
}

/* ---- settling --------------------------------------------------------------------------- */

void tessera_settle(tessera_ticket *t, CUresult rc, int kind, uint64_t key) {
    if (t->dev == NULL) return;
    if (rc != CUDA_SUCCESS || key == 0) {
        tessera_usage_release(&t->dev->usage, t->bytes);
        return;
    }
    /* The reservation is already in this process's slot: only the table learns of it. */
    tessera_alloc alloc = {.size = t->bytes, .device = t->dev->ordinal, .kind = kind};
    tessera_alloc stale;
    if (tessera_ptr_insert(key, &alloc, &stale)) {
        tessera_log(TESSERA_LOG_DEBUG, "handle %#llx reused without a free we saw; dropping "
                    "its old %llu bytes", (unsigned long long)key, (unsigned long long)stale.size);
        if (stale.link == 0) tessera_uncharge(stale.device, stale.size);
    }
}

int tessera_forget(int kind, uint64_t key, tessera_alloc *out) {
    return tessera_enforcing() && tessera_ptr_remove(key, kind, out);
}

void tessera_forgotten(uint64_t key, const tessera_alloc *a, CUresult rc) {
    if (rc == CUDA_SUCCESS) {
        if (a->link != 0) tessera_pool_freed(a, 1); /* the pool's charge, not the pointer's */
        else tessera_uncharge(a->device, a->size);
        return;
    }
    tessera_alloc stale;
    if (tessera_ptr_insert(key, a, &stale) && stale.link == 0) /* cannot happen: the memory was
                                                                 * never freed */
        tessera_uncharge(stale.device, stale.size);
}

int tessera_device_budget(CUdevice device, uint64_t *limit, uint64_t *used) {
    if (!tessera_enforcing()) return 0;
    tessera_device *dev = device_for(device);
    if (dev == NULL) return 0;
    *limit = dev->usage.limit;
    *used = tessera_usage_used(&dev->usage);
    return 1;
}

/* ---- without attaching (NVML) ----------------------------------------------------------- */

/* Read-only views of the usage files, mapped once found and kept for the process's life. */
static const tessera_usage_header *g_views[TESSERA_MAX_DEVICES];

static int peek_used(const tessera_config *cfg, int ordinal, uint64_t *used) {
    const tessera_usage_header *view = __atomic_load_n(&g_views[ordinal], __ATOMIC_ACQUIRE);
    if (view == NULL) {
        int absent;
        view = tessera_usage_map_view(cfg->usage_dir, ordinal, &absent);
        if (view == NULL) {
            *used = 0; /* no file: nothing in the container has allocated on the device yet */
            return absent;
        }
        const tessera_usage_header *raced = NULL;
        if (!__atomic_compare_exchange_n(&g_views[ordinal], &raced, view, 0, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE)) {
            tessera_usage_unmap_view(view);
            view = raced;
        }
    }
    return tessera_usage_view_used(view, ordinal, used);
}

int tessera_device_budget_peek(int ordinal, uint64_t *limit, uint64_t *used) {
    const tessera_config *cfg = tessera_config_get();
    if (!cfg->enforce || ordinal < 0 || ordinal >= cfg->device_count) return 0;
    *limit = cfg->limits[ordinal];
    /* Attached: our own mapping, which is also right when it is the private fallback. */
    if (__atomic_load_n(&g_enforce, __ATOMIC_ACQUIRE)) {
        *used = tessera_usage_used(&g_devices[ordinal].usage);
        return 1;
    }
    return peek_used(cfg, ordinal, used);
}
