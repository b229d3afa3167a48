/*
 * Allocation, free and memory-query wrappers. Each allocation: admit (reserve against the
 * limit, lock-free) -> real driver call, repeated while tessera_loan_retry says the container
 * waits for loans -> settle (keep and remember, or give back). Each free: forget
 * (take the entry out) -> real driver call -> forgotten (release, or put back on failure).
 * No lock is ever held across a driver call.
 */
#include "hooks.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "array_size.h"
#include "driver.h"
#include "pools.h"
#include "swap.h"

#define REAL(name) (tessera_driver_get()->name)
/* The driver lacks an entry point the application called through our export. */
#define MISSING CUDA_ERROR_NOT_SUPPORTED

/* ---- linear memory ---------------------------------------------------------------------- */

CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize) {
    cuMemAlloc_v2_fn real = REAL(cuMemAlloc_v2);
    if (real == NULL) return MISSING;
    CUresult swapped;
    if (tessera_swap_serving() && tessera_swap_alloc(dptr, bytesize, &swapped)) return swapped;
    tessera_ticket t;
    CUresult rc = tessera_admit_current(&t, bytesize);
    if (rc != CUDA_SUCCESS) return rc;
    rc = real(dptr, bytesize);
    while (tessera_loan_retry(&t, rc)) rc = real(dptr, bytesize);
    tessera_settle(&t, rc, TESSERA_KIND_DPTR, rc == CUDA_SUCCESS ? *dptr : 0);
    return rc;
}

/*
 * The pitch is chosen by the driver, so we reserve an estimate (width rounded up to 512
 * bytes, the largest pitch alignment of current GPUs) and correct it to pitch * height once
 * known; if the real size no longer fits, the allocation is undone and refused.
 */
#define PITCH_ESTIMATE_ALIGN 512u

CUresult cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pPitch, size_t WidthInBytes,
                            size_t Height, unsigned int ElementSizeBytes) {
    cuMemAllocPitch_v2_fn real = REAL(cuMemAllocPitch_v2);
    if (real == NULL) return MISSING;
    CUresult swapped;
    if (tessera_swap_serving() &&
        tessera_swap_alloc_pitch(dptr, pPitch, WidthInBytes, Height, ElementSizeBytes, &swapped))
        return swapped;
    uint64_t row = WidthInBytes > UINT64_MAX - PITCH_ESTIMATE_ALIGN
                       ? UINT64_MAX
                       : (WidthInBytes + PITCH_ESTIMATE_ALIGN - 1) / PITCH_ESTIMATE_ALIGN *
                             PITCH_ESTIMATE_ALIGN;
    tessera_ticket t;
    CUresult rc = tessera_admit_current(&t, tessera_mul_sat(row, Height));
    if (rc != CUDA_SUCCESS) return rc;
    rc = real(dptr, pPitch, WidthInBytes, Height, ElementSizeBytes);
    while (tessera_loan_retry(&t, rc))
        rc = real(dptr, pPitch, WidthInBytes, Height, ElementSizeBytes);
    if (rc == CUDA_SUCCESS && !tessera_ticket_resize(&t, tessera_mul_sat(*pPitch, Height))) {
        cuMemFree_v2_fn free_real = REAL(cuMemFree_v2);
        if (free_real != NULL) free_real(*dptr);
        *dptr = 0;
        rc = CUDA_ERROR_OUT_OF_MEMORY;
    }
    tessera_settle(&t, rc, TESSERA_KIND_DPTR, rc == CUDA_SUCCESS ? *dptr : 0);
    return rc;
}

/* Managed memory may migrate, but it can all be resident on the current device: charge it
 * there. */
CUresult cuMemAllocManaged(CUdeviceptr *dptr, size_t bytesize, unsigned int flags) {
    cuMemAllocManaged_fn real = REAL(cuMemAllocManaged);
    if (real == NULL) return MISSING;
    tessera_ticket t;
    CUresult rc = tessera_admit_current(&t, bytesize);
    if (rc != CUDA_SUCCESS) return rc;
    rc = real(dptr, bytesize, flags);
    while (tessera_loan_retry(&t, rc)) rc = real(dptr, bytesize, flags);
    tessera_settle(&t, rc, TESSERA_KIND_DPTR, rc == CUDA_SUCCESS ? *dptr : 0);
    return rc;
}

CUresult cuMemFree_v2(CUdeviceptr dptr) {
    cuMemFree_v2_fn real = REAL(cuMemFree_v2);
    if (real == NULL) return MISSING;
    CUresult swapped; /* swappable memory exists only once the init turned swap on */
    if (__builtin_expect(__atomic_load_n(&tessera_swap_on, __ATOMIC_RELAXED), 0) &&
        tessera_swap_free(dptr, &swapped))
        return swapped;
    tessera_alloc a;
    int ours = tessera_forget(TESSERA_KIND_DPTR, dptr, &a);
    CUresult rc = real(dptr);
    if (ours) tessera_forgotten(dptr, &a, rc);
    return rc;
}

/* ---- the pre-3.2 ABI ------------------------------------------------------------------- */
/* 32-bit sizes and pointers, still exported by the driver and returned by cuGetProcAddress
 * for versions below 3020: the same accounting, the pointer zero-extended as its key (so a
 * cuMemFree_v2 of it finds it too). */

CUresult cuMemAlloc(CUdeviceptr_v1 *dptr, unsigned int bytesize) {
    cuMemAlloc_fn real = REAL(cuMemAlloc);
    if (real == NULL) return MISSING;
    tessera_ticket t;
    CUresult rc = tessera_admit_current(&t, bytesize);
    if (rc != CUDA_SUCCESS) return rc;
    rc = real(dptr, bytesize);
    while (tessera_loan_retry(&t, rc)) rc = real(dptr, bytesize);
    tessera_settle(&t, rc, TESSERA_KIND_DPTR, rc == CUDA_SUCCESS ? *dptr : 0);
    return rc;
}

CUresult cuMemAllocPitch(CUdeviceptr_v1 *dptr, unsigned int *pPitch, unsigned int WidthInBytes,
                         unsigned int Height, unsigned int ElementSizeBytes) {
    cuMemAllocPitch_fn real = REAL(cuMemAllocPitch);
    if (real == NULL) return MISSING;
    uint64_t row = ((uint64_t)WidthInBytes + PITCH_ESTIMATE_ALIGN - 1) / PITCH_ESTIMATE_ALIGN *
                   PITCH_ESTIMATE_ALIGN;
    tessera_ticket t;
    CUresult rc = tessera_admit_current(&t, row * Height);
    if (rc != CUDA_SUCCESS) return rc;
    rc = real(dptr, pPitch, WidthInBytes, Height, ElementSizeBytes);
    while (tessera_loan_retry(&t, rc))
        rc = real(dptr, pPitch, WidthInBytes, Height, ElementSizeBytes);
    if (rc == CUDA_SUCCESS && !tessera_ticket_resize(&t, (uint64_t)*pPitch * Height)) {
        cuMemFree_fn free_real = REAL(cuMemFree);
        if (free_real != NULL) free_real(*dptr);
        *dptr = 0;
        rc = CUDA_ERROR_OUT_OF_MEMORY;
    }
    tessera_settle(&t, rc, TESSERA_KIND_DPTR, rc == CUDA_SUCCESS ? *dptr : 0);
    return rc;
}

CUresult cuMemFree(CUdeviceptr_v1 dptr) {
    cuMemFree_fn real = REAL(cuMemFree);
    if (real == NULL) return MISSING;
    tessera_alloc a;
    int ours = tessera_forget(TESSERA_KIND_DPTR, dptr, &a);
    CUresult rc = real(dptr);
    if (ours) tessera_forgotten(dptr, &a, rc);
    return rc;
}

CUresult cuArrayCreate(CUarray *pHandle, const CUDA_ARRAY_DESCRIPTOR_v1 *pAllocateArray) {
    cuArrayCreate_fn real = REAL(cuArrayCreate);
    if (real == NULL) return MISSING;
    uint64_t bytes = 0;
    if (pAllocateArray != NULL) {
        CUDA_ARRAY_DESCRIPTOR d = {pAllocateArray->Width, pAllocateArray->Height,
                                   pAllocateArray->Format, pAllocateArray->NumChannels};
        bytes = tessera_array_bytes(&d);
    }
    tessera_ticket t;
    CUresult rc = tessera_admit_current(&t, bytes);
    if (rc != CUDA_SUCCESS) return rc;
    rc = real(pHandle, pAllocateArray);
    while (tessera_loan_retry(&t, rc)) rc = real(pHandle, pAllocateArray);
    tessera_settle(&t, rc, TESSERA_KIND_ARRAY,
                   rc == CUDA_SUCCESS ? (uint64_t)(uintptr_t)*pHandle : 0);
    return rc;
}

CUresult cuArray3DCreate(CUarray *pHandle, const CUDA_ARRAY3D_DESCRIPTOR_v1 *pAllocateArray) {
    cuArray3DCreate_fn real = REAL(cuArray3DCreate);
    if (real == NULL) return MISSING;
    uint64_t bytes = 0;
    if (pAllocateArray != NULL) {
        CUDA_ARRAY3D_DESCRIPTOR d = {pAllocateArray->Width, pAllocateArray->Height,
                                     pAllocateArray->Depth, pAllocateArray->Format,
                                     pAllocateArray->NumChannels, pAllocateArray->Flags};
        bytes = tessera_array3d_bytes(&d);
    }
    tessera_ticket t;
    CUresult rc = tessera_admit_current(&t, bytes);
    if (rc != CUDA_SUCCESS) return rc;
    rc = real(pHandle, pAllocateArray);
    while (tessera_loan_retry(&t, rc)) rc = real(pHandle, pAllocateArray);
    tessera_settle(&t, rc, TESSERA_KIND_ARRAY,
                   rc == CUDA_SUCCESS ? (uint64_t)(uintptr_t)*pHandle : 0);
    return rc;
}

/* ---- stream-ordered allocation and pools ----------------------------------------------- */
/* Charged by what the pool holds, to the pool's device (see hooks_pool.c). */

static CUresult alloc_async(cuMemAllocAsync_fn real, CUdeviceptr *dptr, size_t bytesize,
                            CUstream stream, int ptsz) {
    if (real == NULL) return MISSING;
    tessera_pool_ticket pt;
    CUresult rc = tessera_pool_admit(&pt, NULL, stream, ptsz, bytesize);
    if (rc != CUDA_SUCCESS) return rc;
    rc = real(dptr, bytesize, stream);
    while (tessera_loan_retry(&pt.t, rc)) rc = real(dptr, bytesize, stream);
    tessera_pool_settle(&pt, rc, rc == CUDA_SUCCESS && dptr != NULL ? *dptr : 0);
    return rc;
}

CUresult cuMemAllocAsync(CUdeviceptr *dptr, size_t bytesize, CUstream hStream) {
    return alloc_async(REAL(cuMemAllocAsync), dptr, bytesize, hStream, 0);
}

CUresult cuMemAllocAsync_ptsz(CUdeviceptr *dptr, size_t bytesize, CUstream hStream) {
    return alloc_async(REAL(cuMemAllocAsync_ptsz), dptr, bytesize, hStream, 1);
}

static CUresult alloc_from_pool(cuMemAllocFromPoolAsync_fn real, CUdeviceptr *dptr,
                                size_t bytesize, CUmemoryPool pool, CUstream stream, int ptsz) {
    if (real == NULL) return MISSING;
    tessera_pool_ticket pt;
    CUresult rc = tessera_pool_admit(&pt, pool, stream, ptsz, bytesize);
    if (rc != CUDA_SUCCESS) return rc;
    rc = real(dptr, bytesize, pool, stream);
    while (tessera_loan_retry(&pt.t, rc)) rc = real(dptr, bytesize, pool, stream);
    tessera_pool_settle(&pt, rc, rc == CUDA_SUCCESS && dptr != NULL ? *dptr : 0);
    return rc;
}

CUresult cuMemAllocFromPoolAsync(CUdeviceptr *dptr, size_t bytesize, CUmemoryPool pool,
                                 CUstream hStream) {
    return alloc_from_pool(REAL(cuMemAllocFromPoolAsync), dptr, bytesize, pool, hStream, 0);
}

CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr *dptr, size_t bytesize, CUmemoryPool pool,
                                      CUstream hStream) {
    return alloc_from_pool(REAL(cuMemAllocFromPoolAsync_ptsz), dptr, bytesize, pool, hStream, 1);
}

/*
 * Nothing is given back when the free is enqueued. Pool memory stays charged to its pool
 * until the pool releases it (a synchronisation past its threshold, or a trim: see
 * hooks_pool.c); memory charged one by one (cuMemAlloc) is given back by a host function the
 * stream runs when it reaches the free.
 */
static CUresult free_async(cuMemFreeAsync_fn real, CUdeviceptr dptr, CUstream stream, int ptsz) {
    if (real == NULL) return MISSING;
    CUresult swapped;
    if (__builtin_expect(__atomic_load_n(&tessera_swap_on, __ATOMIC_RELAXED), 0) &&
        tessera_swap_free_async(dptr, stream, ptsz, &swapped))
        return swapped;
    tessera_alloc a;
    int ours = tessera_forget(TESSERA_KIND_DPTR, dptr, &a);
    CUresult rc = real(dptr, stream);
    if (!ours) return rc;
    if (rc != CUDA_SUCCESS) tessera_forgotten(dptr, &a, rc); /* back in the table */
    else if (a.link != 0) tessera_pool_freed(&a, 0);
    else tessera_release_at_stream(stream, ptsz, a.device, a.size);
    return rc;
}

CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream hStream) {
    return free_async(REAL(cuMemFreeAsync), dptr, hStream, 0);
}

CUresult cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream hStream) {
    return free_async(REAL(cuMemFreeAsync_ptsz), dptr, hStream, 1);
}

/* ---- virtual memory management ---------------------------------------------------------- */

/* Only device-located physical memory counts; host (NUMA) locations pass through. The handle
 * holds one reference to its memory and every mapping another: the driver frees the memory
 * when the handle is released and the last mapping unmapped, and so the charge goes then. */
CUresult cuMemCreate(CUmemGenericAllocationHandle *handle, size_t size,
                     const CUmemAllocationProp *prop, unsigned long long flags) {
    cuMemCreate_fn real = REAL(cuMemCreate);
    if (real == NULL) return MISSING;
    tessera_ticket t = {.dev = NULL};
    CUresult rc = CUDA_SUCCESS;
    if (prop != NULL && prop->location.type == TESSERA_CU_MEM_LOCATION_TYPE_DEVICE)
        rc = tessera_admit_device(&t, prop->location.id, size);
    if (rc != CUDA_SUCCESS) return rc;
    rc = real(handle, size, prop, flags);
    while (tessera_loan_retry(&t, rc)) rc = real(handle, size, prop, flags);
    tessera_settle(&t, rc, TESSERA_KIND_HANDLE, rc == CUDA_SUCCESS ? *handle : 0);
    return rc;
}

/* Drops one reference to a handle's memory; the last one gives its bytes back. */
static void handle_unref(CUmemGenericAllocationHandle handle) {
    tessera_alloc h;
    if (tessera_ptr_ref(handle, TESSERA_KIND_HANDLE, -1, &h) == 1)
        tessera_uncharge(h.device, h.size);
}

CUresult cuMemRelease(CUmemGenericAllocationHandle handle) {
    cuMemRelease_fn real = REAL(cuMemRelease);
    if (real == NULL) return MISSING;
    tessera_alloc a;
    /* Still mapped: the reference goes after the driver's answer (the handle value cannot be
     * handed out again while its memory lives). Not mapped: out of the table first, as frees. */
    int ours = tessera_enforcing() && tessera_ptr_get(handle, TESSERA_KIND_HANDLE, &a);
    if (ours && a.refs > 1) {
        CUresult rc = real(handle);
        if (rc == CUDA_SUCCESS) handle_unref(handle);
        return rc;
    }
    ours = ours && tessera_forget(TESSERA_KIND_HANDLE, handle, &a);
    CUresult rc = real(handle);
    if (ours) tessera_forgotten(handle, &a, rc);
    return rc;
}

CUresult cuMemMap(CUdeviceptr ptr, size_t size, size_t offset, CUmemGenericAllocationHandle handle,
                  unsigned long long flags) {
    cuMemMap_fn real = REAL(cuMemMap);
    if (real == NULL) return MISSING;
    CUresult rc = real(ptr, size, offset, handle, flags);
    tessera_alloc h;
    if (rc != CUDA_SUCCESS || !tessera_enforcing() ||
        tessera_ptr_ref(handle, TESSERA_KIND_HANDLE, +1, &h) != 0)
        return rc; /* not memory we charged (a host location, or created before limits) */
    tessera_alloc m = {.size = size, .link = handle, .kind = TESSERA_KIND_MAPPING};
    tessera_alloc stale;
    if (tessera_ptr_insert(ptr, &m, &stale)) handle_unref(stale.link); /* unmapped unseen */
    return rc;
}

/*
 * cuMemUnmap takes whole mappings: one, or several laid end to end. Each is taken out of the
 * table before the driver call (so a concurrent cuMemMap at the same address cannot collide
 * with it) and put back if the driver refuses; on success each drops its handle's reference.
 */
CUresult cuMemUnmap(CUdeviceptr ptr, size_t size) {
    cuMemUnmap_fn real = REAL(cuMemUnmap);
    if (real == NULL) return MISSING;
    if (!tessera_enforcing()) return real(ptr, size);
    tessera_alloc one[8], *maps = one;
    CUdeviceptr addr[8], *at = addr;
    size_t n = 0, cap = 8;
    for (CUdeviceptr p = ptr; p < ptr + size;) {
        tessera_alloc m;
        if (!tessera_ptr_remove(p, TESSERA_KIND_MAPPING, &m) || m.size == 0) break;
        if (n == cap) {
            size_t grown = cap * 2;
            tessera_alloc *nm = malloc(grown * sizeof *nm);
            CUdeviceptr *na = malloc(grown * sizeof *na);
            if (nm == NULL || na == NULL) { /* keep what we have; the rest stays mapped to us */
                free(nm);
                free(na);
                tessera_alloc stale;
                (void)tessera_ptr_insert(p, &m, &stale);
                break;
            }
            memcpy(nm, maps, n * sizeof *nm);
            memcpy(na, at, n * sizeof *na);
            if (maps != one) free(maps), free(at);
            maps = nm, at = na, cap = grown;
        }
        maps[n] = m;
        at[n++] = p;
        p += m.size;
    }
    CUresult rc = real(ptr, size);
    for (size_t i = 0; i < n; i++) {
        tessera_alloc stale;
        if (rc == CUDA_SUCCESS) handle_unref(maps[i].link);
        else (void)tessera_ptr_insert(at[i], &maps[i], &stale);
    }
    if (maps != one) free(maps), free(at);
    return rc;
}

/*
 * Physical memory mapped into sparse arrays: each map operation takes a reference to the
 * handle that is never dropped (the library does not follow which subresource an unmap frees),
 * so such memory stays charged until the process exits - above the truth after an unmap,
 * never below it while mapped.
 */
static CUresult map_array(cuMemMapArrayAsync_fn real, CUarrayMapInfo *list, unsigned int count,
                          CUstream stream) {
    if (real == NULL) return MISSING;
    CUresult rc = real(list, count, stream);
    if (rc != CUDA_SUCCESS || list == NULL || !tessera_enforcing()) return rc;
    for (unsigned int i = 0; i < count; i++) {
        tessera_alloc h;
        if (list[i].memOperationType == TESSERA_CU_MEM_OPERATION_TYPE_MAP &&
            list[i].memHandleType == TESSERA_CU_MEM_HANDLE_TYPE_GENERIC)
            (void)tessera_ptr_ref(list[i].memHandle, TESSERA_KIND_HANDLE, +1, &h);
    }
    return rc;
}

CUresult cuMemMapArrayAsync(CUarrayMapInfo *mapInfoList, unsigned int count, CUstream hStream) {
    return map_array(REAL(cuMemMapArrayAsync), mapInfoList, count, hStream);
}

CUresult cuMemMapArrayAsync_ptsz(CUarrayMapInfo *mapInfoList, unsigned int count,
                                 CUstream hStream) {
    return map_array(REAL(cuMemMapArrayAsync_ptsz), mapInfoList, count, hStream);
}

/* ---- arrays (sizes estimated, see array_size.h) ----------------------------------------- */

CUresult cuArrayCreate_v2(CUarray *pHandle, const CUDA_ARRAY_DESCRIPTOR *pAllocateArray) {
    cuArrayCreate_v2_fn real = REAL(cuArrayCreate_v2);
    if (real == NULL) return MISSING;
    tessera_ticket t;
    uint64_t bytes = pAllocateArray ? tessera_array_bytes(pAllocateArray) : 0;
    CUresult rc = tessera_admit_current(&t, bytes);
    if (rc != CUDA_SUCCESS) return rc;
    rc = real(pHandle, pAllocateArray);
    while (tessera_loan_retry(&t, rc)) rc = real(pHandle, pAllocateArray);
    tessera_settle(&t, rc, TESSERA_KIND_ARRAY, rc == CUDA_SUCCESS ? (uint64_t)(uintptr_t)*pHandle : 0);
    return rc;
}

CUresult cuArray3DCreate_v2(CUarray *pHandle, const CUDA_ARRAY3D_DESCRIPTOR *pAllocateArray) {
    cuArray3DCreate_v2_fn real = REAL(cuArray3DCreate_v2);
    if (real == NULL) return MISSING;
    tessera_ticket t;
    uint64_t bytes = pAllocateArray ? tessera_array3d_bytes(pAllocateArray) : 0;
    CUresult rc = tessera_admit_current(&t, bytes);
    if (rc != CUDA_SUCCESS) return rc;
    rc = real(pHandle, pAllocateArray);
    while (tessera_loan_retry(&t, rc)) rc = real(pHandle, pAllocateArray);
    tessera_settle(&t, rc, TESSERA_KIND_ARRAY, rc == CUDA_SUCCESS ? (uint64_t)(uintptr_t)*pHandle : 0);
    return rc;
}

CUresult cuMipmappedArrayCreate(CUmipmappedArray *pHandle,
                                const CUDA_ARRAY3D_DESCRIPTOR *pMipmappedArrayDesc,
                                unsigned int numMipmapLevels) {
    cuMipmappedArrayCreate_fn real = REAL(cuMipmappedArrayCreate);
    if (real == NULL) return MISSING;
    tessera_ticket t;
    uint64_t bytes =
        pMipmappedArrayDesc ? tessera_mipmap_bytes(pMipmappedArrayDesc, numMipmapLevels) : 0;
    CUresult rc = tessera_admit_current(&t, bytes);
    if (rc != CUDA_SUCCESS) return rc;
    rc = real(pHandle, pMipmappedArrayDesc, numMipmapLevels);
    while (tessera_loan_retry(&t, rc)) rc = real(pHandle, pMipmappedArrayDesc, numMipmapLevels);
    tessera_settle(&t, rc, TESSERA_KIND_MIPMAP, rc == CUDA_SUCCESS ? (uint64_t)(uintptr_t)*pHandle : 0);
    return rc;
}

CUresult cuArrayDestroy(CUarray hArray) {
    cuArrayDestroy_fn real = REAL(cuArrayDestroy);
    if (real == NULL) return MISSING;
    tessera_alloc a;
    uint64_t key = (uint64_t)(uintptr_t)hArray;
    int ours = tessera_forget(TESSERA_KIND_ARRAY, key, &a);
    CUresult rc = real(hArray);
    if (ours) tessera_forgotten(key, &a, rc);
    return rc;
}

CUresult cuMipmappedArrayDestroy(CUmipmappedArray hMipmappedArray) {
    cuMipmappedArrayDestroy_fn real = REAL(cuMipmappedArrayDestroy);
    if (real == NULL) return MISSING;
    tessera_alloc a;
    uint64_t key = (uint64_t)(uintptr_t)hMipmappedArray;
    int ours = tessera_forget(TESSERA_KIND_MIPMAP, key, &a);
    CUresult rc = real(hMipmappedArray);
    if (ours) tessera_forgotten(key, &a, rc);
    return rc;
}

/* ---- what the process sees -------------------------------------------------------------- */

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* total = the limit (or the physical size if smaller), free = total - container's usage,
 * never more than the driver's own free figure (other tenants use the GPU too). */
CUresult cuMemGetInfo_v2(size_t *free, size_t *total) {
    cuMemGetInfo_v2_fn real = REAL(cuMemGetInfo_v2);
    if (real == NULL) return MISSING;
    CUresult rc = real(free, total);
    CUdevice device;
    uint64_t limit, used;
    if (rc != CUDA_SUCCESS || !tessera_enforcing() || tessera_current_device(&device) != 0)
        return rc;
    tessera_pools_refresh(); /* what pools hold may have changed since they were last read */
    if (!tessera_device_budget(device, &limit, &used)) return rc;
    uint64_t cap = min_u64(limit, *total);
    *total = cap;
    *free = min_u64(cap > used ? cap - used : 0, *free);
    return rc;
}

/* The 32-bit forms: the same figures, capped at what 32 bits can say. */
CUresult cuMemGetInfo(unsigned int *free, unsigned int *total) {
    cuMemGetInfo_fn real = REAL(cuMemGetInfo);
    if (real == NULL) return MISSING;
    CUresult rc = real(free, total);
    CUdevice device;
    uint64_t limit, used;
    if (rc != CUDA_SUCCESS || !tessera_enforcing() || tessera_current_device(&device) != 0 ||
        !tessera_device_budget(device, &limit, &used))
        return rc;
    uint64_t cap = min_u64(limit, *total);
    *total = (unsigned int)cap;
    *free = (unsigned int)min_u64(cap > used ? cap - used : 0, *free);
    return rc;
}

CUresult cuDeviceTotalMem(unsigned int *bytes, CUdevice dev) {
    cuDeviceTotalMem_fn real = REAL(cuDeviceTotalMem);
    if (real == NULL) return MISSING;
    CUresult rc = real(bytes, dev);
    uint64_t limit, used;
    if (rc == CUDA_SUCCESS && tessera_device_budget(dev, &limit, &used))
        *bytes = (unsigned int)min_u64(limit, *bytes);
    return rc;
}

CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev) {
    cuDeviceTotalMem_v2_fn real = REAL(cuDeviceTotalMem_v2);
    if (real == NULL) return MISSING;
    CUresult rc = real(bytes, dev);
    uint64_t limit, used;
    if (rc == CUDA_SUCCESS && tessera_device_budget(dev, &limit, &used))
        *bytes = min_u64(limit, *bytes);
    return rc;
}
