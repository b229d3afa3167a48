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
#include <unistd.h>

#define BLOCK_MAGIC 0x7e55e7a5u
#define DEFAULT_PITCH_ALIGN 256u

typedef struct block {
    uint32_t magic;
    int32_t device;
    uint64_t size;
    uint64_t pad[2]; /* keeps the returned address 16-byte aligned past a 32-byte header */
} block;

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
    b->magic = BLOCK_MAGIC;
    b->device = device;
    b->size = bytes;
    *out = b + 1;
    return CUDA_SUCCESS;
}

/* Misaligned addresses are rejected without being read, so tests can free garbage. */
static CUresult block_free(uint64_t address) {
    if (address == 0) return CUDA_SUCCESS;
    if (address % 16 != 0) return CUDA_ERROR_INVALID_VALUE;
    if (__atomic_exchange_n(&g_fail_next_free, 0, __ATOMIC_ACQ_REL)) return CUDA_ERROR_INVALID_VALUE;
    block *b = (block *)(uintptr_t)address - 1;
    if (b->magic != BLOCK_MAGIC) return CUDA_ERROR_INVALID_VALUE;
    call_delay();
    b->magic = 0;
    give(b->device, b->size);
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

CUresult cuMemAlloc(unsigned int *dptr, unsigned int bytesize) {
    (void)dptr;
    (void)bytesize;
    return CUDA_ERROR_NOT_SUPPORTED;
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

CUresult cuMemAllocAsync(CUdeviceptr *dptr, size_t bytesize, CUstream hStream) {
    (void)hStream;
    return alloc_dptr(dptr, bytesize);
}

CUresult cuMemAllocAsync_ptsz(CUdeviceptr *dptr, size_t bytesize, CUstream hStream) {
    (void)hStream;
    return alloc_dptr(dptr, bytesize);
}

CUresult cuMemAllocFromPoolAsync(CUdeviceptr *dptr, size_t bytesize, CUmemoryPool pool,
                                 CUstream hStream) {
    (void)pool;
    (void)hStream;
    return alloc_dptr(dptr, bytesize);
}

CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr *dptr, size_t bytesize, CUmemoryPool pool,
                                      CUstream hStream) {
    (void)pool;
    (void)hStream;
    return alloc_dptr(dptr, bytesize);
}

CUresult cuMemFree_v2(CUdeviceptr dptr) { return block_free(dptr); }

CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream hStream) {
    (void)hStream;
    return block_free(dptr);
}

CUresult cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream hStream) {
    (void)hStream;
    return block_free(dptr);
}

/* Host-located physical memory is not device memory: the stub hands out a handle without
 * charging any device. */
CUresult cuMemCreate(CUmemGenericAllocationHandle *handle, size_t size,
                     const CUmemAllocationProp *prop, unsigned long long flags) {
    (void)flags;
    if (handle == NULL || prop == NULL) return CUDA_ERROR_INVALID_VALUE;
    if (prop->location.type != TESSERA_CU_MEM_LOCATION_TYPE_DEVICE) {
        *handle = (CUmemGenericAllocationHandle)(uintptr_t)malloc(16) | 1u; /* odd: not a block */
        return CUDA_SUCCESS;
    }
    void *p;
    CUresult rc = block_alloc(prop->location.id, size, &p);
    if (rc == CUDA_SUCCESS) *handle = (CUmemGenericAllocationHandle)(uintptr_t)p;
    return rc;
}

CUresult cuMemRelease(CUmemGenericAllocationHandle handle) {
    if (handle & 1u) {
        free((void *)(uintptr_t)(handle & ~(CUmemGenericAllocationHandle)1));
        return CUDA_SUCCESS;
    }
    return block_free(handle);
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
    {"cuMemAllocPitch", 3020, (void *)cuMemAllocPitch_v2, NULL, NULL},
    {"cuMemAllocManaged", 6000, (void *)cuMemAllocManaged, NULL, NULL},
    {"cuMemCreate", 10020, (void *)cuMemCreate, NULL, NULL},
    {"cuMemRelease", 10020, (void *)cuMemRelease, NULL, NULL},
    {"cuMemAllocAsync", 11020, (void *)cuMemAllocAsync, (void *)cuMemAllocAsync_ptsz, NULL},
    {"cuMemAllocFromPoolAsync", 11020, (void *)cuMemAllocFromPoolAsync,
     (void *)cuMemAllocFromPoolAsync_ptsz, NULL},
    {"cuMemFreeAsync", 11020, (void *)cuMemFreeAsync, (void *)cuMemFreeAsync_ptsz, NULL},
    {"cuMemFree", 3020, (void *)cuMemFree_v2, NULL, NULL},
    {"cuArrayCreate", 3020, (void *)cuArrayCreate_v2, NULL, NULL},
    {"cuArray3DCreate", 3020, (void *)cuArray3DCreate_v2, NULL, NULL},
    {"cuArrayDestroy", 2000, (void *)cuArrayDestroy, NULL, NULL},
    {"cuMipmappedArrayCreate", 5000, (void *)cuMipmappedArrayCreate, NULL, NULL},
    {"cuMipmappedArrayDestroy", 5000, (void *)cuMipmappedArrayDestroy, NULL, NULL},
    {"cuMemGetInfo", 3020, (void *)cuMemGetInfo_v2, NULL, NULL},
    {"cuDeviceTotalMem", 3020, (void *)cuDeviceTotalMem_v2, NULL, NULL},
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

#define TSTUB_ADDR_ENTRY(name, params) {#name, (void *)name},
static const struct {
    const char *name;
    void *fn;
} k_addrs[] = {TESSERA_HOOKED_FUNCS(TSTUB_ADDR_ENTRY) TESSERA_RESOLVED_FUNCS(TSTUB_ADDR_ENTRY)
                   {"cuMemAlloc", (void *)cuMemAlloc}};

void *tstub_real_addr(const char *name) {
    for (size_t i = 0; i < sizeof k_addrs / sizeof k_addrs[0]; i++) {
        if (strcmp(k_addrs[i].name, name) == 0) return k_addrs[i].fn;
    }
    return NULL;
}
