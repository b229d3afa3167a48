/* See stub_cuda.h. Every block carries a header with its size and device so frees need no
 * table; the usage counters are atomics, so racing threads are as safe as on the driver. */
#include "stub_cuda.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define BLOCK_MAGIC 0x7e55e7a5u
#define DEFAULT_PITCH_ALIGN 256u

struct stub_pool;

typedef struct block {
    uint32_t magic;
    int32_t device;
    uint64_t size;
    struct stub_pool *pool; /* from a pool: the memory is the pool's, not taken from the device */
    uint32_t refs;          /* cuMemCreate: the handle and each mapping of it */
    uint32_t released;      /* cuMemCreate: the handle was released (memory lives while mapped) */
} block; /* 32 bytes: the returned address stays 16-byte aligned */

static __thread int t_device;
static uint64_t g_used[TSTUB_MAX_DEVICES];
static uint64_t g_peak[TSTUB_MAX_DEVICES];
static int g_fail_next_free;

static uint64_t env_u64(const char *name, uint64_t fallback) {
    const char *v = getenv(name);
    return v && *v ? strtoull(v, NULL, 10) : fallback;
}

/* Read once: getenv on every call would dominate the benchmark's baseline. */
static uint64_t total_bytes(void) {
    static uint64_t cached;
    uint64_t v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (v == 0) {
        v = env_u64("TSTUB_TOTAL_BYTES", 1ull << 30);
        __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
    }
    return v;
}

static int valid_device(int d) { return d >= 0 && d < TSTUB_MAX_DEVICES; }

/* ---- one physical GPU shared by processes (TSTUB_SHARED_FILE) ----------------------------- */
/* A table of what each process holds, in a file every process of a test maps. flock orders
 * processes, a mutex the threads of one (a flock is per open file, which threads share).
 * Entries of dead processes stop counting, as a real driver frees a dead process's memory;
 * a reused pid is not told apart (tests do not run that long). */

#define SHARED_ENTRIES 64

typedef struct shared_entry {
    int32_t pid; /* 0: free */
    uint32_t pad;
    uint64_t bytes[TSTUB_MAX_DEVICES];
} shared_entry;

static pthread_mutex_t g_shared_lock = PTHREAD_MUTEX_INITIALIZER;
static shared_entry *g_shared;    /* NULL: not shared */
static int g_shared_fd = -1;
static pid_t g_shared_pid;        /* who opened g_shared_fd: a fork child opens its own */
static shared_entry *g_own;
static int g_shared_checked;

static int process_dead(pid_t pid) {
    if (kill(pid, 0) != 0 && errno == ESRCH) return 1;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) return 0;
    char *got = fgets(buf, sizeof buf, f);
    fclose(f);
    char *paren = got ? strrchr(buf, ')') : NULL;
    return paren != NULL && (paren[2] == 'Z' || paren[2] == 'X');
}

/* Under g_shared_lock. 0 when the table is in use by this process. */
static int shared_open(void) {
    if (g_shared_fd >= 0 && g_shared_pid == getpid()) return 0;
    const char *path = getenv("TSTUB_SHARED_FILE");
    if (path == NULL || *path == '\0') return -1;
    if (g_shared_fd >= 0) close(g_shared_fd); /* the parent's open file: its flock is the parent's */
    g_shared_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (g_shared_fd < 0) abort();
    if (g_shared == NULL) {
        size_t size = SHARED_ENTRIES * sizeof(shared_entry);
        if (ftruncate(g_shared_fd, (off_t)size) != 0) abort(); /* zero-filled when new */
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, g_shared_fd, 0);
        if (p == MAP_FAILED) abort();
        __atomic_store_n(&g_shared, (shared_entry *)p, __ATOMIC_RELEASE);
    }
    g_shared_pid = getpid();
    g_own = NULL;
    return 0;
}

/* 1 with both locks held when TSTUB_SHARED_FILE is set; 0 (nothing held) otherwise. */
static int shared_lock(void) {
    if (__atomic_load_n(&g_shared_checked, __ATOMIC_ACQUIRE) &&
        __atomic_load_n(&g_shared, __ATOMIC_ACQUIRE) == NULL)
        return 0;
    pthread_mutex_lock(&g_shared_lock);
    int shared = shared_open() == 0;
    __atomic_store_n(&g_shared_checked, 1, __ATOMIC_RELEASE); /* after g_shared is final */
    if (!shared) {
        pthread_mutex_unlock(&g_shared_lock);
        return 0;
    }
    while (flock(g_shared_fd, LOCK_EX) != 0 && errno == EINTR) {
    }
    return 1;
}

static void shared_unlock(void) {
    flock(g_shared_fd, LOCK_UN);
    pthread_mutex_unlock(&g_shared_lock);
}

/* Under the locks: bytes of live processes on `device`; dead processes' entries are emptied. */
static uint64_t shared_used(int device) {
    uint64_t sum = 0;
    for (int i = 0; i < SHARED_ENTRIES; i++) {
        shared_entry *e = &g_shared[i];
        if (e->pid == 0) continue;
        if (e->pid != g_shared_pid && process_dead(e->pid)) {
            memset(e, 0, sizeof *e);
            if (e == g_own) g_own = NULL;
            continue;
        }
        sum += e->bytes[device];
    }
    return sum;
}

static shared_entry *shared_own(void) {
    if (g_own != NULL) return g_own;
    for (int i = 0; i < SHARED_ENTRIES && g_own == NULL; i++) {
        if (g_shared[i].pid == g_shared_pid) g_own = &g_shared[i];
    }
    for (int i = 0; i < SHARED_ENTRIES && g_own == NULL; i++) {
        if (g_shared[i].pid == 0) {
            g_own = &g_shared[i];
            memset(g_own, 0, sizeof *g_own);
            g_own->pid = (int32_t)g_shared_pid;
        }
    }
    return g_own;
}

/* 0 if the shared GPU has room for `bytes` more (now counted as ours). */
static int shared_take(int device, uint64_t bytes, uint64_t total) {
    shared_used(device); /* reaps the dead, so their entries can be reused */
    shared_entry *own = shared_own();
    uint64_t used = shared_used(device);
    if (own == NULL || bytes > total || used > total - bytes) return -1;
    own->bytes[device] += bytes;
    return 0;
}

/* A fork child may free a block its parent allocated, which its own entry never held. */
static void shared_give(int device, uint64_t bytes) {
    shared_entry *own = shared_own();
    if (own != NULL) own->bytes[device] -= bytes < own->bytes[device] ? bytes : own->bytes[device];
}

/* ---- this process's view ------------------------------------------------------------------ */

static void count_local(int device, uint64_t bytes) {
    uint64_t now = __atomic_add_fetch(&g_used[device], bytes, __ATOMIC_ACQ_REL);
    uint64_t peak = __atomic_load_n(&g_peak[device], __ATOMIC_RELAXED);
    while (now > peak && !__atomic_compare_exchange_n(&g_peak[device], &peak, now, 1,
                                                      __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
}

/* Shared: the GPU's room is what all live processes leave (ours is part of that). Otherwise
 * this process has the GPU to itself. */
static CUresult take(int device, uint64_t bytes) {
    uint64_t total = total_bytes();
    if (shared_lock()) {
        int taken = shared_take(device, bytes, total);
        shared_unlock();
        if (taken != 0) return CUDA_ERROR_OUT_OF_MEMORY;
        count_local(device, bytes);
        return CUDA_SUCCESS;
    }
    uint64_t cur = __atomic_load_n(&g_used[device], __ATOMIC_RELAXED);
    do {
        if (bytes > total || cur > total - bytes) return CUDA_ERROR_OUT_OF_MEMORY;
    } while (!__atomic_compare_exchange_n(&g_used[device], &cur, cur + bytes, 1, __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    count_local(device, 0); /* the peak */
    return CUDA_SUCCESS;
}

static void give(int device, uint64_t bytes) {
    if (shared_lock()) {
        shared_give(device, bytes);
        shared_unlock();
    }
    __atomic_sub_fetch(&g_used[device], bytes, __ATOMIC_ACQ_REL);
}

/* TSTUB_CALL_DELAY_US: every allocation and free takes this long inside the "driver", as real
 * ones take microseconds to milliseconds; the exit race test uses it to catch threads with a
 * reservation in flight. */
static void call_delay(void) {
    static int64_t cached = -1;
    int64_t us = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (us < 0) {
        us = (int64_t)env_u64("TSTUB_CALL_DELAY_US", 0);
        __atomic_store_n(&cached, us, __ATOMIC_RELAXED);
    }
    if (us > 0) usleep((useconds_t)us);
}

static CUresult block_alloc(int device, uint64_t bytes, void **out) {
    if (bytes == 0 || !valid_device(device)) return CUDA_ERROR_INVALID_VALUE;
    call_delay();
    CUresult rc = take(device, bytes);
    if (rc != CUDA_SUCCESS) return rc;
    block *b = malloc(sizeof *b + bytes);
    if (b == NULL) {
        give(device, bytes);
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    *b = (block){.magic = BLOCK_MAGIC, .device = device, .size = bytes};
    *out = b + 1;
    return CUDA_SUCCESS;
}

static void pool_return(struct stub_pool *p, uint64_t bytes);
static int in_any_reservation(CUdeviceptr p);

/* Misaligned addresses, and addresses of reservations (which are not blocks: cuMemMap memory),
 * are rejected without being read, so tests can free garbage. */
static CUresult block_free(uint64_t address) {
    if (address == 0) return CUDA_SUCCESS;
    if (address % 16 != 0 || in_any_reservation(address)) return CUDA_ERROR_INVALID_VALUE;
    if (__atomic_exchange_n(&g_fail_next_free, 0, __ATOMIC_ACQ_REL)) return CUDA_ERROR_INVALID_VALUE;
    block *b = (block *)(uintptr_t)address - 1;
    if (b->magic != BLOCK_MAGIC) return CUDA_ERROR_INVALID_VALUE;
    call_delay();
    b->magic = 0;
    if (b->pool != NULL) pool_return(b->pool, b->size);
    else give(b->device, b->size);
    free(b);
    return CUDA_SUCCESS;
}

static CUresult alloc_dptr(CUdeviceptr *dptr, uint64_t bytes) {
    if (dptr == NULL) return CUDA_ERROR_INVALID_VALUE;
    void *p;
    CUresult rc = block_alloc(t_device, bytes, &p);
    if (rc == CUDA_SUCCESS) *dptr = (CUdeviceptr)(uintptr_t)p;
    return rc;
}

/* ---- driver entry points ------------------------------------------------------------------ */

CUresult cuInit(unsigned int flags) { return flags == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE; }

CUresult cuDeviceGet(CUdevice *device, int ordinal) {
    if (device == NULL || !valid_device(ordinal)) return CUDA_ERROR_INVALID_VALUE;
    *device = ordinal;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetCount(int *count) {
    *count = (int)env_u64("TSTUB_DEVICES", 2);
    return CUDA_SUCCESS;
}

CUresult cuCtxGetDevice(CUdevice *device) {
    if (device == NULL) return CUDA_ERROR_INVALID_VALUE;
    *device = t_device;
    return CUDA_SUCCESS;
}

CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize) { return alloc_dptr(dptr, bytesize); }

CUresult cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pPitch, size_t WidthInBytes, size_t Height,
                            unsigned int ElementSizeBytes) {
    (void)ElementSizeBytes;
    if (pPitch == NULL || WidthInBytes == 0 || Height == 0) return CUDA_ERROR_INVALID_VALUE;
    uint64_t align = env_u64("TSTUB_PITCH_ALIGN", DEFAULT_PITCH_ALIGN);
    uint64_t pitch = (WidthInBytes + align - 1) / align * align;
    CUresult rc = alloc_dptr(dptr, pitch * Height);
    if (rc == CUDA_SUCCESS) *pPitch = pitch;
    return rc;
}

CUresult cuMemAllocManaged(CUdeviceptr *dptr, size_t bytesize, unsigned int flags) {
    (void)flags;
    return alloc_dptr(dptr, bytesize);
}


static uint64_t stub_element(int format, unsigned channels) {
    uint64_t per = format == 0x01 || format == 0x08 ? 1 : format == 0x02 || format == 0x09 || format == 0x10 ? 2 : 4;
    return per * (channels ? channels : 1);
}

static uint64_t nz(uint64_t v) { return v ? v : 1; }

CUresult cuArrayCreate_v2(CUarray *pHandle, const CUDA_ARRAY_DESCRIPTOR *d) {
    if (pHandle == NULL || d == NULL) return CUDA_ERROR_INVALID_VALUE;
    void *p;
    CUresult rc = block_alloc(t_device, d->Width * nz(d->Height) * stub_element(d->Format, d->NumChannels), &p);
    if (rc == CUDA_SUCCESS) *pHandle = (CUarray)p;
    return rc;
}

CUresult cuArray3DCreate_v2(CUarray *pHandle, const CUDA_ARRAY3D_DESCRIPTOR *d) {
    if (pHandle == NULL || d == NULL) return CUDA_ERROR_INVALID_VALUE;
    void *p;
    CUresult rc = block_alloc(
        t_device, d->Width * nz(d->Height) * nz(d->Depth) * stub_element(d->Format, d->NumChannels), &p);
    if (rc == CUDA_SUCCESS) *pHandle = (CUarray)p;
    return rc;
}

CUresult cuMipmappedArrayCreate(CUmipmappedArray *pHandle, const CUDA_ARRAY3D_DESCRIPTOR *d,
                                unsigned int levels) {
    if (pHandle == NULL || d == NULL) return CUDA_ERROR_INVALID_VALUE;
    /* Crude on purpose: the stub only needs some backing; the library charges its own estimate. */
    void *p;
    CUresult rc = block_alloc(
        t_device, d->Width * nz(d->Height) * nz(d->Depth) * stub_element(d->Format, d->NumChannels) * 2 + levels, &p);
    if (rc == CUDA_SUCCESS) *pHandle = (CUmipmappedArray)p;
    return rc;
}

CUresult cuArrayDestroy(CUarray hArray) { return block_free((uint64_t)(uintptr_t)hArray); }

CUresult cuMipmappedArrayDestroy(CUmipmappedArray h) { return block_free((uint64_t)(uintptr_t)h); }

CUresult cuMemGetInfo_v2(size_t *free_bytes, size_t *total) {
    if (free_bytes == NULL || total == NULL) return CUDA_ERROR_INVALID_VALUE;
    *total = total_bytes();
    uint64_t used = __atomic_load_n(&g_used[t_device], __ATOMIC_ACQUIRE);
    if (shared_lock()) {
        used = shared_used(t_device);
        shared_unlock();
    }
    *free_bytes = used < *total ? *total - used : 0;
    return CUDA_SUCCESS;
}

CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev) {
    if (bytes == NULL || !valid_device(dev)) return CUDA_ERROR_INVALID_VALUE;
    *bytes = total_bytes();
    return CUDA_SUCCESS;
}

/* ---- streams: work runs when the stream is synchronised ----------------------------------- */
/* A stream has a device (the thread's when created) and a queue of deferred work: frees that
 * take effect when the stream reaches them, host functions. Synchronising a stream (or the
 * context, or an event: the stub does not track which stream an event is on) runs its queue,
 * then lets pools release what they hold above their release threshold, as the driver does
 * "on the next call to stream, event or context synchronize". */

#define STUB_MAX_STREAMS 64
#define STUB_QUEUE 16 /* kernels a stream holds unfinished before a launch waits */
#define STUB_MAX_OPS 4096

typedef struct stub_op {
    CUhostFn fn;      /* a host function, or NULL for a free */
    void *arg;
    uint64_t address; /* the free */
} stub_op;

struct CUstream_st {
    int device;
    int capturing;
    CUgraph graph;
    uint64_t ends[STUB_QUEUE]; /* when its last kernels end (CLOCK_MONOTONIC ns) */
    int nops;
    stub_op ops[STUB_MAX_OPS];
};

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t) {
    for (uint64_t now = now_ns(); now < t; now = now_ns()) {
        struct timespec ts = {(time_t)((t - now) / 1000000000u), (long)((t - now) % 1000000000u)};
        nanosleep(&ts, NULL);
    }
}

static uint64_t stream_end(const struct CUstream_st *st) {
    uint64_t end = 0;
    for (int i = 0; i < STUB_QUEUE; i++) end = st->ends[i] > end ? st->ends[i] : end;
    return end;
}

static int stream_oldest(const struct CUstream_st *st) {
    int oldest = 0;
    for (int i = 1; i < STUB_QUEUE; i++) oldest = st->ends[i] < st->ends[oldest] ? i : oldest;
    return oldest;
}

static pthread_mutex_t g_stream_lock = PTHREAD_MUTEX_INITIALIZER;
static struct CUstream_st g_default_stream[TSTUB_MAX_DEVICES];
static struct CUstream_st *g_streams[STUB_MAX_STREAMS];
static int g_nstreams;

static struct CUstream_st *stream_of(CUstream s) {
    if (s == NULL || s == (CUstream)0x1 || s == (CUstream)0x2) {
        g_default_stream[t_device].device = t_device;
        return &g_default_stream[t_device];
    }
    return s;
}

CUresult cuStreamCreate(CUstream *phStream, unsigned int flags) {
    (void)flags;
    struct CUstream_st *st = calloc(1, sizeof *st);
    if (st == NULL || phStream == NULL) return CUDA_ERROR_OUT_OF_MEMORY;
    st->device = t_device;
    pthread_mutex_lock(&g_stream_lock);
    if (g_nstreams < STUB_MAX_STREAMS) g_streams[g_nstreams++] = st;
    pthread_mutex_unlock(&g_stream_lock);
    *phStream = st;
    return CUDA_SUCCESS;
}

CUresult cuStreamDestroy_v2(CUstream hStream) {
    if (hStream == NULL || hStream == (CUstream)0x1 || hStream == (CUstream)0x2)
        return CUDA_ERROR_INVALID_VALUE;
    pthread_mutex_lock(&g_stream_lock);
    for (int i = 0; i < g_nstreams; i++) {
        if (g_streams[i] != hStream) continue;
        g_streams[i] = g_streams[--g_nstreams];
        break;
    }
    pthread_mutex_unlock(&g_stream_lock);
    free(hStream); /* its pending work is dropped: the stub's callers synchronise first */
    return CUDA_SUCCESS;
}

static CUresult enqueue(CUstream s, CUhostFn fn, void *arg, uint64_t address) {
    struct CUstream_st *st = stream_of(s);
    pthread_mutex_lock(&g_stream_lock);
    CUresult rc = CUDA_ERROR_OUT_OF_MEMORY;
    if (st->nops < STUB_MAX_OPS) {
        st->ops[st->nops++] = (stub_op){fn, arg, address};
        rc = CUDA_SUCCESS;
    }
    pthread_mutex_unlock(&g_stream_lock);
    return rc;
}

static void run_stream(struct CUstream_st *st) {
    for (;;) {
        pthread_mutex_lock(&g_stream_lock);
        if (st->nops == 0) {
            pthread_mutex_unlock(&g_stream_lock);
            return;
        }
        stub_op op = st->ops[0];
        memmove(st->ops, st->ops + 1, (size_t)(st->nops - 1) * sizeof op);
        st->nops--;
        pthread_mutex_unlock(&g_stream_lock);
        if (op.fn != NULL) op.fn(op.arg);
        else block_free(op.address);
    }
}

static void trim_pools(void);

static void run_all_streams(void) {
    for (int d = 0; d < TSTUB_MAX_DEVICES; d++) run_stream(&g_default_stream[d]);
    pthread_mutex_lock(&g_stream_lock);
    int n = g_nstreams;
    pthread_mutex_unlock(&g_stream_lock);
    for (int i = 0; i < n; i++) run_stream(g_streams[i]);
}

/* Waits for the kernels too: a synchronisation returns once the GPU has done them. */
CUresult cuCtxSynchronize(void) {
    uint64_t until = 0;
    pthread_mutex_lock(&g_stream_lock);
    for (int d = 0; d < TSTUB_MAX_DEVICES; d++)
        if (stream_end(&g_default_stream[d]) > until) until = stream_end(&g_default_stream[d]);
    for (int i = 0; i < g_nstreams; i++)
        if (stream_end(g_streams[i]) > until) until = stream_end(g_streams[i]);
    pthread_mutex_unlock(&g_stream_lock);
    sleep_until(until);
    run_all_streams();
    trim_pools();
    return CUDA_SUCCESS;
}

CUresult cuCtxSynchronize_v2(CUcontext ctx) {
    (void)ctx; /* the stub synchronises every device's work */
    return cuCtxSynchronize();
}

CUresult cuStreamSynchronize(CUstream hStream) {
    sleep_until(stream_end(stream_of(hStream)));
    run_stream(stream_of(hStream));
    trim_pools();
    return CUDA_SUCCESS;
}

CUresult cuStreamSynchronize_ptsz(CUstream hStream) { return cuStreamSynchronize(hStream); }

/* ---- kernels and events: a GPU that runs one kernel at a time ------------------------------ */
/* A kernel (tstub_kernel) has a duration. Launched, it runs on its device's timeline after
 * whatever is queued there: the timeline is this process's, or - with TSTUB_GPU_FILE=<path> -
 * shared by every process naming the file, like tenants of one GPU taking turns. A stream
 * holds at most STUB_QUEUE kernels not yet finished; one more launch waits for the first to
 * end, as a launch queue fills. An event records when its stream reaches it. */

struct CUfunc_st {
    uint32_t magic;
    uint64_t ns;
    int reads; /* tstub_kernel_sum: reads device memory (see stub_cuda.h) */
};
#define KERNEL_MAGIC 0x6b65726eu

struct CUevent_st {
    uint64_t t;
    int recorded;
};

typedef struct gpu_timeline {
    uint64_t free_at[TSTUB_MAX_DEVICES]; /* when the queued kernels are done */
} gpu_timeline;

static gpu_timeline g_local_timeline;
static gpu_timeline *g_timeline;
static pthread_once_t g_timeline_once = PTHREAD_ONCE_INIT;

static void open_timeline(void) {
    g_timeline = &g_local_timeline;
    const char *path = getenv("TSTUB_GPU_FILE");
    if (path == NULL || *path == '\0') return;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0 || ftruncate(fd, sizeof(gpu_timeline)) != 0) {
        if (fd >= 0) close(fd);
        return;
    }
    void *p = mmap(NULL, sizeof(gpu_timeline), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p != MAP_FAILED) g_timeline = p;
}

/* This process's kernels, for tstub_gpu_busy_ns. */
#define BUSY_LOG 262144
static struct {
    uint64_t start, end;
} g_busy[BUSY_LOG];
static uint64_t g_nbusy;

CUfunction tstub_kernel(uint64_t ns) {
    struct CUfunc_st *f = malloc(sizeof *f);
    if (f != NULL) *f = (struct CUfunc_st){KERNEL_MAGIC, ns, 0};
    return f;
}

CUfunction tstub_kernel_sum(void) {
    struct CUfunc_st *f = malloc(sizeof *f);
    if (f != NULL) *f = (struct CUfunc_st){KERNEL_MAGIC, 0, 1};
    return f;
}

static CUresult read_device(CUdeviceptr p, uint64_t n, uint64_t *sum);

uint64_t tstub_gpu_busy_ns(uint64_t t0, uint64_t t1) {
    uint64_t sum = 0, n = __atomic_load_n(&g_nbusy, __ATOMIC_ACQUIRE);
    for (uint64_t i = 0; i < n && i < BUSY_LOG; i++) {
        uint64_t a = g_busy[i].start > t0 ? g_busy[i].start : t0;
        uint64_t b = g_busy[i].end < t1 ? g_busy[i].end : t1;
        if (b > a) sum += b - a;
    }
    return sum;
}

uint64_t tstub_now_ns(void) { return now_ns(); }

static CUresult launch(CUfunction f, CUstream hStream, void **params) {
    if (f == NULL || f->magic != KERNEL_MAGIC) return CUDA_ERROR_INVALID_VALUE;
    if (f->reads) { /* (CUdeviceptr p, uint64_t n, uint64_t *out): *out = checksum of [p, p+n) */
        if (params == NULL) return CUDA_ERROR_INVALID_VALUE;
        uint64_t sum = 0;
        CUresult rc = read_device(*(CUdeviceptr *)params[0], *(uint64_t *)params[1], &sum);
        if (rc == CUDA_SUCCESS) **(uint64_t **)params[2] = sum;
        return rc;
    }
    pthread_once(&g_timeline_once, open_timeline);
    struct CUstream_st *st = stream_of(hStream);
    sleep_until(st->ends[stream_oldest(st)]); /* the queue is full until its oldest is done */
    uint64_t *free_at = &g_timeline->free_at[st->device];
    uint64_t cur = __atomic_load_n(free_at, __ATOMIC_ACQUIRE), start, end;
    do {
        uint64_t now = now_ns();
        start = cur > now ? cur : now;
        end = start + f->ns;
    } while (!__atomic_compare_exchange_n(free_at, &cur, end, 1, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    pthread_mutex_lock(&g_stream_lock);
    st->ends[stream_oldest(st)] = end;
    pthread_mutex_unlock(&g_stream_lock);
    uint64_t i = __atomic_fetch_add(&g_nbusy, 1, __ATOMIC_ACQ_REL);
    if (i < BUSY_LOG) g_busy[i].start = start, g_busy[i].end = end;
    return CUDA_SUCCESS;
}

CUresult cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY,
                        unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY,
                        unsigned int blockDimZ, unsigned int sharedMemBytes, CUstream hStream,
                        void **kernelParams, void **extra) {
    (void)gridDimX, (void)gridDimY, (void)gridDimZ, (void)blockDimX, (void)blockDimY;
    (void)blockDimZ, (void)sharedMemBytes, (void)extra;
    return launch(f, hStream, kernelParams);
}

CUresult cuLaunchKernel_ptsz(CUfunction f, unsigned int gridDimX, unsigned int gridDimY,
                             unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY,
                             unsigned int blockDimZ, unsigned int sharedMemBytes, CUstream hStream,
                             void **kernelParams, void **extra) {
    return cuLaunchKernel(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ,
                          sharedMemBytes, hStream, kernelParams, extra);
}

CUresult cuLaunchKernelEx(const CUlaunchConfig *config, CUfunction f, void **kernelParams,
                          void **extra) {
    (void)extra;
    return config == NULL ? CUDA_ERROR_INVALID_VALUE : launch(f, config->hStream, kernelParams);
}

CUresult cuLaunchKernelEx_ptsz(const CUlaunchConfig *config, CUfunction f, void **kernelParams,
                               void **extra) {
    return cuLaunchKernelEx(config, f, kernelParams, extra);
}

CUresult cuLaunchCooperativeKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY,
                                   unsigned int gridDimZ, unsigned int blockDimX,
                                   unsigned int blockDimY, unsigned int blockDimZ,
                                   unsigned int sharedMemBytes, CUstream hStream,
                                   void **kernelParams) {
    return cuLaunchKernel(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ,
                          sharedMemBytes, hStream, kernelParams, NULL);
}

CUresult cuLaunchCooperativeKernel_ptsz(CUfunction f, unsigned int gridDimX,
                                        unsigned int gridDimY, unsigned int gridDimZ,
                                        unsigned int blockDimX, unsigned int blockDimY,
                                        unsigned int blockDimZ, unsigned int sharedMemBytes,
                                        CUstream hStream, void **kernelParams) {
    return cuLaunchKernel(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ,
                          sharedMemBytes, hStream, kernelParams, NULL);
}

CUresult cuEventCreate(CUevent *phEvent, unsigned int Flags) {
    (void)Flags;
    if (phEvent == NULL) return CUDA_ERROR_INVALID_VALUE;
    *phEvent = calloc(1, sizeof **phEvent);
    return *phEvent != NULL ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}

CUresult cuEventDestroy_v2(CUevent hEvent) {
    free(hEvent);
    return CUDA_SUCCESS;
}

CUresult cuEventRecord(CUevent hEvent, CUstream hStream) {
    if (hEvent == NULL) return CUDA_ERROR_INVALID_VALUE;
    uint64_t now = now_ns(), end = stream_end(stream_of(hStream));
    hEvent->t = end > now ? end : now;
    hEvent->recorded = 1;
    return CUDA_SUCCESS;
}

CUresult cuEventRecord_ptsz(CUevent hEvent, CUstream hStream) {
    return cuEventRecord(hEvent, hStream);
}

CUresult cuEventQuery(CUevent hEvent) {
    if (hEvent == NULL || !hEvent->recorded) return CUDA_ERROR_INVALID_VALUE;
    return now_ns() >= hEvent->t ? CUDA_SUCCESS : CUDA_ERROR_NOT_READY;
}

CUresult cuEventElapsedTime(float *pMilliseconds, CUevent hStart, CUevent hEnd) {
    if (pMilliseconds == NULL || hStart == NULL || hEnd == NULL) return CUDA_ERROR_INVALID_VALUE;
    if (cuEventQuery(hStart) != CUDA_SUCCESS || cuEventQuery(hEnd) != CUDA_SUCCESS)
        return CUDA_ERROR_NOT_READY;
    *pMilliseconds = (float)((double)((int64_t)(hEnd->t - hStart->t)) / 1e6);
    return CUDA_SUCCESS;
}

CUresult cuEventElapsedTime_v2(float *pMilliseconds, CUevent hStart, CUevent hEnd) {
    return cuEventElapsedTime(pMilliseconds, hStart, hEnd);
}

CUresult cuEventSynchronize(CUevent hEvent) {
    if (hEvent != NULL && hEvent->recorded) sleep_until(hEvent->t);
    return cuCtxSynchronize();
}

CUresult cuLaunchHostFunc(CUstream hStream, CUhostFn fn, void *userData) {
    if (fn == NULL) return CUDA_ERROR_INVALID_VALUE;
    return enqueue(hStream, fn, userData, 0);
}

CUresult cuLaunchHostFunc_ptsz(CUstream hStream, CUhostFn fn, void *userData) {
    return cuLaunchHostFunc(hStream, fn, userData);
}

/* ---- memory pools ------------------------------------------------------------------------ */
/* A pool takes device memory in steps of TSTUB_POOL_STEP (default 2 MiB) when its free part
 * cannot serve an allocation, keeps what is freed into it, and gives memory back only above
 * its release threshold at a synchronisation, or when trimmed. Host pools take no device
 * memory. */

struct stub_pool {
    int device; /* -1: a host pool */
    int destroyed;
    uint64_t reserved, used, threshold;
};
typedef struct stub_pool stub_pool;

static stub_pool g_default_pool[TSTUB_MAX_DEVICES];
static stub_pool *g_current_pool[TSTUB_MAX_DEVICES];
static stub_pool *g_pools[256];
static int g_npools;
static pthread_mutex_t g_pool_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t pool_step(void) { return env_u64("TSTUB_POOL_STEP", 2ull << 20); }

static stub_pool *default_pool(int device) {
    g_default_pool[device].device = device;
    return &g_default_pool[device];
}

/* Under g_pool_lock: gives back what is above `keep` (never what is in use), in whole steps. */
static void pool_shrink(stub_pool *p, uint64_t keep) {
    uint64_t step = pool_step();
    uint64_t floor = keep > p->used ? keep : p->used;
    floor = (floor + step - 1) / step * step;
    if (p->reserved <= floor) return;
    if (p->device >= 0) give(p->device, p->reserved - floor);
    p->reserved = floor;
}

static void trim_pools(void) {
    pthread_mutex_lock(&g_pool_lock);
    for (int d = 0; d < TSTUB_MAX_DEVICES; d++)
        if (g_default_pool[d].reserved > g_default_pool[d].threshold)
            pool_shrink(&g_default_pool[d], g_default_pool[d].threshold);
    for (int i = 0; i < g_npools; i++)
        if (g_pools[i]->reserved > g_pools[i]->threshold) pool_shrink(g_pools[i], g_pools[i]->threshold);
    pthread_mutex_unlock(&g_pool_lock);
}

static void pool_return(stub_pool *p, uint64_t bytes) {
    pthread_mutex_lock(&g_pool_lock);
    p->used -= bytes;
    if (p->destroyed && p->used == 0) pool_shrink(p, 0);
    pthread_mutex_unlock(&g_pool_lock);
}

static CUresult pool_alloc(stub_pool *p, uint64_t bytes, CUdeviceptr *dptr) {
    if (dptr == NULL || bytes == 0) return CUDA_ERROR_INVALID_VALUE;
    pthread_mutex_lock(&g_pool_lock);
    CUresult rc = CUDA_SUCCESS;
    if (p->reserved - p->used < bytes) {
        uint64_t step = pool_step();
        uint64_t grow = (bytes - (p->reserved - p->used) + step - 1) / step * step;
        rc = p->device >= 0 ? take(p->device, grow) : CUDA_SUCCESS;
        if (rc == CUDA_SUCCESS) p->reserved += grow;
    }
    if (rc == CUDA_SUCCESS) p->used += bytes;
    pthread_mutex_unlock(&g_pool_lock);
    if (rc != CUDA_SUCCESS) return rc;
    block *b = malloc(sizeof *b + bytes);
    if (b == NULL) {
        pool_return(p, bytes);
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    *b = (block){.magic = BLOCK_MAGIC, .device = p->device, .size = bytes, .pool = p};
    *dptr = (CUdeviceptr)(uintptr_t)(b + 1);
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetDefaultMemPool(CUmemoryPool *pool_out, CUdevice dev) {
    if (pool_out == NULL || !valid_device(dev)) return CUDA_ERROR_INVALID_VALUE;
    *pool_out = (CUmemoryPool)default_pool(dev);
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetMemPool(CUmemoryPool *pool, CUdevice dev) {
    if (pool == NULL || !valid_device(dev)) return CUDA_ERROR_INVALID_VALUE;
    stub_pool *p = __atomic_load_n(&g_current_pool[dev], __ATOMIC_ACQUIRE);
    *pool = (CUmemoryPool)(p != NULL ? p : default_pool(dev));
    return CUDA_SUCCESS;
}

CUresult cuDeviceSetMemPool(CUdevice dev, CUmemoryPool pool) {
    if (pool == NULL || !valid_device(dev)) return CUDA_ERROR_INVALID_VALUE;
    __atomic_store_n(&g_current_pool[dev], (stub_pool *)pool, __ATOMIC_RELEASE);
    return CUDA_SUCCESS;
}

CUresult cuMemPoolCreate(CUmemoryPool *pool, const CUmemPoolProps *props) {
    if (pool == NULL || props == NULL) return CUDA_ERROR_INVALID_VALUE;
    stub_pool *p = calloc(1, sizeof *p);
    if (p == NULL) return CUDA_ERROR_OUT_OF_MEMORY;
    p->device = props->location.type == TESSERA_CU_MEM_LOCATION_TYPE_DEVICE ? props->location.id : -1;
    pthread_mutex_lock(&g_pool_lock);
    if (g_npools < 256) g_pools[g_npools++] = p;
    pthread_mutex_unlock(&g_pool_lock);
    *pool = (CUmemoryPool)p;
    return CUDA_SUCCESS;
}

/* Freed once no allocation of it is outstanding (the stub keeps the object: handles are not
 * reused). */
CUresult cuMemPoolDestroy(CUmemoryPool pool) {
    stub_pool *p = (stub_pool *)pool;
    if (p == NULL) return CUDA_ERROR_INVALID_VALUE;
    pthread_mutex_lock(&g_pool_lock);
    p->destroyed = 1;
    if (p->used == 0) pool_shrink(p, 0);
    pthread_mutex_unlock(&g_pool_lock);
    return CUDA_SUCCESS;
}

CUresult cuMemPoolTrimTo(CUmemoryPool pool, size_t minBytesToKeep) {
    stub_pool *p = (stub_pool *)pool;
    if (p == NULL) return CUDA_ERROR_INVALID_VALUE;
    pthread_mutex_lock(&g_pool_lock);
    pool_shrink(p, minBytesToKeep);
    pthread_mutex_unlock(&g_pool_lock);
    return CUDA_SUCCESS;
}

CUresult cuMemPoolSetAttribute(CUmemoryPool pool, int attr, void *value) {
    stub_pool *p = (stub_pool *)pool;
    if (p == NULL || value == NULL || attr != TESSERA_CU_MEMPOOL_ATTR_RELEASE_THRESHOLD)
        return CUDA_ERROR_INVALID_VALUE;
    pthread_mutex_lock(&g_pool_lock);
    p->threshold = *(cuuint64_t *)value;
    pthread_mutex_unlock(&g_pool_lock);
    return CUDA_SUCCESS;
}

CUresult cuMemPoolGetAttribute(CUmemoryPool pool, int attr, void *value) {
    stub_pool *p = (stub_pool *)pool;
    if (p == NULL || value == NULL) return CUDA_ERROR_INVALID_VALUE;
    pthread_mutex_lock(&g_pool_lock);
    CUresult rc = CUDA_SUCCESS;
    if (attr == TESSERA_CU_MEMPOOL_ATTR_RELEASE_THRESHOLD) *(cuuint64_t *)value = p->threshold;
    else if (attr == TESSERA_CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT) *(cuuint64_t *)value = p->reserved;
    else if (attr == TESSERA_CU_MEMPOOL_ATTR_USED_MEM_CURRENT) *(cuuint64_t *)value = p->used;
    else rc = CUDA_ERROR_INVALID_VALUE;
    pthread_mutex_unlock(&g_pool_lock);
    return rc;
}

/* Only the pool attribute: the pool a pointer came from, NULL if it is not pool memory. */
CUresult cuPointerGetAttribute(void *data, int attribute, CUdeviceptr ptr) {
    if (data == NULL || attribute != TESSERA_CU_POINTER_ATTRIBUTE_MEMPOOL_HANDLE || ptr % 16 != 0)
        return CUDA_ERROR_INVALID_VALUE;
    if (in_any_reservation(ptr)) { /* cuMemMap memory: no pool */
        *(CUmemoryPool *)data = NULL;
        return CUDA_SUCCESS;
    }
    block *b = (block *)(uintptr_t)ptr - 1;
    if (b->magic != BLOCK_MAGIC) return CUDA_ERROR_INVALID_VALUE;
    *(CUmemoryPool *)data = (CUmemoryPool)b->pool;
    return CUDA_SUCCESS;
}

/* ---- graphs, and stream capture --------------------------------------------------------- */
/* A graph notes what its memory allocation nodes take per device; a launch maps that much from
 * the device's graph memory, growing it as needed, and the stub takes the nodes' frees to be
 * in the graph, so nothing stays in use after it. Graph memory goes back to the device only
 * at cuDeviceGraphMemTrim. */

struct CUgraph_st {
    uint64_t bytes[TSTUB_MAX_DEVICES];
};
struct CUgraphExec_st {
    uint64_t bytes[TSTUB_MAX_DEVICES];
};

static uint64_t g_graph_reserved[TSTUB_MAX_DEVICES];
/* Addresses of graph allocations: 8 modulo 16, so they can never be a block (16-aligned). */
#define GRAPH_VA_TAG 8u
static uint64_t g_fake_va = 0x7e0000000000ull + GRAPH_VA_TAG;

CUresult cuGraphCreate(CUgraph *phGraph, unsigned int flags) {
    (void)flags;
    if (phGraph == NULL) return CUDA_ERROR_INVALID_VALUE;
    *phGraph = calloc(1, sizeof **phGraph);
    return *phGraph != NULL ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}

static CUresult add_alloc_node(CUgraphNode *node, CUgraph g, CUDA_MEM_ALLOC_NODE_PARAMS *p) {
    if (g == NULL || p == NULL || p->bytesize == 0 ||
        p->poolProps.location.type != TESSERA_CU_MEM_LOCATION_TYPE_DEVICE ||
        !valid_device(p->poolProps.location.id))
        return CUDA_ERROR_INVALID_VALUE;
    g->bytes[p->poolProps.location.id] += p->bytesize;
    p->dptr = __atomic_fetch_add(&g_fake_va, (p->bytesize + 0xffff) & ~0xffffull, __ATOMIC_RELAXED);
    /* (steps of 64 KiB keep the tag) */
    if (node != NULL) *node = (CUgraphNode)(uintptr_t)p->dptr;
    return CUDA_SUCCESS;
}

CUresult cuGraphAddMemAllocNode(CUgraphNode *phGraphNode, CUgraph hGraph,
                                const CUgraphNode *dependencies, size_t numDependencies,
                                CUDA_MEM_ALLOC_NODE_PARAMS *nodeParams) {
    (void)dependencies;
    (void)numDependencies;
    return add_alloc_node(phGraphNode, hGraph, nodeParams);
}

CUresult cuGraphAddNode(CUgraphNode *phGraphNode, CUgraph hGraph, const CUgraphNode *dependencies,
                        size_t numDependencies, CUgraphNodeParams *nodeParams) {
    (void)dependencies;
    (void)numDependencies;
    if (nodeParams == NULL) return CUDA_ERROR_INVALID_VALUE;
    if (nodeParams->type == TESSERA_CU_GRAPH_NODE_TYPE_MEM_ALLOC)
        return add_alloc_node(phGraphNode, hGraph, &nodeParams->alloc);
    if (phGraphNode != NULL) *phGraphNode = (CUgraphNode)(uintptr_t)0x10;
    return CUDA_SUCCESS;
}

CUresult cuGraphAddNode_v2(CUgraphNode *phGraphNode, CUgraph hGraph,
                           const CUgraphNode *dependencies, const void *dependencyData,
                           size_t numDependencies, CUgraphNodeParams *nodeParams) {
    (void)dependencyData;
    return cuGraphAddNode(phGraphNode, hGraph, dependencies, numDependencies, nodeParams);
}

CUresult cuGraphClone(CUgraph *phGraphClone, CUgraph originalGraph) {
    if (phGraphClone == NULL || originalGraph == NULL) return CUDA_ERROR_INVALID_VALUE;
    CUresult rc = cuGraphCreate(phGraphClone, 0);
    if (rc == CUDA_SUCCESS) **phGraphClone = *originalGraph;
    return rc;
}

CUresult cuGraphDestroy(CUgraph hGraph) {
    free(hGraph);
    return CUDA_SUCCESS;
}

static CUresult instantiate(CUgraphExec *exec, CUgraph g) {
    if (exec == NULL || g == NULL) return CUDA_ERROR_INVALID_VALUE;
    struct CUgraphExec_st *e = malloc(sizeof *e);
    if (e == NULL) return CUDA_ERROR_OUT_OF_MEMORY;
    memcpy(e->bytes, g->bytes, sizeof e->bytes);
    *exec = e;
    return CUDA_SUCCESS;
}

CUresult cuGraphInstantiate(CUgraphExec *phGraphExec, CUgraph hGraph, CUgraphNode *phErrorNode,
                            char *logBuffer, size_t bufferSize) {
    (void)phErrorNode;
    (void)logBuffer;
    (void)bufferSize;
    return instantiate(phGraphExec, hGraph);
}

CUresult cuGraphInstantiate_v2(CUgraphExec *phGraphExec, CUgraph hGraph, CUgraphNode *phErrorNode,
                               char *logBuffer, size_t bufferSize) {
    return cuGraphInstantiate(phGraphExec, hGraph, phErrorNode, logBuffer, bufferSize);
}

CUresult cuGraphInstantiateWithFlags(CUgraphExec *phGraphExec, CUgraph hGraph,
                                     unsigned long long flags) {
    (void)flags;
    return instantiate(phGraphExec, hGraph);
}

CUresult cuGraphInstantiateWithParams(CUgraphExec *phGraphExec, CUgraph hGraph, void *params) {
    (void)params;
    return instantiate(phGraphExec, hGraph);
}

CUresult cuGraphInstantiateWithParams_ptsz(CUgraphExec *phGraphExec, CUgraph hGraph, void *params) {
    return cuGraphInstantiateWithParams(phGraphExec, hGraph, params);
}

CUresult cuGraphExecDestroy(CUgraphExec hGraphExec) {
    free(hGraphExec);
    return CUDA_SUCCESS;
}

static CUresult map_graph_memory(CUgraphExec e) {
    if (e == NULL) return CUDA_ERROR_INVALID_VALUE;
    for (int d = 0; d < TSTUB_MAX_DEVICES; d++) {
        uint64_t have = __atomic_load_n(&g_graph_reserved[d], __ATOMIC_ACQUIRE);
        if (e->bytes[d] <= have) continue;
        if (take(d, e->bytes[d] - have) != CUDA_SUCCESS) return CUDA_ERROR_OUT_OF_MEMORY;
        __atomic_store_n(&g_graph_reserved[d], e->bytes[d], __ATOMIC_RELEASE);
    }
    return CUDA_SUCCESS;
}

CUresult cuGraphLaunch(CUgraphExec hGraphExec, CUstream hStream) {
    (void)hStream;
    return map_graph_memory(hGraphExec);
}

CUresult cuGraphLaunch_ptsz(CUgraphExec hGraphExec, CUstream hStream) {
    return cuGraphLaunch(hGraphExec, hStream);
}

CUresult cuGraphUpload(CUgraphExec hGraphExec, CUstream hStream) {
    (void)hStream;
    return map_graph_memory(hGraphExec);
}

CUresult cuGraphUpload_ptsz(CUgraphExec hGraphExec, CUstream hStream) {
    return cuGraphUpload(hGraphExec, hStream);
}

CUresult cuDeviceGraphMemTrim(CUdevice device) {
    if (!valid_device(device)) return CUDA_ERROR_INVALID_VALUE;
    give(device, __atomic_exchange_n(&g_graph_reserved[device], 0, __ATOMIC_ACQ_REL));
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetGraphMemAttribute(CUdevice device, int attr, void *value) {
    if (!valid_device(device) || value == NULL) return CUDA_ERROR_INVALID_VALUE;
    if (attr == TESSERA_CU_GRAPH_MEM_ATTR_USED_MEM_CURRENT) *(cuuint64_t *)value = 0;
    else if (attr == TESSERA_CU_GRAPH_MEM_ATTR_RESERVED_MEM_CURRENT)
        *(cuuint64_t *)value = __atomic_load_n(&g_graph_reserved[device], __ATOMIC_ACQUIRE);
    else return CUDA_ERROR_INVALID_VALUE;
    return CUDA_SUCCESS;
}

CUresult cuStreamBeginCapture_v2(CUstream hStream, int mode) {
    (void)mode;
    struct CUstream_st *st = stream_of(hStream);
    if (st->capturing) return CUDA_ERROR_INVALID_VALUE;
    CUresult rc = cuGraphCreate(&st->graph, 0);
    if (rc == CUDA_SUCCESS) st->capturing = 1;
    return rc;
}

CUresult cuStreamEndCapture(CUstream hStream, CUgraph *phGraph) {
    struct CUstream_st *st = stream_of(hStream);
    if (!st->capturing || phGraph == NULL) return CUDA_ERROR_INVALID_VALUE;
    *phGraph = st->graph;
    st->capturing = 0;
    st->graph = NULL;
    return CUDA_SUCCESS;
}

CUresult cuStreamIsCapturing(CUstream hStream, int *captureStatus) {
    if (captureStatus == NULL) return CUDA_ERROR_INVALID_VALUE;
    *captureStatus = stream_of(hStream)->capturing ? TESSERA_CU_STREAM_CAPTURE_STATUS_ACTIVE : 0;
    return CUDA_SUCCESS;
}

CUresult cuStreamIsCapturing_ptsz(CUstream hStream, int *captureStatus) {
    return cuStreamIsCapturing(hStream, captureStatus);
}

CUresult cuStreamGetCaptureInfo_v2(CUstream hStream, int *captureStatus_out, cuuint64_t *id_out,
                                   CUgraph *graph_out, const CUgraphNode **dependencies_out,
                                   size_t *numDependencies_out) {
    struct CUstream_st *st = stream_of(hStream);
    if (captureStatus_out != NULL)
        *captureStatus_out = st->capturing ? TESSERA_CU_STREAM_CAPTURE_STATUS_ACTIVE : 0;
    if (id_out != NULL) *id_out = (cuuint64_t)(uintptr_t)st->graph;
    if (graph_out != NULL) *graph_out = st->graph;
    if (dependencies_out != NULL) *dependencies_out = NULL;
    if (numDependencies_out != NULL) *numDependencies_out = 0;
    return CUDA_SUCCESS;
}

CUresult cuStreamGetCaptureInfo_v2_ptsz(CUstream hStream, int *captureStatus_out,
                                        cuuint64_t *id_out, CUgraph *graph_out,
                                        const CUgraphNode **dependencies_out,
                                        size_t *numDependencies_out) {
    return cuStreamGetCaptureInfo_v2(hStream, captureStatus_out, id_out, graph_out,
                                     dependencies_out, numDependencies_out);
}

/* ---- stream-ordered allocation ------------------------------------------------------------ */

/* From the current pool of the stream's device; during capture, a node of the graph. */
static CUresult alloc_async(CUdeviceptr *dptr, size_t bytesize, CUstream hStream) {
    struct CUstream_st *st = stream_of(hStream);
    if (st->capturing) {
        CUDA_MEM_ALLOC_NODE_PARAMS p = {.bytesize = bytesize};
        p.poolProps.location.type = TESSERA_CU_MEM_LOCATION_TYPE_DEVICE;
        p.poolProps.location.id = st->device;
        CUresult rc = add_alloc_node(NULL, st->graph, &p);
        if (rc == CUDA_SUCCESS && dptr != NULL) *dptr = p.dptr;
        return rc;
    }
    CUmemoryPool pool;
    cuDeviceGetMemPool(&pool, st->device);
    return pool_alloc((stub_pool *)pool, bytesize, dptr);
}

CUresult cuMemAllocAsync(CUdeviceptr *dptr, size_t bytesize, CUstream hStream) {
    return alloc_async(dptr, bytesize, hStream);
}

CUresult cuMemAllocAsync_ptsz(CUdeviceptr *dptr, size_t bytesize, CUstream hStream) {
    return alloc_async(dptr, bytesize, hStream);
}

CUresult cuMemAllocFromPoolAsync(CUdeviceptr *dptr, size_t bytesize, CUmemoryPool pool,
                                 CUstream hStream) {
    (void)hStream;
    if (pool == NULL) return CUDA_ERROR_INVALID_VALUE;
    return pool_alloc((stub_pool *)pool, bytesize, dptr);
}

CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr *dptr, size_t bytesize, CUmemoryPool pool,
                                      CUstream hStream) {
    return cuMemAllocFromPoolAsync(dptr, bytesize, pool, hStream);
}

/* The memory goes back (to its pool, or the device) when the stream reaches the free. */
static CUresult free_async(CUdeviceptr dptr, CUstream hStream) {
    if (dptr % 16 == GRAPH_VA_TAG) return CUDA_SUCCESS; /* a graph allocation: a free node */
    if (dptr % 16 != 0 || in_any_reservation(dptr)) return CUDA_ERROR_INVALID_VALUE;
    block *b = (block *)(uintptr_t)dptr - 1;
    if (b->magic != BLOCK_MAGIC) return CUDA_ERROR_INVALID_VALUE;
    return enqueue(hStream, NULL, NULL, dptr);
}

CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream hStream) { return free_async(dptr, hStream); }

CUresult cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream hStream) {
    return free_async(dptr, hStream);
}

/* Frees at once, pool memory included (back into its pool). */
CUresult cuMemFree_v2(CUdeviceptr dptr) { return block_free(dptr); }

/* ---- virtual memory: reservations, physical memory, mappings, access ----------------------- */
/* As the driver documents it (cuda.h, cuMemAddressReserve .. cuMemSetAccess): a reservation is
 * an address range (here host address space, PROT_NONE, so a stray access faults as it would
 * on a GPU); physical memory from cuMemCreate is a memfd, so every mapping of one handle shows
 * the same bytes and they outlive an unmap; cuMemMap puts it at an address of a reservation
 * that is not mapped yet, and nothing can be read or written there until cuMemSetAccess. The
 * memory lives while its handle or any mapping holds it. Refused like the driver refuses them,
 * with CUDA_ERROR_INVALID_VALUE: a map outside a reservation or over a mapping, an address,
 * size or offset off the granularity (TSTUB_GRANULARITY, default 2 MiB), a non-zero offset or
 * flags, a released handle, an unmap of part of a mapping, access to a range not wholly
 * mapped, freeing a reservation that is still mapped or is not one. Copies and kernels that
 * reach into a reservation where it is not mapped with access get CUDA_ERROR_ILLEGAL_ADDRESS. */

#define STUB_MAX_MAPPINGS 1024
#define STUB_MAX_RESERVATIONS 1024
#define PHYS_MAGIC 0x70687973u

typedef struct phys {
    uint32_t magic;
    int32_t device;
    uint64_t size;
    uint32_t refs;     /* the handle and each mapping of it */
    uint32_t released; /* the handle was released (memory lives while mapped) */
    int fd;
} phys;

static struct {
    CUdeviceptr va;
    uint64_t size; /* 0: free entry */
} g_resv[STUB_MAX_RESERVATIONS];
static struct {
    CUdeviceptr va;
    uint64_t size;
    phys *handle; /* NULL: free entry */
    int prot;     /* PROT_NONE until cuMemSetAccess */
} g_maps[STUB_MAX_MAPPINGS];
static pthread_mutex_t g_map_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_nresv; /* reservations held: without any, no address is one (the benchmark's
                     * baseline frees must not pay for a scan) */

static uint64_t granularity(void) {
    static uint64_t cached;
    uint64_t v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (v == 0) {
        v = env_u64("TSTUB_GRANULARITY", 2ull << 20);
        __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
    }
    return v;
}

/* Under g_map_lock: the reservation holding [p, p + n), or -1. */
static int resv_of(CUdeviceptr p, uint64_t n) {
    for (int i = 0; i < STUB_MAX_RESERVATIONS; i++) {
        if (g_resv[i].size != 0 && p >= g_resv[i].va && p - g_resv[i].va < g_resv[i].size &&
            n <= g_resv[i].size - (p - g_resv[i].va))
            return i;
    }
    return -1;
}

static int in_any_reservation(CUdeviceptr p) {
    if (__atomic_load_n(&g_nresv, __ATOMIC_ACQUIRE) == 0) return 0;
    pthread_mutex_lock(&g_map_lock);
    int in = resv_of(p, 1) >= 0;
    pthread_mutex_unlock(&g_map_lock);
    return in;
}

/* Under g_map_lock: the mapping covering address p, or -1. */
static int map_at(CUdeviceptr p) {
    for (int i = 0; i < STUB_MAX_MAPPINGS; i++) {
        if (g_maps[i].handle != NULL && p >= g_maps[i].va && p - g_maps[i].va < g_maps[i].size)
            return i;
    }
    return -1;
}

/* Under g_map_lock: 1 if [p, p + n) is wholly mapped, each mapping with at least `prot`. */
static int mapped_with(CUdeviceptr p, uint64_t n, int prot) {
    for (CUdeviceptr at = p; at < p + n;) {
        int m = map_at(at);
        if (m < 0 || (g_maps[m].prot & prot) != prot) return 0;
        at = g_maps[m].va + g_maps[m].size;
    }
    return 1;
}

/* Under g_map_lock: device memory the GPU may touch. Outside every reservation it is a block
 * (cuMemAlloc and friends), host memory the stub trusts. */
static int device_ok(CUdeviceptr p, uint64_t n, int prot) {
    if (n == 0 || resv_of(p, 1) < 0) return 1;
    return mapped_with(p, n, prot);
}

/* For tstub_kernel_sum: FNV-1a over the bytes, as a kernel would read them. */
static CUresult read_device(CUdeviceptr p, uint64_t n, uint64_t *sum) {
    pthread_mutex_lock(&g_map_lock);
    int ok = device_ok(p, n, PROT_READ);
    uint64_t h = 0xcbf29ce484222325ull;
    const unsigned char *bytes = (const unsigned char *)(uintptr_t)p;
    for (uint64_t i = 0; ok && i < n; i++) h = (h ^ bytes[i]) * 0x100000001b3ull;
    pthread_mutex_unlock(&g_map_lock);
    *sum = h;
    return ok ? CUDA_SUCCESS : CUDA_ERROR_ILLEGAL_ADDRESS;
}

static phys *phys_of(CUmemGenericAllocationHandle h) {
    if (h == 0 || (h & 1u) || h % 16 != 0) return NULL;
    phys *p = (phys *)(uintptr_t)h;
    return p->magic == PHYS_MAGIC ? p : NULL;
}

static void phys_drop(phys *p) {
    if (--p->refs != 0) return;
    p->magic = 0;
    close(p->fd);
    give(p->device, p->size);
    free(p);
}

/* Host-located physical memory is not device memory: the stub hands out a handle without
 * charging any device. */
CUresult cuMemCreate(CUmemGenericAllocationHandle *handle, size_t size,
                     const CUmemAllocationProp *prop, unsigned long long flags) {
    if (handle == NULL || prop == NULL || size == 0 || flags != 0 || size % granularity() != 0)
        return CUDA_ERROR_INVALID_VALUE;
    if (prop->location.type != TESSERA_CU_MEM_LOCATION_TYPE_DEVICE) {
        *handle = (CUmemGenericAllocationHandle)(uintptr_t)malloc(16) | 1u; /* odd: not phys */
        return CUDA_SUCCESS;
    }
    int device = prop->location.id;
    if (!valid_device(device)) return CUDA_ERROR_INVALID_VALUE;
    call_delay();
    phys *p = calloc(1, sizeof *p);
    if (p == NULL) return CUDA_ERROR_OUT_OF_MEMORY;
    p->fd = memfd_create("tstub-phys", MFD_CLOEXEC);
    if (p->fd < 0 || ftruncate(p->fd, (off_t)size) != 0) {
        if (p->fd >= 0) close(p->fd);
        free(p);
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    CUresult rc = take(device, size);
    if (rc != CUDA_SUCCESS) {
        close(p->fd);
        free(p);
        return rc;
    }
    p->magic = PHYS_MAGIC;
    p->device = device;
    p->size = size;
    p->refs = 1;
    *handle = (CUmemGenericAllocationHandle)(uintptr_t)p;
    return CUDA_SUCCESS;
}

CUresult cuMemRelease(CUmemGenericAllocationHandle handle) {
    if (handle & 1u) {
        free((void *)(uintptr_t)(handle & ~(CUmemGenericAllocationHandle)1));
        return CUDA_SUCCESS;
    }
    if (__atomic_exchange_n(&g_fail_next_free, 0, __ATOMIC_ACQ_REL)) return CUDA_ERROR_INVALID_VALUE;
    call_delay();
    pthread_mutex_lock(&g_map_lock);
    phys *p = phys_of(handle);
    CUresult rc = CUDA_ERROR_INVALID_VALUE;
    if (p != NULL && p->refs > 0 && !p->released) {
        p->released = 1;
        phys_drop(p);
        rc = CUDA_SUCCESS;
    }
    pthread_mutex_unlock(&g_map_lock);
    return rc;
}

CUresult cuMemGetAllocationGranularity(size_t *granularity_out, const CUmemAllocationProp *prop,
                                       int option) {
    if (granularity_out == NULL || prop == NULL || option < 0 || option > 1)
        return CUDA_ERROR_INVALID_VALUE;
    *granularity_out = granularity();
    return CUDA_SUCCESS;
}

CUresult cuMemAddressReserve(CUdeviceptr *ptr, size_t size, size_t alignment, CUdeviceptr addr,
                             unsigned long long flags) {
    uint64_t g = granularity();
    if (ptr == NULL || size == 0 || flags != 0 || size % g != 0 ||
        (alignment & (alignment - 1)) != 0)
        return CUDA_ERROR_INVALID_VALUE;
    uint64_t align = alignment > g ? alignment : g;
    char *base = mmap(NULL, size + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                      -1, 0);
    if (base == MAP_FAILED) return CUDA_ERROR_OUT_OF_MEMORY;
    (void)addr; /* a hint only, as for the driver */
    uintptr_t start = ((uintptr_t)base + align - 1) & ~(uintptr_t)(align - 1);
    if (start > (uintptr_t)base) munmap(base, start - (uintptr_t)base);
    uintptr_t end = (uintptr_t)base + size + align;
    if (end > start + size) munmap((void *)(start + size), end - (start + size));
    pthread_mutex_lock(&g_map_lock);
    int slot = -1;
    for (int i = 0; i < STUB_MAX_RESERVATIONS && slot < 0; i++)
        if (g_resv[i].size == 0) slot = i;
    if (slot >= 0) {
        g_resv[slot].va = start;
        g_resv[slot].size = size;
        __atomic_add_fetch(&g_nresv, 1, __ATOMIC_ACQ_REL);
    }
    pthread_mutex_unlock(&g_map_lock);
    if (slot < 0) {
        munmap((void *)start, size);
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    *ptr = start;
    return CUDA_SUCCESS;
}

CUresult cuMemAddressFree(CUdeviceptr ptr, size_t size) {
    pthread_mutex_lock(&g_map_lock);
    CUresult rc = CUDA_ERROR_INVALID_VALUE;
    for (int i = 0; i < STUB_MAX_RESERVATIONS; i++) {
        if (g_resv[i].size == 0 || g_resv[i].va != ptr || g_resv[i].size != size) continue;
        int mapped = 0;
        for (int m = 0; m < STUB_MAX_MAPPINGS && !mapped; m++)
            mapped = g_maps[m].handle != NULL && g_maps[m].va >= ptr && g_maps[m].va - ptr < size;
        if (mapped) break;
        munmap((void *)(uintptr_t)ptr, size);
        g_resv[i].size = 0;
        __atomic_sub_fetch(&g_nresv, 1, __ATOMIC_ACQ_REL);
        rc = CUDA_SUCCESS;
        break;
    }
    pthread_mutex_unlock(&g_map_lock);
    return rc;
}

CUresult cuMemMap(CUdeviceptr ptr, size_t size, size_t offset, CUmemGenericAllocationHandle handle,
                  unsigned long long flags) {
    uint64_t g = granularity();
    if (size == 0 || offset != 0 || flags != 0 || ptr % g != 0 || size % g != 0)
        return CUDA_ERROR_INVALID_VALUE;
    pthread_mutex_lock(&g_map_lock);
    phys *p = phys_of(handle);
    CUresult rc = CUDA_ERROR_INVALID_VALUE;
    int slot = -1, overlap = 0;
    for (int i = 0; i < STUB_MAX_MAPPINGS; i++) {
        if (g_maps[i].handle == NULL) {
            if (slot < 0) slot = i;
        } else if (g_maps[i].va < ptr + size && ptr < g_maps[i].va + g_maps[i].size) {
            overlap = 1;
        }
    }
    if (p != NULL && !p->released && size <= p->size && resv_of(ptr, size) >= 0 && !overlap &&
        slot >= 0 &&
        mmap((void *)(uintptr_t)ptr, size, PROT_NONE, MAP_SHARED | MAP_FIXED, p->fd, 0) !=
            MAP_FAILED) {
        g_maps[slot].va = ptr;
        g_maps[slot].size = size;
        g_maps[slot].handle = p;
        g_maps[slot].prot = PROT_NONE;
        p->refs++;
        rc = CUDA_SUCCESS;
    }
    pthread_mutex_unlock(&g_map_lock);
    return rc;
}

/* Unmaps every mapping in [ptr, ptr + size); the range must hold at least one, and no mapping
 * may stick out of it (the driver cannot unmap part of one). */
CUresult cuMemUnmap(CUdeviceptr ptr, size_t size) {
    pthread_mutex_lock(&g_map_lock);
    int found = 0, partial = 0;
    for (int i = 0; i < STUB_MAX_MAPPINGS; i++) {
        if (g_maps[i].handle == NULL) continue;
        CUdeviceptr a = g_maps[i].va, b = g_maps[i].va + g_maps[i].size;
        if (b <= ptr || a >= ptr + size) continue;
        if (a < ptr || b > ptr + size) partial = 1;
        else found = 1;
    }
    CUresult rc = found && !partial ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
    for (int i = 0; rc == CUDA_SUCCESS && i < STUB_MAX_MAPPINGS; i++) {
        if (g_maps[i].handle == NULL || g_maps[i].va < ptr || g_maps[i].va >= ptr + size) continue;
        /* back to a reservation: no access, no memory */
        mmap((void *)(uintptr_t)g_maps[i].va, g_maps[i].size, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
        phys_drop(g_maps[i].handle);
        g_maps[i].handle = NULL;
    }
    pthread_mutex_unlock(&g_map_lock);
    return rc;
}

CUresult cuMemSetAccess(CUdeviceptr ptr, size_t size, const CUmemAccessDesc *desc, size_t count) {
    if (desc == NULL || count == 0 || size == 0) return CUDA_ERROR_INVALID_VALUE;
    int prot = -1;
    for (size_t i = 0; i < count; i++) {
        if (desc[i].location.type != TESSERA_CU_MEM_LOCATION_TYPE_DEVICE ||
            !valid_device(desc[i].location.id))
            return CUDA_ERROR_INVALID_VALUE;
        int p = desc[i].flags == 0 ? PROT_NONE
                : desc[i].flags == 1 ? PROT_READ
                : desc[i].flags == TESSERA_CU_MEM_ACCESS_FLAGS_PROT_READWRITE
                    ? PROT_READ | PROT_WRITE
                    : -1;
        if (p < 0) return CUDA_ERROR_INVALID_VALUE;
        prot = p > prot ? p : prot; /* one host: the widest access any device gets */
    }
    pthread_mutex_lock(&g_map_lock);
    CUresult rc = CUDA_ERROR_INVALID_VALUE;
    if (mapped_with(ptr, size, PROT_NONE) && mprotect((void *)(uintptr_t)ptr, size, prot) == 0) {
        for (CUdeviceptr at = ptr; at < ptr + size;) {
            int m = map_at(at);
            g_maps[m].prot = prot;
            at = g_maps[m].va + g_maps[m].size;
        }
        rc = CUDA_SUCCESS;
    }
    pthread_mutex_unlock(&g_map_lock);
    return rc;
}

/* Sparse arrays: a map operation holds the handle's memory, an unmap (naming the handle) lets
 * it go. */
CUresult cuMemMapArrayAsync(CUarrayMapInfo *mapInfoList, unsigned int count, CUstream hStream) {
    (void)hStream;
    if (mapInfoList == NULL) return CUDA_ERROR_INVALID_VALUE;
    pthread_mutex_lock(&g_map_lock);
    for (unsigned int i = 0; i < count; i++) {
        phys *p = phys_of(mapInfoList[i].memHandle);
        if (p == NULL) continue;
        if (mapInfoList[i].memOperationType == TESSERA_CU_MEM_OPERATION_TYPE_MAP) p->refs++;
        else phys_drop(p);
    }
    pthread_mutex_unlock(&g_map_lock);
    return CUDA_SUCCESS;
}

CUresult cuMemMapArrayAsync_ptsz(CUarrayMapInfo *mapInfoList, unsigned int count, CUstream hStream) {
    return cuMemMapArrayAsync(mapInfoList, count, hStream);
}

/* ---- copies and memsets ------------------------------------------------------------------- */
/* Done at once, whatever the stream (the stub's streams hold frees and host functions only).
 * Device addresses are checked as the GPU would fault on them (see above). */

static CUresult copy(void *dst, const void *src, size_t n, int dst_dev, int src_dev) {
    if (n == 0) return CUDA_SUCCESS;
    if (dst == NULL || src == NULL) return CUDA_ERROR_INVALID_VALUE;
    pthread_mutex_lock(&g_map_lock); /* no unmap while the bytes move */
    int ok = (!dst_dev || device_ok((CUdeviceptr)(uintptr_t)dst, n, PROT_WRITE | PROT_READ)) &&
             (!src_dev || device_ok((CUdeviceptr)(uintptr_t)src, n, PROT_READ));
    if (ok) memmove(dst, src, n);
    pthread_mutex_unlock(&g_map_lock);
    return ok ? CUDA_SUCCESS : CUDA_ERROR_ILLEGAL_ADDRESS;
}

static CUresult set(CUdeviceptr dst, uint32_t value, size_t width, size_t n) {
    if (n == 0) return CUDA_SUCCESS;
    if (dst == 0) return CUDA_ERROR_INVALID_VALUE;
    pthread_mutex_lock(&g_map_lock);
    int ok = device_ok(dst, n * width, PROT_WRITE | PROT_READ);
    for (size_t i = 0; ok && i < n; i++) memcpy((char *)(uintptr_t)dst + i * width, &value, width);
    pthread_mutex_unlock(&g_map_lock);
    return ok ? CUDA_SUCCESS : CUDA_ERROR_ILLEGAL_ADDRESS;
}

#define D(p) ((void *)(uintptr_t)(p))
CUresult cuMemcpyHtoD_v2(CUdeviceptr d, const void *h, size_t n) { return copy(D(d), h, n, 1, 0); }
CUresult cuMemcpyHtoD_v2_ptds(CUdeviceptr d, const void *h, size_t n) {
    return copy(D(d), h, n, 1, 0);
}
CUresult cuMemcpyDtoH_v2(void *h, CUdeviceptr d, size_t n) { return copy(h, D(d), n, 0, 1); }
CUresult cuMemcpyDtoH_v2_ptds(void *h, CUdeviceptr d, size_t n) { return copy(h, D(d), n, 0, 1); }
CUresult cuMemcpyDtoD_v2(CUdeviceptr d, CUdeviceptr s, size_t n) {
    return copy(D(d), D(s), n, 1, 1);
}
CUresult cuMemcpyDtoD_v2_ptds(CUdeviceptr d, CUdeviceptr s, size_t n) {
    return copy(D(d), D(s), n, 1, 1);
}
CUresult cuMemcpy(CUdeviceptr d, CUdeviceptr s, size_t n) { return copy(D(d), D(s), n, 1, 1); }
CUresult cuMemcpy_ptds(CUdeviceptr d, CUdeviceptr s, size_t n) { return copy(D(d), D(s), n, 1, 1); }
CUresult cuMemcpyAsync(CUdeviceptr d, CUdeviceptr s, size_t n, CUstream st) {
    (void)st;
    return copy(D(d), D(s), n, 1, 1);
}
CUresult cuMemcpyAsync_ptsz(CUdeviceptr d, CUdeviceptr s, size_t n, CUstream st) {
    return cuMemcpyAsync(d, s, n, st);
}
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void *h, size_t n, CUstream st) {
    (void)st;
    return copy(D(d), h, n, 1, 0);
}
CUresult cuMemcpyHtoDAsync_v2_ptsz(CUdeviceptr d, const void *h, size_t n, CUstream st) {
    return cuMemcpyHtoDAsync_v2(d, h, n, st);
}
CUresult cuMemcpyDtoHAsync_v2(void *h, CUdeviceptr d, size_t n, CUstream st) {
    (void)st;
    return copy(h, D(d), n, 0, 1);
}
CUresult cuMemcpyDtoHAsync_v2_ptsz(void *h, CUdeviceptr d, size_t n, CUstream st) {
    return cuMemcpyDtoHAsync_v2(h, d, n, st);
}
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr d, CUdeviceptr s, size_t n, CUstream st) {
    (void)st;
    return copy(D(d), D(s), n, 1, 1);
}
CUresult cuMemcpyDtoDAsync_v2_ptsz(CUdeviceptr d, CUdeviceptr s, size_t n, CUstream st) {
    return cuMemcpyDtoDAsync_v2(d, s, n, st);
}
CUresult cuMemsetD8_v2(CUdeviceptr d, unsigned char v, size_t n) { return set(d, v, 1, n); }
CUresult cuMemsetD8_v2_ptds(CUdeviceptr d, unsigned char v, size_t n) { return set(d, v, 1, n); }
CUresult cuMemsetD16_v2(CUdeviceptr d, unsigned short v, size_t n) { return set(d, v, 2, n); }
CUresult cuMemsetD16_v2_ptds(CUdeviceptr d, unsigned short v, size_t n) { return set(d, v, 2, n); }
CUresult cuMemsetD32_v2(CUdeviceptr d, unsigned int v, size_t n) { return set(d, v, 4, n); }
CUresult cuMemsetD32_v2_ptds(CUdeviceptr d, unsigned int v, size_t n) { return set(d, v, 4, n); }
CUresult cuMemsetD8Async(CUdeviceptr d, unsigned char v, size_t n, CUstream st) {
    (void)st;
    return set(d, v, 1, n);
}
CUresult cuMemsetD8Async_ptsz(CUdeviceptr d, unsigned char v, size_t n, CUstream st) {
    return cuMemsetD8Async(d, v, n, st);
}
CUresult cuMemsetD16Async(CUdeviceptr d, unsigned short v, size_t n, CUstream st) {
    (void)st;
    return set(d, v, 2, n);
}
CUresult cuMemsetD16Async_ptsz(CUdeviceptr d, unsigned short v, size_t n, CUstream st) {
    return cuMemsetD16Async(d, v, n, st);
}
CUresult cuMemsetD32Async(CUdeviceptr d, unsigned int v, size_t n, CUstream st) {
    (void)st;
    return set(d, v, 4, n);
}
CUresult cuMemsetD32Async_ptsz(CUdeviceptr d, unsigned int v, size_t n, CUstream st) {
    return cuMemsetD32Async(d, v, n, st);
}
#undef D

/* The copies the stub does not model (arrays, 2D/3D, peers, batches) exist so the library
 * finds them, and say they are not supported. */
#define TSTUB_UNMODELLED(name, params, args) \
    CUresult name params {                   \
        return CUDA_ERROR_NOT_SUPPORTED;     \
    }
#define TSTUB_UNMODELLED_LIST(X)                                                                  \
    X(cuMemcpyPeer, (CUdeviceptr a, CUcontext b, CUdeviceptr c, CUcontext d, size_t e), ())       \
    X(cuMemcpyPeer_ptds, (CUdeviceptr a, CUcontext b, CUdeviceptr c, CUcontext d, size_t e), ())  \
    X(cuMemcpyDtoA_v2, (CUarray a, size_t b, CUdeviceptr c, size_t d), ())                        \
    X(cuMemcpyDtoA_v2_ptds, (CUarray a, size_t b, CUdeviceptr c, size_t d), ())                   \
    X(cuMemcpyAtoD_v2, (CUdeviceptr a, CUarray b, size_t c, size_t d), ())                        \
    X(cuMemcpyAtoD_v2_ptds, (CUdeviceptr a, CUarray b, size_t c, size_t d), ())                   \
    X(cuMemcpy2D_v2, (const CUDA_MEMCPY2D *a), ())                                                \
    X(cuMemcpy2D_v2_ptds, (const CUDA_MEMCPY2D *a), ())                                           \
    X(cuMemcpy2DUnaligned_v2, (const CUDA_MEMCPY2D *a), ())                                       \
    X(cuMemcpy2DUnaligned_v2_ptds, (const CUDA_MEMCPY2D *a), ())                                  \
    X(cuMemcpy3D_v2, (const CUDA_MEMCPY3D *a), ())                                                \
    X(cuMemcpy3D_v2_ptds, (const CUDA_MEMCPY3D *a), ())                                           \
    X(cuMemcpy3DPeer, (const CUDA_MEMCPY3D_PEER *a), ())                                          \
    X(cuMemcpy3DPeer_ptds, (const CUDA_MEMCPY3D_PEER *a), ())                                     \
    X(cuMemcpyPeerAsync, (CUdeviceptr a, CUcontext b, CUdeviceptr c, CUcontext d, size_t e,       \
                          CUstream f), ())                                                        \
    X(cuMemcpyPeerAsync_ptsz, (CUdeviceptr a, CUcontext b, CUdeviceptr c, CUcontext d, size_t e,  \
                               CUstream f), ())                                                   \
    X(cuMemcpy2DAsync_v2, (const CUDA_MEMCPY2D *a, CUstream b), ())                               \
    X(cuMemcpy2DAsync_v2_ptsz, (const CUDA_MEMCPY2D *a, CUstream b), ())                          \
    X(cuMemcpy3DAsync_v2, (const CUDA_MEMCPY3D *a, CUstream b), ())                               \
    X(cuMemcpy3DAsync_v2_ptsz, (const CUDA_MEMCPY3D *a, CUstream b), ())                          \
    X(cuMemcpy3DPeerAsync, (const CUDA_MEMCPY3D_PEER *a, CUstream b), ())                         \
    X(cuMemcpy3DPeerAsync_ptsz, (const CUDA_MEMCPY3D_PEER *a, CUstream b), ())                    \
    X(cuMemcpyBatchAsync, (CUdeviceptr *a, CUdeviceptr *b, size_t *c, size_t d,                   \
                           CUmemcpyAttributes *e, size_t *f, size_t g, size_t *h, CUstream i), ()) \
    X(cuMemcpyBatchAsync_ptsz, (CUdeviceptr *a, CUdeviceptr *b, size_t *c, size_t d,              \
                                CUmemcpyAttributes *e, size_t *f, size_t g, size_t *h,            \
                                CUstream i), ())                                                  \
    X(cuMemcpyBatchAsync_v2, (CUdeviceptr *a, CUdeviceptr *b, size_t *c, size_t d,                \
                              CUmemcpyAttributes *e, size_t *f, size_t g, CUstream i), ())        \
    X(cuMemcpyBatchAsync_v2_ptsz, (CUdeviceptr *a, CUdeviceptr *b, size_t *c, size_t d,           \
                                   CUmemcpyAttributes *e, size_t *f, size_t g, CUstream i), ())   \
    X(cuMemcpy3DBatchAsync, (size_t a, CUDA_MEMCPY3D_BATCH_OP *b, size_t *c,                      \
                             unsigned long long d, CUstream e), ())                               \
    X(cuMemcpy3DBatchAsync_ptsz, (size_t a, CUDA_MEMCPY3D_BATCH_OP *b, size_t *c,                 \
                                  unsigned long long d, CUstream e), ())                          \
    X(cuMemcpy3DBatchAsync_v2, (size_t a, CUDA_MEMCPY3D_BATCH_OP *b, unsigned long long d,        \
                                CUstream e), ())                                                  \
    X(cuMemcpy3DBatchAsync_v2_ptsz, (size_t a, CUDA_MEMCPY3D_BATCH_OP *b, unsigned long long d,   \
                                     CUstream e), ())                                             \
    X(cuMemsetD2D8_v2, (CUdeviceptr a, size_t b, unsigned char c, size_t d, size_t e), ())        \
    X(cuMemsetD2D8_v2_ptds, (CUdeviceptr a, size_t b, unsigned char c, size_t d, size_t e), ())   \
    X(cuMemsetD2D16_v2, (CUdeviceptr a, size_t b, unsigned short c, size_t d, size_t e), ())      \
    X(cuMemsetD2D16_v2_ptds, (CUdeviceptr a, size_t b, unsigned short c, size_t d, size_t e), ()) \
    X(cuMemsetD2D32_v2, (CUdeviceptr a, size_t b, unsigned int c, size_t d, size_t e), ())        \
    X(cuMemsetD2D32_v2_ptds, (CUdeviceptr a, size_t b, unsigned int c, size_t d, size_t e), ())   \
    X(cuMemsetD2D8Async, (CUdeviceptr a, size_t b, unsigned char c, size_t d, size_t e,           \
                          CUstream f), ())                                                        \
    X(cuMemsetD2D8Async_ptsz, (CUdeviceptr a, size_t b, unsigned char c, size_t d, size_t e,      \
                               CUstream f), ())                                                   \
    X(cuMemsetD2D16Async, (CUdeviceptr a, size_t b, unsigned short c, size_t d, size_t e,         \
                           CUstream f), ())                                                       \
    X(cuMemsetD2D16Async_ptsz, (CUdeviceptr a, size_t b, unsigned short c, size_t d, size_t e,    \
                                CUstream f), ())                                                  \
    X(cuMemsetD2D32Async, (CUdeviceptr a, size_t b, unsigned int c, size_t d, size_t e,           \
                           CUstream f), ())                                                       \
    X(cuMemsetD2D32Async_ptsz, (CUdeviceptr a, size_t b, unsigned int c, size_t d, size_t e,      \
                                CUstream f), ())
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
TSTUB_UNMODELLED_LIST(TSTUB_UNMODELLED)
#pragma GCC diagnostic pop

/* ---- pinned host memory, contexts ---------------------------------------------------------- */

#define HOST_MAGIC 0x686f7374u
typedef struct host_block {
    uint64_t magic;
    uint64_t size;
} host_block; /* 16 bytes: the returned pointer stays 16-byte aligned */
static uint64_t g_host_used;

/* TSTUB_HOST_BYTES (default unlimited): what pinning may take before it fails. */
CUresult cuMemHostAlloc(void **pp, size_t bytesize, unsigned int Flags) {
    (void)Flags;
    if (pp == NULL || bytesize == 0) return CUDA_ERROR_INVALID_VALUE;
    uint64_t limit = env_u64("TSTUB_HOST_BYTES", 0);
    uint64_t now = __atomic_add_fetch(&g_host_used, bytesize, __ATOMIC_ACQ_REL);
    host_block *b = limit != 0 && now > limit ? NULL : malloc(sizeof *b + bytesize);
    if (b == NULL) {
        __atomic_sub_fetch(&g_host_used, bytesize, __ATOMIC_ACQ_REL);
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    b->magic = HOST_MAGIC;
    b->size = bytesize;
    *pp = b + 1;
    return CUDA_SUCCESS;
}

CUresult cuMemFreeHost(void *p) {
    if (p == NULL || (uintptr_t)p % 16 != 0) return CUDA_ERROR_INVALID_VALUE;
    host_block *b = (host_block *)p - 1;
    if (b->magic != HOST_MAGIC) return CUDA_ERROR_INVALID_VALUE;
    b->magic = 0;
    __atomic_sub_fetch(&g_host_used, b->size, __ATOMIC_ACQ_REL);
    free(b);
    return CUDA_SUCCESS;
}

/* One context per device (a primary context); push and pop move this thread between them. */
struct CUctx_st {
    int device;
};
static struct CUctx_st g_ctx[TSTUB_MAX_DEVICES] = {{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}};
#define CTX_STACK 16
static __thread int t_ctx_saved[CTX_STACK];
static __thread int t_ctx_depth;

CUresult cuCtxGetCurrent(CUcontext *pctx) {
    if (pctx == NULL) return CUDA_ERROR_INVALID_VALUE;
    *pctx = &g_ctx[t_device];
    return CUDA_SUCCESS;
}

CUresult cuCtxPushCurrent_v2(CUcontext ctx) {
    if (ctx == NULL || ctx < g_ctx || ctx >= g_ctx + TSTUB_MAX_DEVICES) return 201;
    if (t_ctx_depth == CTX_STACK) return CUDA_ERROR_OUT_OF_MEMORY;
    t_ctx_saved[t_ctx_depth++] = t_device;
    t_device = ctx->device;
    return CUDA_SUCCESS;
}

CUresult cuCtxPopCurrent_v2(CUcontext *pctx) {
    if (t_ctx_depth == 0) return 201; /* CUDA_ERROR_INVALID_CONTEXT */
    if (pctx != NULL) *pctx = &g_ctx[t_device];
    t_device = t_ctx_saved[--t_ctx_depth];
    return CUDA_SUCCESS;
}

/* ---- context limits ----------------------------------------------------------------------- */
/* Defaults as the driver's: 1 KiB stack per thread, 1 MiB printf FIFO, 8 MiB heap, 2048
 * pending launches. Raising one takes device memory: bytes for the FIFO and heap, the stack
 * times the resident threads (TSTUB_SMS multiprocessors, default 4, x 64 threads each), and
 * TSTUB_PENDING_LAUNCH_BYTES (default 512) per pending launch. */

static const uint64_t k_limit_default[5] = {1024, 1u << 20, 8u << 20, 2, 2048};
static uint64_t g_limits[TSTUB_MAX_DEVICES][5];

static uint64_t stub_sms(void) { return env_u64("TSTUB_SMS", 4); }

static uint64_t limit_cost(int limit, uint64_t value) {
    uint64_t def = k_limit_default[limit], above = value > def ? value - def : 0;
    if (limit == TESSERA_CU_LIMIT_STACK_SIZE) return above * stub_sms() * 64;
    if (limit == TESSERA_CU_LIMIT_DEV_RUNTIME_PENDING_LAUNCH_COUNT)
        return above * env_u64("TSTUB_PENDING_LAUNCH_BYTES", 512);
    if (limit == 3) return 0; /* sync depth: no memory in the stub */
    return above;
}

CUresult cuCtxGetLimit(size_t *pvalue, int limit) {
    if (pvalue == NULL || limit < 0 || limit > 4) return CUDA_ERROR_INVALID_VALUE;
    uint64_t v = g_limits[t_device][limit];
    *pvalue = v != 0 ? v : k_limit_default[limit];
    return CUDA_SUCCESS;
}

CUresult cuCtxSetLimit(int limit, size_t value) {
    size_t old;
    if (cuCtxGetLimit(&old, limit) != CUDA_SUCCESS) return CUDA_ERROR_INVALID_VALUE;
    if (limit == TESSERA_CU_LIMIT_MALLOC_HEAP_SIZE) value = (value + 4095) / 4096 * 4096;
    uint64_t was = limit_cost(limit, old), now = limit_cost(limit, value);
    if (now > was && take(t_device, now - was) != CUDA_SUCCESS) return CUDA_ERROR_OUT_OF_MEMORY;
    if (now < was) give(t_device, was - now);
    g_limits[t_device][limit] = value;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetAttribute(int *pi, int attrib, CUdevice dev) {
    if (pi == NULL || !valid_device(dev)) return CUDA_ERROR_INVALID_VALUE;
    if (attrib == TESSERA_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT) *pi = (int)stub_sms();
    else if (attrib == TESSERA_CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR) *pi = 64;
    else if (attrib == TESSERA_CU_DEVICE_ATTRIBUTE_TEXTURE_PITCH_ALIGNMENT) *pi = 32;
    else if (attrib == TESSERA_CU_DEVICE_ATTRIBUTE_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED)
        *pi = env_u64("TSTUB_NO_VMM", 0) ? 0 : 1;
    else return CUDA_ERROR_INVALID_VALUE;
    return CUDA_SUCCESS;
}

/* ---- the pre-3.2 ABI ---------------------------------------------------------------------- */
/* 32-bit device pointers: the stub maps those blocks below 4 GiB (MAP_32BIT), so they are real
 * addresses the _v2 calls understand too. */

CUresult cuMemAlloc(CUdeviceptr_v1 *dptr, unsigned int bytesize) {
#ifdef MAP_32BIT
    if (dptr == NULL || bytesize == 0) return CUDA_ERROR_INVALID_VALUE;
    CUresult rc = take(t_device, bytesize);
    if (rc != CUDA_SUCCESS) return rc;
    void *m = mmap(NULL, sizeof(block) + bytesize, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (m == MAP_FAILED) {
        give(t_device, bytesize);
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    block *b = m;
    *b = (block){.magic = BLOCK_MAGIC ^ 1u, .device = t_device, .size = bytesize};
    *dptr = (CUdeviceptr_v1)(uintptr_t)(b + 1);
    return CUDA_SUCCESS;
#else
    (void)dptr;
    (void)bytesize;
    return CUDA_ERROR_NOT_SUPPORTED;
#endif
}

CUresult cuMemAllocPitch(CUdeviceptr_v1 *dptr, unsigned int *pPitch, unsigned int WidthInBytes,
                         unsigned int Height, unsigned int ElementSizeBytes) {
    (void)ElementSizeBytes;
    if (pPitch == NULL || WidthInBytes == 0 || Height == 0) return CUDA_ERROR_INVALID_VALUE;
    uint64_t align = env_u64("TSTUB_PITCH_ALIGN", DEFAULT_PITCH_ALIGN);
    uint64_t pitch = (WidthInBytes + align - 1) / align * align;
    CUresult rc = cuMemAlloc(dptr, (unsigned int)(pitch * Height));
    if (rc == CUDA_SUCCESS) *pPitch = (unsigned int)pitch;
    return rc;
}

/* Legacy blocks carry a magic of their own: they are unmapped, not freed. */
CUresult cuMemFree(CUdeviceptr_v1 dptr) {
    if (dptr == 0 || dptr % 16 != 0) return dptr == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
    if (__atomic_exchange_n(&g_fail_next_free, 0, __ATOMIC_ACQ_REL)) return CUDA_ERROR_INVALID_VALUE;
    block *b = (block *)(uintptr_t)dptr - 1;
    if (b->magic != (BLOCK_MAGIC ^ 1u)) return CUDA_ERROR_INVALID_VALUE;
    b->magic = 0;
    give(b->device, b->size);
    munmap(b, sizeof *b + b->size);
    return CUDA_SUCCESS;
}

CUresult cuMemGetInfo(unsigned int *free_bytes, unsigned int *total) {
    size_t f, t;
    CUresult rc = cuMemGetInfo_v2(&f, &t);
    if (rc != CUDA_SUCCESS || free_bytes == NULL || total == NULL) return CUDA_ERROR_INVALID_VALUE;
    *free_bytes = f > 0xffffffffu ? 0xffffffffu : (unsigned int)f;
    *total = t > 0xffffffffu ? 0xffffffffu : (unsigned int)t;
    return CUDA_SUCCESS;
}

CUresult cuDeviceTotalMem(unsigned int *bytes, CUdevice dev) {
    size_t b;
    CUresult rc = cuDeviceTotalMem_v2(&b, dev);
    if (rc != CUDA_SUCCESS || bytes == NULL) return CUDA_ERROR_INVALID_VALUE;
    *bytes = b > 0xffffffffu ? 0xffffffffu : (unsigned int)b;
    return CUDA_SUCCESS;
}

CUresult cuArrayCreate(CUarray *pHandle, const CUDA_ARRAY_DESCRIPTOR_v1 *d) {
    if (d == NULL) return CUDA_ERROR_INVALID_VALUE;
    CUDA_ARRAY_DESCRIPTOR v2 = {d->Width, d->Height, d->Format, d->NumChannels};
    return cuArrayCreate_v2(pHandle, &v2);
}

CUresult cuArray3DCreate(CUarray *pHandle, const CUDA_ARRAY3D_DESCRIPTOR_v1 *d) {
    if (d == NULL) return CUDA_ERROR_INVALID_VALUE;
    CUDA_ARRAY3D_DESCRIPTOR v2 = {d->Width, d->Height, d->Depth, d->Format, d->NumChannels, d->Flags};
    return cuArray3DCreate_v2(pHandle, &v2);
}

/* ---- entry-point lookup ------------------------------------------------------------------- */

typedef struct proc {
    const char *base;
    int since;
    void *fn;
    void *ptsz;
    void *before; /* what versions below `since` get (NULL: not found) */
} proc;

static const proc k_procs[] = {
    {"cuInit", 2000, (void *)cuInit, NULL, NULL},
    {"cuCtxGetDevice", 2000, (void *)cuCtxGetDevice, NULL, NULL},
    {"cuMemAlloc", 3020, (void *)cuMemAlloc_v2, NULL, (void *)cuMemAlloc},
    {"cuMemAllocPitch", 3020, (void *)cuMemAllocPitch_v2, NULL, (void *)cuMemAllocPitch},
    {"cuMemAllocManaged", 6000, (void *)cuMemAllocManaged, NULL, NULL},
    {"cuMemCreate", 10020, (void *)cuMemCreate, NULL, NULL},
    {"cuMemRelease", 10020, (void *)cuMemRelease, NULL, NULL},
    {"cuMemAllocAsync", 11020, (void *)cuMemAllocAsync, (void *)cuMemAllocAsync_ptsz, NULL},
    {"cuMemAllocFromPoolAsync", 11020, (void *)cuMemAllocFromPoolAsync,
     (void *)cuMemAllocFromPoolAsync_ptsz, NULL},
    {"cuMemFreeAsync", 11020, (void *)cuMemFreeAsync, (void *)cuMemFreeAsync_ptsz, NULL},
    {"cuMemFree", 3020, (void *)cuMemFree_v2, NULL, (void *)cuMemFree},
    {"cuArrayCreate", 3020, (void *)cuArrayCreate_v2, NULL, (void *)cuArrayCreate},
    {"cuArray3DCreate", 3020, (void *)cuArray3DCreate_v2, NULL, (void *)cuArray3DCreate},
    {"cuArrayDestroy", 2000, (void *)cuArrayDestroy, NULL, NULL},
    {"cuMipmappedArrayCreate", 5000, (void *)cuMipmappedArrayCreate, NULL, NULL},
    {"cuMipmappedArrayDestroy", 5000, (void *)cuMipmappedArrayDestroy, NULL, NULL},
    {"cuMemGetInfo", 3020, (void *)cuMemGetInfo_v2, NULL, (void *)cuMemGetInfo},
    {"cuDeviceTotalMem", 3020, (void *)cuDeviceTotalMem_v2, NULL, (void *)cuDeviceTotalMem},
    {"cuMemMap", 10020, (void *)cuMemMap, NULL, NULL},
    {"cuMemUnmap", 10020, (void *)cuMemUnmap, NULL, NULL},
    {"cuMemPoolCreate", 11020, (void *)cuMemPoolCreate, NULL, NULL},
    {"cuMemPoolDestroy", 11020, (void *)cuMemPoolDestroy, NULL, NULL},
    {"cuMemPoolTrimTo", 11020, (void *)cuMemPoolTrimTo, NULL, NULL},
    {"cuMemPoolSetAttribute", 11020, (void *)cuMemPoolSetAttribute, NULL, NULL},
    {"cuMemPoolGetAttribute", 11020, (void *)cuMemPoolGetAttribute, NULL, NULL},
    {"cuDeviceGetDefaultMemPool", 11020, (void *)cuDeviceGetDefaultMemPool, NULL, NULL},
    {"cuDeviceSetMemPool", 11020, (void *)cuDeviceSetMemPool, NULL, NULL},
    {"cuCtxSynchronize", 13000, (void *)cuCtxSynchronize_v2, NULL, (void *)cuCtxSynchronize},
    {"cuStreamSynchronize", 2000, (void *)cuStreamSynchronize, (void *)cuStreamSynchronize_ptsz, NULL},
    {"cuEventSynchronize", 2000, (void *)cuEventSynchronize, NULL, NULL},
    {"cuCtxSetLimit", 3010, (void *)cuCtxSetLimit, NULL, NULL},
    {"cuGraphAddMemAllocNode", 11040, (void *)cuGraphAddMemAllocNode, NULL, NULL},
    {"cuGraphInstantiate", 12000, (void *)cuGraphInstantiateWithFlags, NULL, (void *)cuGraphInstantiate_v2},
    {"cuGraphLaunch", 10000, (void *)cuGraphLaunch, (void *)cuGraphLaunch_ptsz, NULL},
    {"cuDeviceGraphMemTrim", 11040, (void *)cuDeviceGraphMemTrim, NULL, NULL},
    {"cuLaunchKernel", 4000, (void *)cuLaunchKernel, (void *)cuLaunchKernel_ptsz, NULL},
    {"cuEventRecord", 2000, (void *)cuEventRecord, (void *)cuEventRecord_ptsz, NULL},
    {"cuMemcpyHtoD", 3020, (void *)cuMemcpyHtoD_v2, (void *)cuMemcpyHtoD_v2_ptds, NULL},
    {"cuMemcpyDtoH", 3020, (void *)cuMemcpyDtoH_v2, (void *)cuMemcpyDtoH_v2_ptds, NULL},
    {"cuMemcpyAsync", 4000, (void *)cuMemcpyAsync, (void *)cuMemcpyAsync_ptsz, NULL},
    {"cuMemsetD32Async", 3020, (void *)cuMemsetD32Async, (void *)cuMemsetD32Async_ptsz, NULL},
    {"cuMemcpyBatchAsync", 13000, (void *)cuMemcpyBatchAsync_v2, (void *)cuMemcpyBatchAsync_v2_ptsz,
     (void *)cuMemcpyBatchAsync},
    {"cuGetProcAddress", 12000, (void *)cuGetProcAddress_v2, NULL, (void *)cuGetProcAddress},
};

static CUresult lookup(const char *symbol, void **pfn, int version, cuuint64_t flags, int *status) {
    if (symbol == NULL || pfn == NULL) return CUDA_ERROR_INVALID_VALUE;
    *pfn = NULL;
    for (size_t i = 0; i < sizeof k_procs / sizeof k_procs[0]; i++) {
        const proc *p = &k_procs[i];
        if (strcmp(p->base, symbol) != 0) continue;
        if (version < p->since) {
            *pfn = p->before;
        } else {
            *pfn = (flags & TESSERA_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) && p->ptsz ? p->ptsz : p->fn;
        }
        *status = *pfn ? 0 : 2; /* SUCCESS / VERSION_NOT_SUFFICIENT */
        return *pfn ? CUDA_SUCCESS : CUDA_ERROR_NOT_FOUND;
    }
    *status = 1; /* SYMBOL_NOT_FOUND */
    return CUDA_ERROR_NOT_FOUND;
}

CUresult cuGetProcAddress(const char *symbol, void **pfn, int cudaVersion, cuuint64_t flags) {
    int status;
    return lookup(symbol, pfn, cudaVersion, flags, &status);
}

CUresult cuGetProcAddress_v2(const char *symbol, void **pfn, int cudaVersion, cuuint64_t flags,
                             CUdriverProcAddressQueryResult *symbolStatus) {
    int status;
    CUresult rc = lookup(symbol, pfn, cudaVersion, flags, &status);
    if (symbolStatus) *symbolStatus = status;
    return rc;
}

/* ---- test helpers ------------------------------------------------------------------------- */

void tstub_set_device(int device) { t_device = device; }
uint64_t tstub_used(int device) { return __atomic_load_n(&g_used[device], __ATOMIC_ACQUIRE); }
uint64_t tstub_peak(int device) { return __atomic_load_n(&g_peak[device], __ATOMIC_ACQUIRE); }
void tstub_reset_peak(int device) { __atomic_store_n(&g_peak[device], tstub_used(device), __ATOMIC_RELEASE); }
void tstub_fail_next_free(void) { __atomic_store_n(&g_fail_next_free, 1, __ATOMIC_RELEASE); }
uint64_t tstub_host_used(void) { return __atomic_load_n(&g_host_used, __ATOMIC_ACQUIRE); }

int tstub_accessible(CUdeviceptr p, uint64_t n) {
    pthread_mutex_lock(&g_map_lock);
    int ok = resv_of(p, 1) >= 0 && mapped_with(p, n, PROT_READ | PROT_WRITE);
    pthread_mutex_unlock(&g_map_lock);
    return ok;
}

int tstub_reserved(CUdeviceptr p) { return in_any_reservation(p); }

#define TSTUB_ADDR_ENTRY(name, params) {#name, (void *)name},
#define TSTUB_ADDR_GATED_ENTRY(name, params, args) {#name, (void *)name},
static const struct {
    const char *name;
    void *fn;
} k_addrs[] = {TESSERA_HOOKED_FUNCS(TSTUB_ADDR_ENTRY) TESSERA_GATED_FUNCS(TSTUB_ADDR_GATED_ENTRY)
                   TESSERA_RESOLVED_FUNCS(TSTUB_ADDR_ENTRY)};

void *tstub_real_addr(const char *name) {
    for (size_t i = 0; i < sizeof k_addrs / sizeof k_addrs[0]; i++) {
        if (strcmp(k_addrs[i].name, name) == 0) return k_addrs[i].fn;
    }
    return NULL;
}
