/*
 * The few CUDA driver API types and entry points this library touches, declared here so
 * that building needs no CUDA toolkit. Layouts follow cuda.h (CUDA 12.x); only the fields
 * we read are meaningful to us, but every struct keeps the real size and field offsets
 * because the application hands us pointers to its own copies.
 */
#ifndef TESSERA_CUDA_API_H
#define TESSERA_CUDA_API_H

#include <stddef.h>
#include <stdint.h>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef unsigned long long CUmemGenericAllocationHandle;
typedef unsigned long long cuuint64_t;
typedef struct CUstream_st *CUstream;
typedef struct CUmemPoolHandle_st *CUmemoryPool;
typedef struct CUarray_st *CUarray;
typedef struct CUmipmappedArray_st *CUmipmappedArray;
typedef int CUdriverProcAddressQueryResult;

enum {
    CUDA_SUCCESS = 0,
    CUDA_ERROR_INVALID_VALUE = 1,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_NOT_FOUND = 500,
    CUDA_ERROR_NOT_SUPPORTED = 801,
};

/* CUmemLocationType: only a device location is charged against a device's limit. */
#define TESSERA_CU_MEM_LOCATION_TYPE_DEVICE 1u
/* CUdriverProcAddress_flags: asks cuGetProcAddress for the per-thread-stream (_ptsz) variant. */
#define TESSERA_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM 0x2ull

typedef struct CUmemLocation_st {
    unsigned int type; /* CUmemLocationType */
    int id;            /* device ordinal when type == DEVICE */
} CUmemLocation;

/* cuda.h's CUmemAllocationProp (v1): 32 bytes, location at offset 8. */
typedef struct CUmemAllocationProp_st {
    unsigned int type;                 /* CUmemAllocationType */
    unsigned int requestedHandleTypes; /* CUmemAllocationHandleType */
    CUmemLocation location;
    void *win32HandleMetaData;
    struct {
        unsigned char compressionType;
        unsigned char gpuDirectRDMACapable;
        unsigned short usage;
        unsigned char reserved[4];
    } allocFlags;
} CUmemAllocationProp;

typedef struct CUDA_ARRAY_DESCRIPTOR_st {
    size_t Width;
    size_t Height;
    int Format; /* CUarray_format */
    unsigned int NumChannels;
} CUDA_ARRAY_DESCRIPTOR;

typedef struct CUDA_ARRAY3D_DESCRIPTOR_st {
    size_t Width;
    size_t Height;
    size_t Depth;
    int Format; /* CUarray_format */
    unsigned int NumChannels;
    unsigned int Flags;
} CUDA_ARRAY3D_DESCRIPTOR;

#if UINTPTR_MAX == 0xffffffffffffffffu
_Static_assert(offsetof(CUmemAllocationProp, location) == 8, "CUmemAllocationProp layout");
_Static_assert(sizeof(CUmemAllocationProp) == 32, "CUmemAllocationProp size");
_Static_assert(sizeof(CUDA_ARRAY_DESCRIPTOR) == 24, "CUDA_ARRAY_DESCRIPTOR size");
_Static_assert(sizeof(CUDA_ARRAY3D_DESCRIPTOR) == 40, "CUDA_ARRAY3D_DESCRIPTOR size");
#endif

/*
 * Every driver entry point we wrap, as X(name, parameter list). The same list declares our
 * exported wrappers (hooks.h), the function-pointer types and the table of real entry points
 * (driver.h), so a signature is written exactly once.
 */
#define TESSERA_HOOKED_FUNCS(X)                                                               \
    X(cuMemAlloc_v2, (CUdeviceptr * dptr, size_t bytesize))                                   \
    X(cuMemAllocPitch_v2, (CUdeviceptr * dptr, size_t * pPitch, size_t WidthInBytes,          \
                           size_t Height, unsigned int ElementSizeBytes))                     \
    X(cuMemAllocManaged, (CUdeviceptr * dptr, size_t bytesize, unsigned int flags))           \
    X(cuMemCreate, (CUmemGenericAllocationHandle * handle, size_t size,                       \
                    const CUmemAllocationProp *prop, unsigned long long flags))               \
    X(cuMemAllocAsync, (CUdeviceptr * dptr, size_t bytesize, CUstream hStream))               \
    X(cuMemAllocAsync_ptsz, (CUdeviceptr * dptr, size_t bytesize, CUstream hStream))          \
    X(cuMemAllocFromPoolAsync, (CUdeviceptr * dptr, size_t bytesize, CUmemoryPool pool,       \
                                CUstream hStream))                                            \
    X(cuMemAllocFromPoolAsync_ptsz, (CUdeviceptr * dptr, size_t bytesize, CUmemoryPool pool,  \
                                     CUstream hStream))                                       \
    X(cuArrayCreate_v2, (CUarray * pHandle, const CUDA_ARRAY_DESCRIPTOR *pAllocateArray))     \
    X(cuArray3DCreate_v2, (CUarray * pHandle, const CUDA_ARRAY3D_DESCRIPTOR *pAllocateArray)) \
    X(cuMipmappedArrayCreate, (CUmipmappedArray * pHandle,                                    \
                               const CUDA_ARRAY3D_DESCRIPTOR *pMipmappedArrayDesc,            \
                               unsigned int numMipmapLevels))                                 \
    X(cuMemFree_v2, (CUdeviceptr dptr))                                                       \
    X(cuMemFreeAsync, (CUdeviceptr dptr, CUstream hStream))                                   \
    X(cuMemFreeAsync_ptsz, (CUdeviceptr dptr, CUstream hStream))                              \
    X(cuMemRelease, (CUmemGenericAllocationHandle handle))                                    \
    X(cuArrayDestroy, (CUarray hArray))                                                       \
    X(cuMipmappedArrayDestroy, (CUmipmappedArray hMipmappedArray))                            \
    X(cuMemGetInfo_v2, (size_t * free, size_t * total))                                       \
    X(cuDeviceTotalMem_v2, (size_t * bytes, CUdevice dev))                                    \
    X(cuGetProcAddress, (const char *symbol, void **pfn, int cudaVersion, cuuint64_t flags))  \
    X(cuGetProcAddress_v2, (const char *symbol, void **pfn, int cudaVersion,                  \
                            cuuint64_t flags, CUdriverProcAddressQueryResult *symbolStatus))

/* Entry points we call but do not wrap. */
#define TESSERA_RESOLVED_FUNCS(X) X(cuCtxGetDevice, (CUdevice * device))

#define TESSERA_DECLARE_FN_TYPE(name, params) typedef CUresult(*name##_fn) params;
TESSERA_HOOKED_FUNCS(TESSERA_DECLARE_FN_TYPE)
TESSERA_RESOLVED_FUNCS(TESSERA_DECLARE_FN_TYPE)
#undef TESSERA_DECLARE_FN_TYPE

#endif
