/* See stub_cuda.h. Every block carries a header with its size and device so frees need no
 * table; the usage counters are atomics, so racing threads are as safe as on the driver. */
#include "stub_cuda.h"

#include <stdlib.h>
#include <string.h>

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

static CUresult take(int device, uint64_t bytes) {
    uint64_t total = total_bytes();
    uint64_t cur = __atomic_load_n(&g_used[device], __ATOMIC_RELAXED);
    do {
        if (bytes > total || cur > total - bytes) return CUDA_ERROR_OUT_OF_MEMORY;
    } while (!__atomic_compare_exchange_n(&g_used[device], &cur, cur + bytes, 1, __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    uint64_t now = cur + bytes, peak = __atomic_load_n(&g_peak[device], __ATOMIC_RELAXED);
    while (now > peak && !__atomic_compare_exchange_n(&g_peak[device], &peak, now, 1,
                                                      __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
    return CUDA_SUCCESS;
}

static CUresult block_alloc(int device, uint64_t bytes, void **out) {
    if (bytes == 0 || !valid_device(device)) return CUDA_ERROR_INVALID_VALUE;
    CUresult rc = take(device, bytes);
    if (rc != CUDA_SUCCESS) return rc;
    block *b = malloc(sizeof *b + bytes);
    if (b == NULL) {
        __atomic_sub_fetch(&g_used[device], bytes, __ATOMIC_ACQ_REL);
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
    b->magic = 0;
    __atomic_sub_fetch(&g_used[b->device], b->size, __ATOMIC_ACQ_REL);
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
    *free_bytes = *total - __atomic_load_n(&g_used[t_device], __ATOMIC_ACQUIRE);
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
