/*
 * GPU memory swap: let a GPU hold more fractional workloads than its memory. An idle process's
 * device memory moves to host memory and back when it is needed again, at the same device
 * addresses, so the application notices nothing but latency.
 *
 * Serving: in a container with TESSERA_GPU_SWAP=1, cuMemAlloc_v2 and cuMemAllocPitch_v2 of at
 * least one allocation granule (cuMemGetAllocationGranularity, MINIMUM: 2 MiB on current GPUs)
 * are served from the driver's virtual memory management instead: cuMemAddressReserve (the
 * address, kept for the allocation's life), cuMemCreate (the physical memory, which can be let
 * go and made again), cuMemMap and cuMemSetAccess (read-write for the allocating device). The
 * size is rounded up to the granule and charged as such. Each such allocation is a range in a
 * list (address, size, handle, context, device) and in the pointer table (TESSERA_KIND_SWAP),
 * so its free finds it. Smaller allocations, and everything else, take their usual paths and
 * stay resident.
 *
 * Swap-out (the node agent's command, or the process idle for TESSERA_GPU_SWAP_IDLE_MS): with
 * the transition lock held, the state goes to DRAINING (calls that may touch device memory now
 * wait) and the calls already in flight are waited for, at most DRAIN_TIMEOUT_NS (else: busy,
 * nothing happens). The host budget is reserved for every resident range at once, per device
 * (not enough: refused, one warning, nothing moves). Each context is synchronised, each range
 * copied to pinned host memory (cuMemHostAlloc) on a private stream, then unmapped and its
 * physical memory released (cuMemUnmap, cuMemRelease; the address reservation stays), and its
 * bytes leave the device's usage (used_bytes) while staying in the slot's swapped_bytes.
 *
 * Swap-in (the first gated call that finds the state not RESIDENT, or the agent's command):
 * with the transition lock held, each swapped range is charged against the limit like an
 * allocation (over the limit: CUDA_ERROR_OUT_OF_MEMORY; the driver out of memory within the
 * request: the usual loan wait, see tessera_loan_retry), made again with cuMemCreate, mapped at
 * the same address, given access, copied back and its host copy freed. The state is RESIDENT
 * again once every range is; a range that cannot come back fails the call that needed it
 * (the ranges that did come back stay).
 *
 * The gate (swap.h): every launch, copy, memset, synchronisation and allocation enters it. In
 * a container without swap it is one relaxed load. With swap, a call adds one to its stripe's
 * `enters` and reads the state (both sequentially consistent); RESIDENT: it goes on, and adds
 * one to `leaves` after the driver call. A swap-out stores DRAINING and then waits until the
 * stripes' enters equal their leaves: either the call saw DRAINING, or the swap-out sees it in
 * flight (Dekker's argument over sequentially consistent operations). A call that sees another
 * state takes the transition lock (which a swap-out holds until done) and swaps in.
 *
 * Locks: g_transition (swap-out, swap-in, and the free of a range while the process is not
 * resident) is held across driver calls; only threads that need the memory wait for it, and
 * none holds a gate token while waiting, so a swap-out's drain cannot wait on a thread waiting
 * for it. g_list guards the list and is held for a few stores. The usage lock is taken inside
 * both, never the other way round.
 *
 * The control channel: $TESSERA_USAGE_DIR/swap.ctl, one line "<sequence> out" or
 * "<sequence> in", written by the node agent (write a new file and rename it over the old one).
 * A background thread per process (started with the first swappable allocation) reads it
 * every POLL_NS and acts once per new sequence number; it also runs the idle policy.
 */
#include "swap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "driver.h"
#include "log.h"
#include "ptr_table.h"
#include "tessera_usage.h"

#define REAL(name) (tessera_driver_get()->name)

#define POLL_NS 50000000ull             /* the control file and the idle clock, 20 times a second */
#define DRAIN_TIMEOUT_NS 100000000ull   /* calls in flight at a swap-out: wait this long at most */
#define DRAIN_NAP_NS 50000ull
#define PITCH_ALIGN 512u                /* cuMemAllocPitch's pitch: at least this (hooks_mem.c) */
#define MAX_CONTEXTS 64
#define FAIL_LOG_INTERVAL_NS 1000000000ull

int tessera_swap_on;

enum { RESIDENT = 0, SWAPPED = 1, DRAINING = 2 };

typedef struct range {
    struct range *prev, *next;
    CUdeviceptr va;
    uint64_t size;
    CUcontext ctx;                       /* current when it was allocated */
    CUmemGenericAllocationHandle handle; /* its physical memory; 0 while swapped out */
    void *host;                          /* its contents while swapped out (pinned) */
    int device;
} range;

/* Gated calls in flight: enters - leaves, summed over the stripes. */
#define STRIPES 16
typedef struct stripe {
    uint64_t enters, leaves;
} __attribute__((aligned(64))) stripe;
static stripe g_stripes[STRIPES];

static int g_state; /* RESIDENT, SWAPPED (some range is in host memory) or DRAINING */
static pthread_mutex_t g_transition = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t g_list_lock = PTHREAD_MUTEX_INITIALIZER;
static range g_list = {&g_list, &g_list, 0, 0, NULL, 0, NULL, 0};

typedef struct swap_device {
    int probed;           /* the fields below are set (atomic) */
    int vmm;              /* 1: virtual memory management and a host budget: swappable */
    int flagged;          /* our slot says TESSERA_SLOT_FLAG_SWAP */
    uint64_t granularity; /* CU_MEM_ALLOC_GRANULARITY_MINIMUM */
    uint64_t pitch_align;
} swap_device;
static swap_device g_dev[TESSERA_MAX_DEVICES];
static pthread_mutex_t g_probe_lock = PTHREAD_MUTEX_INITIALIZER;

static int g_monitor_started;
static int g_stopping;
/* The control file, and the last sequence number acted on (or found at start: a command
 * written before this process allocated is not for it). */
static char g_ctl_path[PATH_MAX + 16]; /* the usage directory is shorter than PATH_MAX - 32 */
static uint64_t g_ctl_seen;
static int g_ctl_have;
static tessera_log_limit g_fail_log;

#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

static void nap(uint64_t ns) {
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    nanosleep(&ts, NULL);
}

/* ---- the gate ---------------------------------------------------------------------------- */

/* Threads hash to stripes by their pthread_t (no TLS: the library may be dlopen()ed). */
static unsigned my_stripe(void) {
    uint64_t t = (uint64_t)(uintptr_t)pthread_self() * 0x9E3779B97F4A7C15ull;
    return (unsigned)(t >> 60) & (STRIPES - 1);
}

static uint64_t in_flight(void) {
    uint64_t n = 0;
    for (unsigned i = 0; i < STRIPES; i++) {
        uint64_t left = __atomic_load_n(&g_stripes[i].leaves, __ATOMIC_SEQ_CST);
        n += __atomic_load_n(&g_stripes[i].enters, __ATOMIC_SEQ_CST) - left;
    }
    return n;
}

static uint64_t entered(void) {
    uint64_t n = 0;
    for (unsigned i = 0; i < STRIPES; i++)
        n += __atomic_load_n(&g_stripes[i].enters, __ATOMIC_RELAXED);
    return n;
}

static CUresult swap_in_locked(const char *why);
static void update_flags(void);

static CUresult swap_in_for_caller(void) {
    pthread_mutex_lock(&g_transition);
    CUresult rc = LOAD(&g_state) == RESIDENT ? CUDA_SUCCESS : swap_in_locked("a call needs it");
    pthread_mutex_unlock(&g_transition);
    return rc;
}

CUresult tessera_swap_enter_slow(int *token) {
    unsigned s = my_stripe();
    for (;;) {
        __atomic_fetch_add(&g_stripes[s].enters, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&g_state, __ATOMIC_SEQ_CST) == RESIDENT) {
            *token = (int)s + 1;
            return CUDA_SUCCESS;
        }
        __atomic_fetch_add(&g_stripes[s].leaves, 1, __ATOMIC_RELEASE);
        CUresult rc = swap_in_for_caller();
        if (rc != CUDA_SUCCESS) return rc;
    }
}

void tessera_swap_leave_slow(int token) {
    __atomic_fetch_add(&g_stripes[token - 1].leaves, 1, __ATOMIC_RELEASE);
}

/* ---- devices ----------------------------------------------------------------------------- */

static CUmemAllocationProp device_prop(int device) {
    CUmemAllocationProp prop;
    memset(&prop, 0, sizeof prop);
    prop.type = TESSERA_CU_MEM_ALLOCATION_TYPE_PINNED;
    prop.location.type = TESSERA_CU_MEM_LOCATION_TYPE_DEVICE;
    prop.location.id = device;
    return prop;
}

static swap_device *probe(int device) {
    if (device < 0 || device >= TESSERA_MAX_DEVICES) return NULL;
    swap_device *sd = &g_dev[device];
    if (LOAD(&sd->probed)) return sd;
    pthread_mutex_lock(&g_probe_lock);
    if (!sd->probed) {
        cuDeviceGetAttribute_fn attr = REAL(cuDeviceGetAttribute);
        cuMemGetAllocationGranularity_fn gran = REAL(cuMemGetAllocationGranularity);
        int vmm = 0, pitch = 0;
        size_t g = 0;
        CUmemAllocationProp prop = device_prop(device);
        int ok = attr != NULL && gran != NULL && REAL(cuMemAddressReserve) != NULL &&
                 REAL(cuMemAddressFree) != NULL && REAL(cuMemSetAccess) != NULL &&
                 REAL(cuMemHostAlloc) != NULL && REAL(cuMemFreeHost) != NULL &&
                 attr(&vmm, TESSERA_CU_DEVICE_ATTRIBUTE_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED,
                      device) == CUDA_SUCCESS && vmm &&
                 gran(&g, &prop, TESSERA_CU_MEM_ALLOC_GRANULARITY_MINIMUM) == CUDA_SUCCESS &&
                 g != 0 && (g & (g - 1)) == 0;
        if (attr == NULL ||
            attr(&pitch, TESSERA_CU_DEVICE_ATTRIBUTE_TEXTURE_PITCH_ALIGNMENT, device) !=
                CUDA_SUCCESS)
            pitch = 0;
        sd->granularity = g;
        sd->pitch_align = pitch > (int)PITCH_ALIGN ? (uint64_t)pitch : PITCH_ALIGN;
        sd->vmm = ok && tessera_swap_budget(device) != 0;
        if (!ok)
            tessera_log(TESSERA_LOG_INFO, "gpu %d: no virtual memory management; its memory "
                        "is allocated as usual and never swapped", device);
        STORE(&sd->probed, 1);
    }
    pthread_mutex_unlock(&g_probe_lock);
    return sd;
}

static uint64_t round_up(uint64_t v, uint64_t step) {
    return v > UINT64_MAX - (step - 1) ? 0 : (v + step - 1) / step * step;
}

static CUresult set_access(CUdeviceptr va, uint64_t size, int device) {
    CUmemAccessDesc desc;
    memset(&desc, 0, sizeof desc);
    desc.location.type = TESSERA_CU_MEM_LOCATION_TYPE_DEVICE;
    desc.location.id = device;
    desc.flags = TESSERA_CU_MEM_ACCESS_FLAGS_PROT_READWRITE;
    return REAL(cuMemSetAccess)(va, size, &desc, 1);
}

/* Physical memory for [va, va + size) on the range's device, charged by `t` (already
 * admitted): created (waiting for loans like any allocation), mapped and made accessible.
 * On failure nothing is left mapped and the charge is the caller's to drop. */
static CUresult back(CUdeviceptr va, uint64_t size, int device, tessera_ticket *t,
                     CUmemGenericAllocationHandle *out) {
    CUmemAllocationProp prop = device_prop(device);
    CUmemGenericAllocationHandle h = 0;
    cuMemCreate_fn create = REAL(cuMemCreate);
    CUresult rc = create(&h, size, &prop, 0);
    while (tessera_loan_retry(t, rc)) rc = create(&h, size, &prop, 0);
    if (rc != CUDA_SUCCESS) return rc;
    rc = REAL(cuMemMap)(va, size, 0, h, 0);
    if (rc == CUDA_SUCCESS) {
        rc = set_access(va, size, device);
        if (rc != CUDA_SUCCESS) REAL(cuMemUnmap)(va, size);
    }
    if (rc != CUDA_SUCCESS) {
        REAL(cuMemRelease)(h);
        return rc;
    }
    *out = h;
    return CUDA_SUCCESS;
}

/* ---- the range list ---------------------------------------------------------------------- */

static void list_add(range *r) {
    tessera_alloc a = {.size = r->size, .link = (uint64_t)(uintptr_t)r, .device = r->device,
                       .kind = TESSERA_KIND_SWAP};
    tessera_alloc stale;
    pthread_mutex_lock(&g_list_lock);
    r->prev = g_list.prev;
    r->next = &g_list;
    g_list.prev->next = r;
    g_list.prev = r;
    (void)tessera_ptr_insert(r->va, &a, &stale); /* an address we reserved: never stale */
    pthread_mutex_unlock(&g_list_lock);
}

/* Takes the range at `va` out of the list; NULL if there is none (freed by another thread). */
static range *list_take(CUdeviceptr va) {
    tessera_alloc a;
    range *r = NULL;
    pthread_mutex_lock(&g_list_lock);
    if (tessera_ptr_remove(va, TESSERA_KIND_SWAP, &a)) {
        r = (range *)(uintptr_t)a.link;
        r->prev->next = r->next;
        r->next->prev = r->prev;
        r->prev = r->next = NULL;
    }
    pthread_mutex_unlock(&g_list_lock);
    return r;
}

/* A snapshot of the list (for transitions, which hold g_transition: nothing is added or taken
 * while they run but by frees and allocations that cannot start before they end). */
static range **list_snapshot(size_t *n) {
    pthread_mutex_lock(&g_list_lock);
    size_t count = 0;
    for (range *r = g_list.next; r != &g_list; r = r->next) count++;
    range **all = count != 0 ? malloc(count * sizeof *all) : NULL;
    size_t i = 0;
    if (all != NULL)
        for (range *r = g_list.next; r != &g_list; r = r->next) all[i++] = r;
    pthread_mutex_unlock(&g_list_lock);
    *n = i;
    return all;
}

/* The distinct contexts of `all`, in order of first appearance (at most MAX_CONTEXTS; ranges of
 * further contexts are skipped by the transitions and stay where they are). */
static size_t contexts(range **all, size_t n, CUcontext *out) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < k && out[j] != all[i]->ctx) j++;
        if (j == k && k < MAX_CONTEXTS) out[k++] = all[i]->ctx;
    }
    return k;
}

static CUstream private_stream(void) {
    CUstream s = NULL;
    if (REAL(cuStreamCreate) == NULL ||
        REAL(cuStreamCreate)(&s, TESSERA_CU_STREAM_NON_BLOCKING) != CUDA_SUCCESS)
        s = NULL; /* the legacy default stream: the work is the same, only less concurrent */
    return s;
}

static void drop_stream(CUstream s) {
    if (s != NULL && REAL(cuStreamDestroy_v2) != NULL) REAL(cuStreamDestroy_v2)(s);
}

/* ---- the monitor thread ------------------------------------------------------------------ */

static void *monitor(void *arg);
static int read_control(const char *path, uint64_t *seq, int *cmd);

static void start_monitor(void) {
    if (LOAD(&g_monitor_started) || __atomic_exchange_n(&g_monitor_started, 1, __ATOMIC_ACQ_REL))
        return;
    int cmd;
    snprintf(g_ctl_path, sizeof g_ctl_path, "%s/swap.ctl", tessera_config_get()->usage_dir);
    g_ctl_have = read_control(g_ctl_path, &g_ctl_seen, &cmd); /* before the first allocation
                                                                * returns */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* inherited: the application's signals are never
                                               * delivered to our thread */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t th;
    int err = pthread_create(&th, &attr, monitor, NULL);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0)
        tessera_log(TESSERA_LOG_WARN, "cannot start the swap thread (%s): memory is swapped "
                    "in when needed but never out", strerror(err));
}

/* ---- allocation and free ----------------------------------------------------------------- */

static CUresult map_new(int device, swap_device *sd, uint64_t size, CUdeviceptr *dptr) {
    tessera_ticket t;
    CUresult rc = tessera_admit_device(&t, device, size);
    if (rc != CUDA_SUCCESS) return rc;
    CUdeviceptr va = 0;
    rc = REAL(cuMemAddressReserve)(&va, size, sd->granularity, 0, 0);
    CUmemGenericAllocationHandle h = 0;
    if (rc == CUDA_SUCCESS) {
        rc = back(va, size, device, &t, &h);
        if (rc != CUDA_SUCCESS) REAL(cuMemAddressFree)(va, size);
    }
    range *r = rc == CUDA_SUCCESS ? calloc(1, sizeof *r) : NULL;
    if (rc == CUDA_SUCCESS && r == NULL) {
        REAL(cuMemUnmap)(va, size);
        REAL(cuMemRelease)(h);
        REAL(cuMemAddressFree)(va, size);
        rc = CUDA_ERROR_OUT_OF_MEMORY;
    }
    if (rc != CUDA_SUCCESS) {
        tessera_ticket_drop(&t);
        return rc;
    }
    /* The charge stays in this process's slot (the ticket's bytes); the free gives it back. */
    r->va = va;
    r->size = size;
    r->handle = h;
    r->device = device;
    if (REAL(cuCtxGetCurrent) == NULL || REAL(cuCtxGetCurrent)(&r->ctx) != CUDA_SUCCESS)
        r->ctx = NULL;
    list_add(r);
    if (!LOAD(&sd->flagged) && !__atomic_exchange_n(&sd->flagged, 1, __ATOMIC_ACQ_REL))
        tessera_swap_slot_flags(device, TESSERA_SLOT_FLAG_SWAP, 0);
    start_monitor();
    *dptr = va;
    return CUDA_SUCCESS;
}

int tessera_swap_alloc(CUdeviceptr *dptr, uint64_t bytes, CUresult *rc) {
    CUdevice device;
    if (dptr == NULL || bytes == 0 || tessera_current_device(&device) != 0) return 0;
    swap_device *sd = probe(device);
    if (sd == NULL || !sd->vmm || bytes < sd->granularity) return 0;
    uint64_t size = round_up(bytes, sd->granularity);
    if (size == 0) return 0;
    int token;
    *rc = tessera_swap_enter(&token); /* an allocation is activity: the rest comes back first */
    if (*rc != CUDA_SUCCESS) return 1;
    *rc = map_new(device, sd, size, dptr);
    tessera_swap_leave(token);
    return 1;
}

/* cuMemAllocPitch's contract (cuda.h): ElementSizeBytes 4, 8 or 16, and a pitch aligned for
 * texture binding; anything else goes to the driver, which answers it as it does. */
int tessera_swap_alloc_pitch(CUdeviceptr *dptr, size_t *pitch, size_t width, size_t height,
                             unsigned int element_bytes, CUresult *rc) {
    CUdevice device;
    if (pitch == NULL || width == 0 || height == 0 ||
        (element_bytes != 4 && element_bytes != 8 && element_bytes != 16) ||
        tessera_current_device(&device) != 0)
        return 0;
    swap_device *sd = probe(device);
    if (sd == NULL || !sd->vmm) return 0;
    uint64_t row = round_up(width, sd->pitch_align);
    if (row == 0 || height > UINT64_MAX / row) return 0;
    if (!tessera_swap_alloc(dptr, row * height, rc)) return 0;
    if (*rc == CUDA_SUCCESS) *pitch = (size_t)row;
    return 1;
}

/* A range out of the list: its memory, wherever it is, goes. */
static CUresult release_range(range *r) {
    CUresult rc;
    if (r->handle != 0) {
        rc = REAL(cuMemUnmap)(r->va, r->size);
        if (rc == CUDA_SUCCESS) REAL(cuMemRelease)(r->handle);
        if (rc == CUDA_SUCCESS) tessera_uncharge(r->device, r->size);
    } else {
        /* The host copy is the process's: whatever the driver answers, nothing is left on the
         * device, and the budget is free again. */
        (void)REAL(cuMemFreeHost)(r->host);
        tessera_swap_budget_release(r->device, r->size);
        rc = CUDA_SUCCESS;
    }
    if (rc != CUDA_SUCCESS) return rc;
    REAL(cuMemAddressFree)(r->va, r->size);
    free(r);
    return CUDA_SUCCESS;
}

int tessera_swap_free(CUdeviceptr dptr, CUresult *rc) {
    tessera_alloc a;
    if (dptr == 0 || !tessera_ptr_get(dptr, TESSERA_KIND_SWAP, &a)) return 0;
    unsigned s = my_stripe();
    range *r;
    __atomic_fetch_add(&g_stripes[s].enters, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&g_state, __ATOMIC_SEQ_CST) == RESIDENT) {
        r = list_take(dptr); /* no transition can start before we leave */
        __atomic_fetch_add(&g_stripes[s].leaves, 1, __ATOMIC_RELEASE);
    } else {
        /* Not resident: freeing needs no swap-in, only that no transition is under way. */
        __atomic_fetch_add(&g_stripes[s].leaves, 1, __ATOMIC_RELEASE);
        pthread_mutex_lock(&g_transition);
        r = list_take(dptr);
        if (r != NULL && r->handle == 0) {
            *rc = release_range(r); /* host memory only: nothing waits on the device */
            update_flags();
            pthread_mutex_unlock(&g_transition);
            return 1;
        }
        pthread_mutex_unlock(&g_transition);
    }
    if (r == NULL) return 0; /* freed meanwhile by another thread: the driver says what it is */
    /* Out of the list, the range is ours alone: no lock across the driver calls. */
    *rc = release_range(r);
    if (*rc != CUDA_SUCCESS) list_add(r); /* still allocated: keep following it */
    return 1;
}

/* cuMemFreeAsync of swappable memory: it may be freed only once the stream reaches the free,
 * and a host function may not call the driver, so the stream is synchronised first. */
int tessera_swap_free_async(CUdeviceptr dptr, CUstream stream, int ptsz, CUresult *rc) {
    tessera_alloc a;
    if (dptr == 0 || !tessera_ptr_get(dptr, TESSERA_KIND_SWAP, &a)) return 0;
    cuStreamSynchronize_fn sync = ptsz ? REAL(cuStreamSynchronize_ptsz) : REAL(cuStreamSynchronize);
    *rc = sync != NULL ? sync(stream) : CUDA_ERROR_NOT_SUPPORTED;
    if (*rc != CUDA_SUCCESS) return 1;
    return tessera_swap_free(dptr, rc);
}

/* ---- swap-out ---------------------------------------------------------------------------- */

static int drain(void) {
    uint64_t deadline = tessera_now_ns() + DRAIN_TIMEOUT_NS;
    while (in_flight() != 0) {
        if (tessera_now_ns() >= deadline) return 0;
        nap(DRAIN_NAP_NS);
    }
    return 1;
}

/* TESSERA_SLOT_FLAG_SWAPPED on each device's slot: set while some of its ranges are in host
 * memory. Under g_transition (or with the list otherwise stable). */
static void update_flags(void) {
    int swapped[TESSERA_MAX_DEVICES] = {0};
    pthread_mutex_lock(&g_list_lock);
    for (range *r = g_list.next; r != &g_list; r = r->next) swapped[r->device] |= r->handle == 0;
    pthread_mutex_unlock(&g_list_lock);
    for (int d = 0; d < TESSERA_MAX_DEVICES; d++) {
        if (!LOAD(&g_dev[d].flagged)) continue;
        tessera_swap_slot_flags(d, swapped[d] ? TESSERA_SLOT_FLAG_SWAPPED : 0,
                                swapped[d] ? 0 : TESSERA_SLOT_FLAG_SWAPPED);
    }
}

/* Reserves the host budget for every resident range, per device, all or nothing. */
static int reserve_budget(range **all, size_t n, uint64_t *total) {
    uint64_t per[TESSERA_MAX_DEVICES] = {0};
    *total = 0;
    for (size_t i = 0; i < n; i++) {
        if (all[i]->handle == 0) continue;
        per[all[i]->device] += all[i]->size;
        *total += all[i]->size;
    }
    for (int d = 0; d < TESSERA_MAX_DEVICES; d++) {
        uint64_t budget, in_use;
        if (per[d] == 0 || tessera_swap_budget_reserve(d, per[d], &budget, &in_use)) continue;
        while (--d >= 0) tessera_swap_budget_release(d, per[d]);
        tessera_log(TESSERA_LOG_WARN, "swap-out refused: %llu bytes do not fit the host budget "
                    "(%llu of %llu bytes in use by the container); the memory stays on the "
                    "GPU", (unsigned long long)*total, (unsigned long long)in_use,
                    (unsigned long long)budget);
        return 0;
    }
    return 1;
}

/* One context's resident ranges to host memory: copied (all at once, then one wait), then
 * unmapped and released. *moved: bytes that left the device. */
static CUresult out_context(range **all, size_t n, CUcontext ctx, uint64_t *moved) {
    void **host = calloc(n, sizeof *host);
    if (host == NULL) return CUDA_ERROR_OUT_OF_MEMORY;
    CUstream s = private_stream();
    CUresult rc = CUDA_SUCCESS;
    for (size_t i = 0; i < n && rc == CUDA_SUCCESS; i++) {
        range *r = all[i];
        if (r->ctx != ctx || r->handle == 0) continue;
        rc = REAL(cuMemHostAlloc)(&host[i], r->size, TESSERA_CU_MEMHOSTALLOC_PORTABLE);
        if (rc != CUDA_SUCCESS) {
            host[i] = NULL;
            break;
        }
        rc = REAL(cuMemcpyDtoHAsync_v2)(host[i], r->va, r->size, s);
    }
    CUresult waited = s != NULL ? REAL(cuStreamSynchronize)(s) : REAL(cuCtxSynchronize)();
    if (rc == CUDA_SUCCESS) rc = waited;
    for (size_t i = 0; i < n; i++) {
        range *r = all[i];
        if (host[i] == NULL) continue;
        CUresult unmapped = rc == CUDA_SUCCESS ? REAL(cuMemUnmap)(r->va, r->size) : rc;
        if (unmapped != CUDA_SUCCESS) { /* still mapped and whole: it stays */
            REAL(cuMemFreeHost)(host[i]);
            if (rc == CUDA_SUCCESS) rc = unmapped;
            continue;
        }
        if (REAL(cuMemRelease)(r->handle) != CUDA_SUCCESS)
            tessera_log(TESSERA_LOG_WARN, "gpu %d: cannot release the physical memory of "
                        "%#llx after unmapping it", r->device, (unsigned long long)r->va);
        r->handle = 0;
        r->host = host[i];
        tessera_uncharge(r->device, r->size);
        *moved += r->size;
    }
    drop_stream(s);
    free(host);
    return rc;
}

static void swap_out(const char *why) {
    pthread_mutex_lock(&g_transition);
    if (LOAD(&g_state) != RESIDENT) {
        pthread_mutex_unlock(&g_transition);
        return;
    }
    __atomic_store_n(&g_state, DRAINING, __ATOMIC_SEQ_CST);
    if (!drain()) {
        __atomic_store_n(&g_state, RESIDENT, __ATOMIC_SEQ_CST);
        pthread_mutex_unlock(&g_transition);
        tessera_log(TESSERA_LOG_INFO, "swap-out (%s) not done: the process is using the GPU",
                    why);
        return;
    }
    uint64_t t0 = tessera_now_ns(), total = 0, moved = 0;
    size_t n = 0;
    range **all = list_snapshot(&n);
    CUresult rc = CUDA_SUCCESS;
    CUcontext ctx[MAX_CONTEXTS];
    size_t nctx = all != NULL ? contexts(all, n, ctx) : 0;
    if (all != NULL && reserve_budget(all, n, &total) && total != 0) {
        /* Everything the process queued must be done before its memory moves. */
        for (size_t c = 0; c < nctx && rc == CUDA_SUCCESS; c++) {
            rc = REAL(cuCtxPushCurrent_v2)(ctx[c]);
            if (rc != CUDA_SUCCESS) break;
            rc = REAL(cuCtxSynchronize)();
            CUcontext popped;
            REAL(cuCtxPopCurrent_v2)(&popped);
        }
        for (size_t c = 0; c < nctx && rc == CUDA_SUCCESS; c++) {
            rc = REAL(cuCtxPushCurrent_v2)(ctx[c]);
            if (rc != CUDA_SUCCESS) break;
            rc = out_context(all, n, ctx[c], &moved);
            CUcontext popped;
            REAL(cuCtxPopCurrent_v2)(&popped);
        }
        /* What did not move gives its budget back. */
        for (size_t i = 0; i < n; i++)
            if (all[i]->handle != 0) tessera_swap_budget_release(all[i]->device, all[i]->size);
        if (moved != 0) update_flags();
    }
    __atomic_store_n(&g_state, moved != 0 ? SWAPPED : RESIDENT, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&g_transition);
    free(all);
    uint64_t ms = (tessera_now_ns() - t0) / 1000000u;
    if (rc != CUDA_SUCCESS)
        tessera_log(TESSERA_LOG_WARN, "swap-out (%s) stopped by driver error %d: %llu of %llu "
                    "bytes moved to host memory, the rest stays on the GPU", why, (int)rc,
                    (unsigned long long)moved, (unsigned long long)total);
    else if (moved != 0)
        tessera_log(TESSERA_LOG_INFO, "swapped out %llu bytes in %llu ms (%s)",
                    (unsigned long long)moved, (unsigned long long)ms, why);
}

/* ---- swap-in ----------------------------------------------------------------------------- */

/* One swapped range back at its address; its host copy is freed. */
static CUresult in_range(range *r, CUstream s) {
    tessera_ticket t;
    CUresult rc = tessera_admit_device(&t, r->device, r->size);
    if (rc != CUDA_SUCCESS) return rc;
    CUmemGenericAllocationHandle h = 0;
    rc = back(r->va, r->size, r->device, &t, &h);
    if (rc == CUDA_SUCCESS) {
        rc = REAL(cuMemcpyHtoDAsync_v2)(r->va, r->host, r->size, s);
        CUresult waited = s != NULL ? REAL(cuStreamSynchronize)(s) : REAL(cuCtxSynchronize)();
        if (rc == CUDA_SUCCESS) rc = waited;
        if (rc != CUDA_SUCCESS) {
            REAL(cuMemUnmap)(r->va, r->size);
            REAL(cuMemRelease)(h);
        }
    }
    if (rc != CUDA_SUCCESS) {
        tessera_ticket_drop(&t);
        return rc;
    }
    /* The ticket's charge stays: the bytes are on the device again. */
    r->handle = h;
    REAL(cuMemFreeHost)(r->host);
    r->host = NULL;
    tessera_swap_budget_release(r->device, r->size);
    return CUDA_SUCCESS;
}

static CUresult swap_in_locked(const char *why) {
    uint64_t t0 = tessera_now_ns(), moved = 0;
    size_t n = 0, left = 0;
    range **all = list_snapshot(&n);
    CUresult rc = n != 0 && all == NULL ? CUDA_ERROR_OUT_OF_MEMORY : CUDA_SUCCESS;
    CUcontext ctx[MAX_CONTEXTS];
    size_t nctx = all != NULL ? contexts(all, n, ctx) : 0;
    for (size_t c = 0; c < nctx && rc == CUDA_SUCCESS; c++) {
        rc = REAL(cuCtxPushCurrent_v2)(ctx[c]);
        if (rc != CUDA_SUCCESS) break;
        CUstream s = private_stream();
        for (size_t i = 0; i < n && rc == CUDA_SUCCESS; i++) {
            if (all[i]->ctx != ctx[c] || all[i]->handle != 0) continue;
            rc = in_range(all[i], s);
            if (rc == CUDA_SUCCESS) moved += all[i]->size;
        }
        drop_stream(s);
        CUcontext popped;
        REAL(cuCtxPopCurrent_v2)(&popped);
    }
    for (size_t i = 0; i < n; i++) left += all[i]->handle == 0;
    update_flags();
    if (left == 0) __atomic_store_n(&g_state, RESIDENT, __ATOMIC_SEQ_CST);
    else if (rc == CUDA_SUCCESS) rc = CUDA_ERROR_OUT_OF_MEMORY; /* a context it cannot reach */
    free(all);
    uint64_t ms = (tessera_now_ns() - t0) / 1000000u;
    if (rc != CUDA_SUCCESS) {
        long long dropped = tessera_log_limited(&g_fail_log, TESSERA_LOG_WARN,
                                                FAIL_LOG_INTERVAL_NS);
        if (dropped >= 0)
            tessera_log(TESSERA_LOG_WARN, "swap-in (%s) failed with %d after %llu bytes; %zu "
                        "range(s) stay in host memory and the call that needs them fails%s",
                        why, (int)rc, (unsigned long long)moved, left,
                        dropped > 0 ? " (more failures not logged)" : "");
    } else if (moved != 0) {
        tessera_log(TESSERA_LOG_INFO, "swapped in %llu bytes in %llu ms (%s)",
                    (unsigned long long)moved, (unsigned long long)ms, why);
    }
    return rc;
}

/* ---- control file and idle policy --------------------------------------------------------- */

enum { CMD_NONE = 0, CMD_OUT = 1, CMD_IN = 2 };

/* "<sequence> out|in", optional trailing whitespace; 0 if the file is absent or not that. */
static int read_control(const char *path, uint64_t *seq, int *cmd) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char buf[64];
    ssize_t got = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (got <= 0) return 0;
    buf[got] = '\0';
    const char *p = buf;
    uint64_t v = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9' && digits < 19; p++, digits++) v = v * 10 + (uint64_t)(*p - '0');
    if (digits == 0 || *p != ' ') return 0;
    while (*p == ' ') p++;
    int c = strncmp(p, "out", 3) == 0 ? CMD_OUT : strncmp(p, "in", 2) == 0 ? CMD_IN : CMD_NONE;
    if (c == CMD_NONE) return 0;
    for (p += c == CMD_OUT ? 3 : 2; *p != '\0'; p++)
        if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') return 0;
    *seq = v;
    *cmd = c;
    return 1;
}

static void *monitor(void *arg) {
    (void)arg;
    const tessera_config *cfg = tessera_config_get();
    const char *path = g_ctl_path;
    uint64_t seen = g_ctl_seen, seq;
    int cmd, have_seen = g_ctl_have;
    uint64_t idle_ns = (uint64_t)cfg->swap_idle_ms * 1000000u;
    uint64_t last_enters = entered(), quiet_since = tessera_now_ns();
    while (!LOAD(&g_stopping)) {
        nap(POLL_NS);
        if (LOAD(&g_stopping)) break;
        if (read_control(path, &seq, &cmd) && (!have_seen || seq != seen)) {
            have_seen = 1;
            seen = seq;
            if (cmd == CMD_OUT) {
                swap_out("the node agent asked");
            } else {
                pthread_mutex_lock(&g_transition);
                if (LOAD(&g_state) != RESIDENT) (void)swap_in_locked("the node agent asked");
                pthread_mutex_unlock(&g_transition);
            }
            last_enters = entered();
            quiet_since = tessera_now_ns();
            continue;
        }
        if (idle_ns == 0) continue;
        uint64_t e = entered(), now = tessera_now_ns();
        if (e != last_enters || in_flight() != 0) {
            last_enters = e;
            quiet_since = now;
        } else if (now - quiet_since >= idle_ns && LOAD(&g_state) == RESIDENT) {
            char why[64];
            snprintf(why, sizeof why, "idle for %u ms", cfg->swap_idle_ms);
            swap_out(why);
            last_enters = entered();
            quiet_since = tessera_now_ns(); /* not again before another idle period */
        }
    }
    return NULL;
}

/* ---- lifecycle --------------------------------------------------------------------------- */

void tessera_swap_init(void) {
    const tessera_config *cfg = tessera_config_get();
    __atomic_store_n(&tessera_swap_on, 1, __ATOMIC_RELEASE);
    tessera_log(TESSERA_LOG_INFO, "GPU memory swap on: idle after %u ms (0: only when the node "
                "agent asks), commands in %s/swap.ctl", cfg->swap_idle_ms, cfg->usage_dir);
}

void tessera_swap_stop(void) { STORE(&g_stopping, 1); }

void tessera_swap_reset_after_fork(void) {
    pthread_mutex_init(&g_transition, NULL);
    pthread_mutex_init(&g_list_lock, NULL);
    pthread_mutex_init(&g_probe_lock, NULL);
    g_list.prev = g_list.next = &g_list; /* the parent's ranges: not the child's to free */
    memset(g_stripes, 0, sizeof g_stripes);
    STORE(&g_state, RESIDENT);
    STORE(&g_monitor_started, 0);
    for (int d = 0; d < TESSERA_MAX_DEVICES; d++) STORE(&g_dev[d].flagged, 0);
}
