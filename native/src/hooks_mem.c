/*
 * Allocation, free and memory-query wrappers. Each allocation: admit (reserve against the
 * limit, lock-free) -> real driver call, repeated while tessera_loan_retry says the container
 * waits for loans -> settle (keep and remember, or give back). Each free: forget
 * (take the entry out) -> real driver call -> forgotten (release, or put back on failure).
 * No lock is ever held across a driver call.
 */
#include "hooks.h"

#include "array_size.h"
#include "driver.h"

#define REAL(name) (tessera_driver_get()->name)
/* The driver lacks an entry point the application called through our export. */
#define MISSING CUDA_ERROR_NOT_SUPPORTED

/* ---- linear memory ---------------------------------------------------------------------- */

CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize) {
    cuMemAlloc_v2_fn real = REAL(cuMemAlloc_v2);
    if (real == NULL) return MISSING;
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
    tessera_alloc a;
    int ours = tessera_forget(TESSERA_KIND_DPTR, dptr, &a);
    CUresult rc = real(dptr);
    if (ours) tessera_forgotten(dptr, &a, rc);
    return rc;
}

/* ---- stream-ordered allocation and pools ----------------------------------------------- */
/* Charged to the current context's device, which is the stream's device in practice
 * (frameworks make it current before allocating). The bytes are released when the free is
 * enqueued, not when the stream reaches it. */

static CUresult alloc_async(cuMemAllocAsync_fn real, CUdeviceptr *dptr, size_t bytesize,
                            CUstream stream) {
    if (real == NULL) return MISSING;
    tessera_ticket t;
    CUresult rc = tessera_admit_current(&t, bytesize);
    if (rc != CUDA_SUCCESS) return rc;
    rc = real(dptr, bytesize, stream);
    while (tessera_loan_retry(&t, rc)) rc = real(dptr, bytesize, stream);
    tessera_settle(&t, rc, TESSERA_KIND_DPTR, rc == CUDA_SUCCESS ? *dptr : 0);
    return rc;
}

CUresult cuMemAllocAsync(CUdeviceptr *dptr, size_t bytesize, CUstream hStream) {
    return alloc_async(REAL(cuMemAllocAsync), dptr, bytesize, hStream);
}

CUresult cuMemAllocAsync_ptsz(CUdeviceptr *dptr, size_t bytesize, CUstream hStream) {
    return alloc_async(REAL(cuMemAllocAsync_ptsz), dptr, bytesize, hStream);
}

static CUresult alloc_from_pool(cuMemAllocFromPoolAsync_fn real, CUdeviceptr *dptr,
                                size_t bytesize, CUmemoryPool pool, CUstream stream) {
    if (real == NULL) return MISSING;
    tessera_ticket t;
    CUresult rc = tessera_admit_current(&t, bytesize);
    if (rc != CUDA_SUCCESS) return rc;
    rc = real(dptr, bytesize, pool, stream);
    while (tessera_loan_retry(&t, rc)) rc = real(dptr, bytesize, pool, stream);
    tessera_settle(&t, rc, TESSERA_KIND_DPTR, rc == CUDA_SUCCESS ? *dptr : 0);
    return rc;
}

CUresult cuMemAllocFromPoolAsync(CUdeviceptr *dptr, size_t bytesize, CUmemoryPool pool,
                                 CUstream hStream) {
    return alloc_from_pool(REAL(cuMemAllocFromPoolAsync), dptr, bytesize, pool, hStream);
}

CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr *dptr, size_t bytesize, CUmemoryPool pool,
                                      CUstream hStream) {
    return alloc_from_pool(REAL(cuMemAllocFromPoolAsync_ptsz), dptr, bytesize, pool, hStream);
}

static CUresult free_async(cuMemFreeAsync_fn real, CUdeviceptr dptr, CUstream stream) {
    if (real == NULL) return MISSING;
    tessera_alloc a;
    int ours = tessera_forget(TESSERA_KIND_DPTR, dptr, &a);
    CUresult rc = real(dptr, stream);
    if (ours) tessera_forgotten(dptr, &a, rc);
    return rc;
}

CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream hStream) {
    return free_async(REAL(cuMemFreeAsync), dptr, hStream);
}

CUresult cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream hStream) {
    return free_async(REAL(cuMemFreeAsync_ptsz), dptr, hStream);
}

/* ---- virtual memory management ---------------------------------------------------------- */

/* Only device-located physical memory counts; host (NUMA) locations pass through. The bytes
 * are released at cuMemRelease even if the memory is still mapped (the driver frees it at
 * unmap). */
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

CUresult cuMemRelease(CUmemGenericAllocationHandle handle) {
    cuMemRelease_fn real = REAL(cuMemRelease);
    if (real == NULL) return MISSING;
    tessera_alloc a;
    int ours = tessera_forget(TESSERA_KIND_HANDLE, handle, &a);
    CUresult rc = real(handle);
    if (ours) tessera_forgotten(handle, &a, rc);
    return rc;
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
    if (rc != CUDA_SUCCESS || !tessera_enforcing() || tessera_current_device(&device) != 0 ||
        !tessera_device_budget(device, &limit, &used))
        return rc;
    uint64_t cap = min_u64(limit, *total);
    *total = cap;
    *free = min_u64(cap > used ? cap - used : 0, *free);
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
