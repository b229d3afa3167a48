/*
 * The few CUDA driver API types and entry points this library touches, declared here so
 * that building needs no CUDA toolkit. Layouts, signatures and enum values follow NVIDIA's
 * cuda.h (CUDA 12.6, as published in e.g. github.com/zspace/system.cuda-12.6 include/cuda.h,
 * checked against CUDA 13.0's); the legacy pre-3.2 entry points are the ones cuda.h declares
 * under __CUDA_API_VERSION_INTERNAL. Only the fields we read are meaningful to us, but every
 * struct keeps the real size and field offsets because the application hands us pointers to
 * its own copies.
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
typedef unsigned int CUdeviceptr_v1; /* the pre-3.2 32-bit device pointer */
typedef struct CUctx_st *CUcontext;
typedef struct CUstream_st *CUstream;
typedef struct CUevent_st *CUevent;
typedef struct CUgraph_st *CUgraph;
typedef struct CUgraphNode_st *CUgraphNode;
typedef struct CUgraphExec_st *CUgraphExec;
typedef void (*CUhostFn)(void *userData);
typedef struct CUfunc_st *CUfunction;
typedef struct CUmemPoolHandle_st *CUmemoryPool;
typedef struct CUarray_st *CUarray;
typedef struct CUmipmappedArray_st *CUmipmappedArray;
typedef int CUdriverProcAddressQueryResult;
/* Copy descriptors are only passed through: incomplete types are enough. */
typedef struct CUDA_MEMCPY2D_st CUDA_MEMCPY2D;
typedef struct CUDA_MEMCPY3D_st CUDA_MEMCPY3D;
typedef struct CUDA_MEMCPY3D_PEER_st CUDA_MEMCPY3D_PEER;
typedef struct CUmemcpyAttributes_st CUmemcpyAttributes;
typedef struct CUDA_MEMCPY3D_BATCH_OP_st CUDA_MEMCPY3D_BATCH_OP;

enum {
    CUDA_SUCCESS = 0,
    CUDA_ERROR_INVALID_VALUE = 1,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_NOT_FOUND = 500,
    CUDA_ERROR_NOT_READY = 600,
    CUDA_ERROR_ILLEGAL_ADDRESS = 700,
    CUDA_ERROR_NOT_SUPPORTED = 801,
};

/* CUmemLocationType: only a device location is charged against a device's limit. */
#define TESSERA_CU_MEM_LOCATION_TYPE_DEVICE 1u
/* For swap (swap.c), cuda.h 12.6 and 13.0: CUmemAllocationType CU_MEM_ALLOCATION_TYPE_PINNED
 * = 0x1; CUmemAllocationGranularity_flags CU_MEM_ALLOC_GRANULARITY_MINIMUM = 0x0;
 * CUmemAccess_flags CU_MEM_ACCESS_FLAGS_PROT_READWRITE = 0x3; cuMemHostAlloc's
 * CU_MEMHOSTALLOC_PORTABLE 0x01; CUstream_flags CU_STREAM_NON_BLOCKING = 0x1. */
#define TESSERA_CU_MEM_ALLOCATION_TYPE_PINNED 1u
#define TESSERA_CU_MEM_ALLOC_GRANULARITY_MINIMUM 0
#define TESSERA_CU_MEM_ACCESS_FLAGS_PROT_READWRITE 3u
#define TESSERA_CU_MEMHOSTALLOC_PORTABLE 0x01u
#define TESSERA_CU_STREAM_NON_BLOCKING 0x1u

/* CUmemPool_attribute (cuda.h: REUSE_FOLLOW_EVENT_DEPENDENCIES = 1, then in order). */
#define TESSERA_CU_MEMPOOL_ATTR_RELEASE_THRESHOLD 4
#define TESSERA_CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT 5
#define TESSERA_CU_MEMPOOL_ATTR_USED_MEM_CURRENT 7
/* CUgraphMem_attribute (cuda.h: USED_MEM_CURRENT = 0, USED_MEM_HIGH, RESERVED_MEM_CURRENT, ...). */
#define TESSERA_CU_GRAPH_MEM_ATTR_USED_MEM_CURRENT 0
#define TESSERA_CU_GRAPH_MEM_ATTR_RESERVED_MEM_CURRENT 2
/* CUlimit (cuda.h). */
#define TESSERA_CU_LIMIT_STACK_SIZE 0x00
#define TESSERA_CU_LIMIT_PRINTF_FIFO_SIZE 0x01
#define TESSERA_CU_LIMIT_MALLOC_HEAP_SIZE 0x02
#define TESSERA_CU_LIMIT_DEV_RUNTIME_PENDING_LAUNCH_COUNT 0x04
/* CUdevice_attribute (cuda.h). */
#define TESSERA_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT 16
#define TESSERA_CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR 39
#define TESSERA_CU_DEVICE_ATTRIBUTE_TEXTURE_PITCH_ALIGNMENT 51
#define TESSERA_CU_DEVICE_ATTRIBUTE_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED 102
/* CUpointer_attribute (cuda.h): the pool an allocation came from, or NULL. */
#define TESSERA_CU_POINTER_ATTRIBUTE_MEMPOOL_HANDLE 17
/* CUstreamCaptureStatus (cuda.h). */
#define TESSERA_CU_STREAM_CAPTURE_STATUS_ACTIVE 1
/* CUgraphNodeType (cuda.h). */
#define TESSERA_CU_GRAPH_NODE_TYPE_MEM_ALLOC 10
/* The special stream handles (cuda.h: CU_STREAM_LEGACY 0x1, CU_STREAM_PER_THREAD 0x2). */
#define TESSERA_CU_STREAM_PER_THREAD ((CUstream)0x2)
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

/* cuda.h's CUmemPoolProps (v1): 88 bytes, location at offset 8. */
typedef struct CUmemPoolProps_st {
    unsigned int allocType;   /* CUmemAllocationType */
    unsigned int handleTypes; /* CUmemAllocationHandleType */
    CUmemLocation location;
    void *win32SecurityAttributes;
    size_t maxSize;
    unsigned short usage;
    unsigned char reserved[54];
} CUmemPoolProps;

typedef struct CUmemAccessDesc_st {
    CUmemLocation location;
    unsigned int flags; /* CUmemAccess_flags */
} CUmemAccessDesc;

/* cuda.h's CUDA_MEM_ALLOC_NODE_PARAMS (v1, and v2 has the same layout). */
typedef struct CUDA_MEM_ALLOC_NODE_PARAMS_st {
    CUmemPoolProps poolProps;
    const CUmemAccessDesc *accessDescs;
    size_t accessDescCount;
    size_t bytesize;
    CUdeviceptr dptr; /* out */
} CUDA_MEM_ALLOC_NODE_PARAMS;

/* cuda.h's CUgraphNodeParams (CUDA 12.2+): only the memory allocation member is read. */
typedef struct CUgraphNodeParams_st {
    int type; /* CUgraphNodeType */
    int reserved0[3];
    union {
        long long reserved1[29];
        CUDA_MEM_ALLOC_NODE_PARAMS alloc;
    };
    long long reserved2;
} CUgraphNodeParams;

/* cuda.h's CUarrayMapInfo (v1): 96 bytes; only the operation and the handle are read. */
#define TESSERA_CU_MEM_OPERATION_TYPE_MAP 1
#define TESSERA_CU_MEM_HANDLE_TYPE_GENERIC 0
typedef struct CUarrayMapInfo_st {
    int resourceType; /* CUresourcetype */
    void *resource;   /* CUmipmappedArray or CUarray */
    int subresourceType;
    union {
        unsigned int sparseLevel[8];
        struct {
            unsigned int layer;
            unsigned long long offset, size;
        } miptail;
    } subresource;
    int memOperationType; /* CUmemOperationType */
    int memHandleType;    /* CUmemHandleType */
    CUmemGenericAllocationHandle memHandle;
    unsigned long long offset;
    unsigned int deviceBitMask;
    unsigned int flags;
    unsigned int reserved[2];
} CUarrayMapInfo;

/* cuda.h's CUlaunchConfig: only the stream is read. */
typedef struct CUlaunchConfig_st {
    unsigned int gridDimX, gridDimY, gridDimZ;
    unsigned int blockDimX, blockDimY, blockDimZ;
    unsigned int sharedMemBytes;
    CUstream hStream;
    void *attrs; /* CUlaunchAttribute * */
    unsigned int numAttrs;
} CUlaunchConfig;

typedef struct CUDA_ARRAY_DESCRIPTOR_v1_st {
    unsigned int Width;
    unsigned int Height;
    int Format; /* CUarray_format */
    unsigned int NumChannels;
} CUDA_ARRAY_DESCRIPTOR_v1;

typedef struct CUDA_ARRAY3D_DESCRIPTOR_v1_st {
    unsigned int Width;
    unsigned int Height;
    unsigned int Depth;
    int Format; /* CUarray_format */
    unsigned int NumChannels;
    unsigned int Flags;
} CUDA_ARRAY3D_DESCRIPTOR_v1;

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
_Static_assert(offsetof(CUmemPoolProps, location) == 8, "CUmemPoolProps layout");
_Static_assert(sizeof(CUmemPoolProps) == 88, "CUmemPoolProps size");
_Static_assert(offsetof(CUDA_MEM_ALLOC_NODE_PARAMS, bytesize) == 104, "CUDA_MEM_ALLOC_NODE_PARAMS");
_Static_assert(offsetof(CUgraphNodeParams, alloc) == 16, "CUgraphNodeParams layout");
_Static_assert(sizeof(CUgraphNodeParams) == 256, "CUgraphNodeParams size");
_Static_assert(offsetof(CUarrayMapInfo, memOperationType) == 56, "CUarrayMapInfo layout");
_Static_assert(offsetof(CUarrayMapInfo, memHandle) == 64, "CUarrayMapInfo layout");
_Static_assert(sizeof(CUarrayMapInfo) == 96, "CUarrayMapInfo size");
_Static_assert(offsetof(CUlaunchConfig, hStream) == 32, "CUlaunchConfig layout");
_Static_assert(sizeof(CUmemAccessDesc) == 12, "CUmemAccessDesc size");
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
                            cuuint64_t flags, CUdriverProcAddressQueryResult *symbolStatus))  \
    /* the pre-3.2 ABI: 32-bit sizes and pointers, still exported by the driver */            \
    X(cuMemAlloc, (CUdeviceptr_v1 * dptr, unsigned int bytesize))                             \
    X(cuMemAllocPitch, (CUdeviceptr_v1 * dptr, unsigned int *pPitch, unsigned int WidthInBytes, \
                        unsigned int Height, unsigned int ElementSizeBytes))                  \
    X(cuMemFree, (CUdeviceptr_v1 dptr))                                                       \
    X(cuMemGetInfo, (unsigned int *free, unsigned int *total))                                \
    X(cuDeviceTotalMem, (unsigned int *bytes, CUdevice dev))                                  \
    X(cuArrayCreate, (CUarray * pHandle, const CUDA_ARRAY_DESCRIPTOR_v1 *pAllocateArray))     \
    X(cuArray3DCreate, (CUarray * pHandle, const CUDA_ARRAY3D_DESCRIPTOR_v1 *pAllocateArray)) \
    /* virtual memory: physical memory lives until its handle is released and unmapped */    \
    X(cuMemMap, (CUdeviceptr ptr, size_t size, size_t offset,                                 \
                 CUmemGenericAllocationHandle handle, unsigned long long flags))              \
    X(cuMemUnmap, (CUdeviceptr ptr, size_t size))                                             \
    X(cuMemMapArrayAsync, (CUarrayMapInfo * mapInfoList, unsigned int count, CUstream hStream)) \
    X(cuMemMapArrayAsync_ptsz, (CUarrayMapInfo * mapInfoList, unsigned int count,              \
                                CUstream hStream))                                            \
    /* memory pools: charged by what they hold (see hooks_pool.c) */                         \
    X(cuMemPoolCreate, (CUmemoryPool * pool, const CUmemPoolProps *poolProps))                \
    X(cuMemPoolDestroy, (CUmemoryPool pool))                                                  \
    X(cuMemPoolTrimTo, (CUmemoryPool pool, size_t minBytesToKeep))                            \
    X(cuMemPoolSetAttribute, (CUmemoryPool pool, int attr, void *value))                      \
    X(cuDeviceSetMemPool, (CUdevice dev, CUmemoryPool pool))                                  \
    /* synchronisation: where pools give memory back to the driver */                        \
    X(cuCtxSynchronize, (void))                                                               \
    X(cuCtxSynchronize_v2, (CUcontext ctx)) /* CUDA 13.0: cuCtxSynchronize from version 13000 */ \
    X(cuStreamSynchronize, (CUstream hStream))                                                \
    X(cuStreamSynchronize_ptsz, (CUstream hStream))                                           \
    X(cuEventSynchronize, (CUevent hEvent))                                                   \
    /* limits that reserve device memory */                                                   \
    X(cuCtxSetLimit, (int limit, size_t value))                                               \
    /* graph memory nodes */                                                                  \
    X(cuGraphAddMemAllocNode, (CUgraphNode * phGraphNode, CUgraph hGraph,                     \
                               const CUgraphNode *dependencies, size_t numDependencies,       \
                               CUDA_MEM_ALLOC_NODE_PARAMS *nodeParams))                       \
    X(cuGraphAddNode, (CUgraphNode * phGraphNode, CUgraph hGraph,                             \
                       const CUgraphNode *dependencies, size_t numDependencies,               \
                       CUgraphNodeParams *nodeParams))                                        \
    X(cuGraphAddNode_v2, (CUgraphNode * phGraphNode, CUgraph hGraph,                          \
                          const CUgraphNode *dependencies, const void *dependencyData,        \
                          size_t numDependencies, CUgraphNodeParams *nodeParams))             \
    X(cuGraphClone, (CUgraph * phGraphClone, CUgraph originalGraph))                          \
    X(cuGraphDestroy, (CUgraph hGraph))                                                       \
    X(cuGraphInstantiate, (CUgraphExec * phGraphExec, CUgraph hGraph,                         \
                           CUgraphNode *phErrorNode, char *logBuffer, size_t bufferSize))     \
    X(cuGraphInstantiate_v2, (CUgraphExec * phGraphExec, CUgraph hGraph,                      \
                              CUgraphNode *phErrorNode, char *logBuffer, size_t bufferSize))  \
    X(cuGraphInstantiateWithFlags, (CUgraphExec * phGraphExec, CUgraph hGraph,                \
                                    unsigned long long flags))                                \
    X(cuGraphInstantiateWithParams, (CUgraphExec * phGraphExec, CUgraph hGraph,               \
                                     void *instantiateParams))                                \
    X(cuGraphInstantiateWithParams_ptsz, (CUgraphExec * phGraphExec, CUgraph hGraph,          \
                                          void *instantiateParams))                           \
    X(cuGraphExecDestroy, (CUgraphExec hGraphExec))                                           \
    X(cuGraphLaunch, (CUgraphExec hGraphExec, CUstream hStream))                              \
    X(cuGraphLaunch_ptsz, (CUgraphExec hGraphExec, CUstream hStream))                         \
    X(cuGraphUpload, (CUgraphExec hGraphExec, CUstream hStream))                              \
    X(cuGraphUpload_ptsz, (CUgraphExec hGraphExec, CUstream hStream))                         \
    X(cuDeviceGraphMemTrim, (CUdevice device))                                               \
    /* kernel launches: paced against the container's compute share (see pacing.c) */        \
    X(cuLaunchKernel, (CUfunction f, unsigned int gridDimX, unsigned int gridDimY,            \
                       unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY, \
                       unsigned int blockDimZ, unsigned int sharedMemBytes, CUstream hStream, \
                       void **kernelParams, void **extra))                                    \
    X(cuLaunchKernel_ptsz, (CUfunction f, unsigned int gridDimX, unsigned int gridDimY,       \
                            unsigned int gridDimZ, unsigned int blockDimX,                    \
                            unsigned int blockDimY, unsigned int blockDimZ,                   \
                            unsigned int sharedMemBytes, CUstream hStream,                    \
                            void **kernelParams, void **extra))                               \
    X(cuLaunchKernelEx, (const CUlaunchConfig *config, CUfunction f, void **kernelParams,     \
                         void **extra))                                                       \
    X(cuLaunchKernelEx_ptsz, (const CUlaunchConfig *config, CUfunction f,                     \
                              void **kernelParams, void **extra))                             \
    X(cuLaunchCooperativeKernel, (CUfunction f, unsigned int gridDimX, unsigned int gridDimY, \
                                  unsigned int gridDimZ, unsigned int blockDimX,              \
                                  unsigned int blockDimY, unsigned int blockDimZ,             \
                                  unsigned int sharedMemBytes, CUstream hStream,              \
                                  void **kernelParams))                                       \
    X(cuLaunchCooperativeKernel_ptsz, (CUfunction f, unsigned int gridDimX,                   \
                                       unsigned int gridDimY, unsigned int gridDimZ,          \
                                       unsigned int blockDimX, unsigned int blockDimY,        \
                                       unsigned int blockDimZ, unsigned int sharedMemBytes,   \
                                       CUstream hStream, void **kernelParams))

/*
 * Copies and memsets: passed through untouched, except that in a container with swap (swap.c)
 * the process's swapped-out memory comes back first. X(name, parameter list, argument list);
 * signatures from cuda.h 12.6 / 13.0, names of the per-thread-stream variants (_ptds for the
 * synchronous ones, _ptsz for the asynchronous ones) from its __CUDA_API_PTDS / __CUDA_API_PTSZ
 * defines, versions from cudaTypedefs.h (PFN_cuMemcpyHtoD_v3020, _v7000_ptds, ...). Copies
 * between host memory and arrays only (HtoA, AtoH, AtoA) touch no linear device memory and are
 * not here; neither are the pre-3.2 forms, whose 32-bit pointers cannot name swappable memory.
 */
#define TESSERA_GATED_FUNCS(X)                                                                \
    X(cuMemcpy, (CUdeviceptr dst, CUdeviceptr src, size_t ByteCount), (dst, src, ByteCount))   \
    X(cuMemcpy_ptds, (CUdeviceptr dst, CUdeviceptr src, size_t ByteCount),                    \
      (dst, src, ByteCount))                                                                  \
    X(cuMemcpyPeer, (CUdeviceptr dstDevice, CUcontext dstContext, CUdeviceptr srcDevice,      \
                     CUcontext srcContext, size_t ByteCount),                                 \
      (dstDevice, dstContext, srcDevice, srcContext, ByteCount))                              \
    X(cuMemcpyPeer_ptds, (CUdeviceptr dstDevice, CUcontext dstContext, CUdeviceptr srcDevice, \
                          CUcontext srcContext, size_t ByteCount),                            \
      (dstDevice, dstContext, srcDevice, srcContext, ByteCount))                              \
    X(cuMemcpyHtoD_v2, (CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount),        \
      (dstDevice, srcHost, ByteCount))                                                        \
    X(cuMemcpyHtoD_v2_ptds, (CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount),   \
      (dstDevice, srcHost, ByteCount))                                                        \
    X(cuMemcpyDtoH_v2, (void *dstHost, CUdeviceptr srcDevice, size_t ByteCount),              \
      (dstHost, srcDevice, ByteCount))                                                        \
    X(cuMemcpyDtoH_v2_ptds, (void *dstHost, CUdeviceptr srcDevice, size_t ByteCount),         \
      (dstHost, srcDevice, ByteCount))                                                        \
    X(cuMemcpyDtoD_v2, (CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount),      \
      (dstDevice, srcDevice, ByteCount))                                                      \
    X(cuMemcpyDtoD_v2_ptds, (CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount), \
      (dstDevice, srcDevice, ByteCount))                                                      \
    X(cuMemcpyDtoA_v2, (CUarray dstArray, size_t dstOffset, CUdeviceptr srcDevice,            \
                        size_t ByteCount), (dstArray, dstOffset, srcDevice, ByteCount))       \
    X(cuMemcpyDtoA_v2_ptds, (CUarray dstArray, size_t dstOffset, CUdeviceptr srcDevice,       \
                             size_t ByteCount), (dstArray, dstOffset, srcDevice, ByteCount))  \
    X(cuMemcpyAtoD_v2, (CUdeviceptr dstDevice, CUarray srcArray, size_t srcOffset,            \
                        size_t ByteCount), (dstDevice, srcArray, srcOffset, ByteCount))       \
    X(cuMemcpyAtoD_v2_ptds, (CUdeviceptr dstDevice, CUarray srcArray, size_t srcOffset,       \
                             size_t ByteCount), (dstDevice, srcArray, srcOffset, ByteCount))  \
    X(cuMemcpy2D_v2, (const CUDA_MEMCPY2D *pCopy), (pCopy))                                   \
    X(cuMemcpy2D_v2_ptds, (const CUDA_MEMCPY2D *pCopy), (pCopy))                              \
    X(cuMemcpy2DUnaligned_v2, (const CUDA_MEMCPY2D *pCopy), (pCopy))                          \
    X(cuMemcpy2DUnaligned_v2_ptds, (const CUDA_MEMCPY2D *pCopy), (pCopy))                     \
    X(cuMemcpy3D_v2, (const CUDA_MEMCPY3D *pCopy), (pCopy))                                   \
    X(cuMemcpy3D_v2_ptds, (const CUDA_MEMCPY3D *pCopy), (pCopy))                              \
    X(cuMemcpy3DPeer, (const CUDA_MEMCPY3D_PEER *pCopy), (pCopy))                             \
    X(cuMemcpy3DPeer_ptds, (const CUDA_MEMCPY3D_PEER *pCopy), (pCopy))                        \
    X(cuMemcpyAsync, (CUdeviceptr dst, CUdeviceptr src, size_t ByteCount, CUstream hStream),  \
      (dst, src, ByteCount, hStream))                                                         \
    X(cuMemcpyAsync_ptsz, (CUdeviceptr dst, CUdeviceptr src, size_t ByteCount,                \
                           CUstream hStream), (dst, src, ByteCount, hStream))                 \
    X(cuMemcpyPeerAsync, (CUdeviceptr dstDevice, CUcontext dstContext, CUdeviceptr srcDevice, \
                          CUcontext srcContext, size_t ByteCount, CUstream hStream),          \
      (dstDevice, dstContext, srcDevice, srcContext, ByteCount, hStream))                     \
    X(cuMemcpyPeerAsync_ptsz, (CUdeviceptr dstDevice, CUcontext dstContext,                   \
                               CUdeviceptr srcDevice, CUcontext srcContext, size_t ByteCount, \
                               CUstream hStream),                                             \
      (dstDevice, dstContext, srcDevice, srcContext, ByteCount, hStream))                     \
    X(cuMemcpyHtoDAsync_v2, (CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount,    \
                             CUstream hStream), (dstDevice, srcHost, ByteCount, hStream))     \
    X(cuMemcpyHtoDAsync_v2_ptsz, (CUdeviceptr dstDevice, const void *srcHost,                 \
                                  size_t ByteCount, CUstream hStream),                        \
      (dstDevice, srcHost, ByteCount, hStream))                                               \
    X(cuMemcpyDtoHAsync_v2, (void *dstHost, CUdeviceptr srcDevice, size_t ByteCount,          \
                             CUstream hStream), (dstHost, srcDevice, ByteCount, hStream))     \
    X(cuMemcpyDtoHAsync_v2_ptsz, (void *dstHost, CUdeviceptr srcDevice, size_t ByteCount,     \
                                  CUstream hStream), (dstHost, srcDevice, ByteCount, hStream)) \
    X(cuMemcpyDtoDAsync_v2, (CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount,  \
                             CUstream hStream), (dstDevice, srcDevice, ByteCount, hStream))   \
    X(cuMemcpyDtoDAsync_v2_ptsz, (CUdeviceptr dstDevice, CUdeviceptr srcDevice,               \
                                  size_t ByteCount, CUstream hStream),                        \
      (dstDevice, srcDevice, ByteCount, hStream))                                             \
    X(cuMemcpy2DAsync_v2, (const CUDA_MEMCPY2D *pCopy, CUstream hStream), (pCopy, hStream))   \
    X(cuMemcpy2DAsync_v2_ptsz, (const CUDA_MEMCPY2D *pCopy, CUstream hStream),                \
      (pCopy, hStream))                                                                       \
    X(cuMemcpy3DAsync_v2, (const CUDA_MEMCPY3D *pCopy, CUstream hStream), (pCopy, hStream))   \
    X(cuMemcpy3DAsync_v2_ptsz, (const CUDA_MEMCPY3D *pCopy, CUstream hStream),                \
      (pCopy, hStream))                                                                       \
    X(cuMemcpy3DPeerAsync, (const CUDA_MEMCPY3D_PEER *pCopy, CUstream hStream),               \
      (pCopy, hStream))                                                                       \
    X(cuMemcpy3DPeerAsync_ptsz, (const CUDA_MEMCPY3D_PEER *pCopy, CUstream hStream),          \
      (pCopy, hStream))                                                                       \
    /* batches: the 12.8 forms (with failIdx) and 13.0's _v2 */                              \
    X(cuMemcpyBatchAsync, (CUdeviceptr * dsts, CUdeviceptr * srcs, size_t * sizes,            \
                           size_t count, CUmemcpyAttributes * attrs, size_t * attrsIdxs,      \
                           size_t numAttrs, size_t * failIdx, CUstream hStream),              \
      (dsts, srcs, sizes, count, attrs, attrsIdxs, numAttrs, failIdx, hStream))               \
    X(cuMemcpyBatchAsync_ptsz, (CUdeviceptr * dsts, CUdeviceptr * srcs, size_t * sizes,       \
                                size_t count, CUmemcpyAttributes * attrs, size_t * attrsIdxs, \
                                size_t numAttrs, size_t * failIdx, CUstream hStream),         \
      (dsts, srcs, sizes, count, attrs, attrsIdxs, numAttrs, failIdx, hStream))               \
    X(cuMemcpyBatchAsync_v2, (CUdeviceptr * dsts, CUdeviceptr * srcs, size_t * sizes,         \
                              size_t count, CUmemcpyAttributes * attrs, size_t * attrsIdxs,   \
                              size_t numAttrs, CUstream hStream),                             \
      (dsts, srcs, sizes, count, attrs, attrsIdxs, numAttrs, hStream))                        \
    X(cuMemcpyBatchAsync_v2_ptsz, (CUdeviceptr * dsts, CUdeviceptr * srcs, size_t * sizes,    \
                                   size_t count, CUmemcpyAttributes * attrs,                  \
                                   size_t * attrsIdxs, size_t numAttrs, CUstream hStream),    \
      (dsts, srcs, sizes, count, attrs, attrsIdxs, numAttrs, hStream))                        \
    X(cuMemcpy3DBatchAsync, (size_t numOps, CUDA_MEMCPY3D_BATCH_OP * opList, size_t * failIdx, \
                             unsigned long long flags, CUstream hStream),                     \
      (numOps, opList, failIdx, flags, hStream))                                              \
    X(cuMemcpy3DBatchAsync_ptsz, (size_t numOps, CUDA_MEMCPY3D_BATCH_OP * opList,             \
                                  size_t * failIdx, unsigned long long flags, CUstream hStream), \
      (numOps, opList, failIdx, flags, hStream))                                              \
    X(cuMemcpy3DBatchAsync_v2, (size_t numOps, CUDA_MEMCPY3D_BATCH_OP * opList,               \
                                unsigned long long flags, CUstream hStream),                  \
      (numOps, opList, flags, hStream))                                                       \
    X(cuMemcpy3DBatchAsync_v2_ptsz, (size_t numOps, CUDA_MEMCPY3D_BATCH_OP * opList,          \
                                     unsigned long long flags, CUstream hStream),             \
      (numOps, opList, flags, hStream))                                                       \
    X(cuMemsetD8_v2, (CUdeviceptr dstDevice, unsigned char uc, size_t N), (dstDevice, uc, N)) \
    X(cuMemsetD8_v2_ptds, (CUdeviceptr dstDevice, unsigned char uc, size_t N),                \
      (dstDevice, uc, N))                                                                     \
    X(cuMemsetD16_v2, (CUdeviceptr dstDevice, unsigned short us, size_t N),                   \
      (dstDevice, us, N))                                                                     \
    X(cuMemsetD16_v2_ptds, (CUdeviceptr dstDevice, unsigned short us, size_t N),              \
      (dstDevice, us, N))                                                                     \
    X(cuMemsetD32_v2, (CUdeviceptr dstDevice, unsigned int ui, size_t N), (dstDevice, ui, N)) \
    X(cuMemsetD32_v2_ptds, (CUdeviceptr dstDevice, unsigned int ui, size_t N),                \
      (dstDevice, ui, N))                                                                     \
    X(cuMemsetD2D8_v2, (CUdeviceptr dstDevice, size_t dstPitch, unsigned char uc,             \
                        size_t Width, size_t Height),                                         \
      (dstDevice, dstPitch, uc, Width, Height))                                               \
    X(cuMemsetD2D8_v2_ptds, (CUdeviceptr dstDevice, size_t dstPitch, unsigned char uc,        \
                             size_t Width, size_t Height),                                    \
      (dstDevice, dstPitch, uc, Width, Height))                                               \
    X(cuMemsetD2D16_v2, (CUdeviceptr dstDevice, size_t dstPitch, unsigned short us,           \
                         size_t Width, size_t Height),                                        \
      (dstDevice, dstPitch, us, Width, Height))                                               \
    X(cuMemsetD2D16_v2_ptds, (CUdeviceptr dstDevice, size_t dstPitch, unsigned short us,      \
                              size_t Width, size_t Height),                                   \
      (dstDevice, dstPitch, us, Width, Height))                                               \
    X(cuMemsetD2D32_v2, (CUdeviceptr dstDevice, size_t dstPitch, unsigned int ui,             \
                         size_t Width, size_t Height),                                        \
      (dstDevice, dstPitch, ui, Width, Height))                                               \
    X(cuMemsetD2D32_v2_ptds, (CUdeviceptr dstDevice, size_t dstPitch, unsigned int ui,        \
                              size_t Width, size_t Height),                                   \
      (dstDevice, dstPitch, ui, Width, Height))                                               \
    X(cuMemsetD8Async, (CUdeviceptr dstDevice, unsigned char uc, size_t N, CUstream hStream), \
      (dstDevice, uc, N, hStream))                                                            \
    X(cuMemsetD8Async_ptsz, (CUdeviceptr dstDevice, unsigned char uc, size_t N,               \
                             CUstream hStream), (dstDevice, uc, N, hStream))                  \
    X(cuMemsetD16Async, (CUdeviceptr dstDevice, unsigned short us, size_t N,                  \
                         CUstream hStream), (dstDevice, us, N, hStream))                      \
    X(cuMemsetD16Async_ptsz, (CUdeviceptr dstDevice, unsigned short us, size_t N,             \
                              CUstream hStream), (dstDevice, us, N, hStream))                 \
    X(cuMemsetD32Async, (CUdeviceptr dstDevice, unsigned int ui, size_t N, CUstream hStream), \
      (dstDevice, ui, N, hStream))                                                            \
    X(cuMemsetD32Async_ptsz, (CUdeviceptr dstDevice, unsigned int ui, size_t N,               \
                              CUstream hStream), (dstDevice, ui, N, hStream))                 \
    X(cuMemsetD2D8Async, (CUdeviceptr dstDevice, size_t dstPitch, unsigned char uc,           \
                          size_t Width, size_t Height, CUstream hStream),                     \
      (dstDevice, dstPitch, uc, Width, Height, hStream))                                      \
    X(cuMemsetD2D8Async_ptsz, (CUdeviceptr dstDevice, size_t dstPitch, unsigned char uc,      \
                               size_t Width, size_t Height, CUstream hStream),                \
      (dstDevice, dstPitch, uc, Width, Height, hStream))                                      \
    X(cuMemsetD2D16Async, (CUdeviceptr dstDevice, size_t dstPitch, unsigned short us,         \
                           size_t Width, size_t Height, CUstream hStream),                    \
      (dstDevice, dstPitch, us, Width, Height, hStream))                                      \
    X(cuMemsetD2D16Async_ptsz, (CUdeviceptr dstDevice, size_t dstPitch, unsigned short us,    \
                                size_t Width, size_t Height, CUstream hStream),               \
      (dstDevice, dstPitch, us, Width, Height, hStream))                                      \
    X(cuMemsetD2D32Async, (CUdeviceptr dstDevice, size_t dstPitch, unsigned int ui,           \
                           size_t Width, size_t Height, CUstream hStream),                    \
      (dstDevice, dstPitch, ui, Width, Height, hStream))                                      \
    X(cuMemsetD2D32Async_ptsz, (CUdeviceptr dstDevice, size_t dstPitch, unsigned int ui,      \
                                size_t Width, size_t Height, CUstream hStream),               \
      (dstDevice, dstPitch, ui, Width, Height, hStream))

/* Entry points we call but do not wrap. */
#define TESSERA_RESOLVED_FUNCS(X)                                                             \
    X(cuCtxGetDevice, (CUdevice * device))                                                    \
    X(cuCtxGetLimit, (size_t * pvalue, int limit))                                            \
    X(cuDeviceGetAttribute, (int *pi, int attrib, CUdevice dev))                              \
    X(cuDeviceGetDefaultMemPool, (CUmemoryPool * pool_out, CUdevice dev))                     \
    X(cuDeviceGetMemPool, (CUmemoryPool * pool, CUdevice dev))                                \
    X(cuMemPoolGetAttribute, (CUmemoryPool pool, int attr, void *value))                      \
    X(cuPointerGetAttribute, (void *data, int attribute, CUdeviceptr ptr))                    \
    X(cuLaunchHostFunc, (CUstream hStream, CUhostFn fn, void *userData))                      \
    X(cuLaunchHostFunc_ptsz, (CUstream hStream, CUhostFn fn, void *userData))                 \
    X(cuStreamIsCapturing, (CUstream hStream, int *captureStatus))                            \
    X(cuStreamIsCapturing_ptsz, (CUstream hStream, int *captureStatus))                       \
    X(cuStreamGetCaptureInfo_v2, (CUstream hStream, int *captureStatus_out,                  \
                                  cuuint64_t *id_out, CUgraph *graph_out,                     \
                                  const CUgraphNode **dependencies_out,                       \
                                  size_t *numDependencies_out))                               \
    X(cuStreamGetCaptureInfo_v2_ptsz, (CUstream hStream, int *captureStatus_out,             \
                                       cuuint64_t *id_out, CUgraph *graph_out,                \
                                       const CUgraphNode **dependencies_out,                  \
                                       size_t *numDependencies_out))                          \
    X(cuDeviceGetGraphMemAttribute, (CUdevice device, int attr, void *value))                 \
    X(cuEventCreate, (CUevent * phEvent, unsigned int Flags))                                 \
    X(cuEventRecord, (CUevent hEvent, CUstream hStream))                                      \
    X(cuEventRecord_ptsz, (CUevent hEvent, CUstream hStream))                                 \
    X(cuEventQuery, (CUevent hEvent))                                                         \
    X(cuEventElapsedTime, (float *pMilliseconds, CUevent hStart, CUevent hEnd))              \
    X(cuEventElapsedTime_v2, (float *pMilliseconds, CUevent hStart, CUevent hEnd))           \
    X(cuEventDestroy_v2, (CUevent hEvent))                                                   \
    /* swap (swap.c): virtual memory, pinned host memory, contexts and a private stream */    \
    X(cuMemAddressReserve, (CUdeviceptr * ptr, size_t size, size_t alignment, CUdeviceptr addr, \
                            unsigned long long flags))                                        \
    X(cuMemAddressFree, (CUdeviceptr ptr, size_t size))                                       \
    X(cuMemSetAccess, (CUdeviceptr ptr, size_t size, const CUmemAccessDesc *desc,             \
                       size_t count))                                                         \
    X(cuMemGetAllocationGranularity, (size_t * granularity, const CUmemAllocationProp *prop,  \
                                      int option))                                            \
    X(cuMemHostAlloc, (void **pp, size_t bytesize, unsigned int Flags))                       \
    X(cuMemFreeHost, (void *p))                                                               \
    X(cuCtxGetCurrent, (CUcontext * pctx))                                                    \
    X(cuCtxPushCurrent_v2, (CUcontext ctx))                                                   \
    X(cuCtxPopCurrent_v2, (CUcontext * pctx))                                                 \
    X(cuStreamCreate, (CUstream * phStream, unsigned int Flags))                              \
    X(cuStreamDestroy_v2, (CUstream hStream))

#define TESSERA_DECLARE_FN_TYPE(name, params) typedef CUresult(*name##_fn) params;
#define TESSERA_DECLARE_GATED_FN_TYPE(name, params, args) typedef CUresult(*name##_fn) params;
TESSERA_HOOKED_FUNCS(TESSERA_DECLARE_FN_TYPE)
TESSERA_GATED_FUNCS(TESSERA_DECLARE_GATED_FN_TYPE)
TESSERA_RESOLVED_FUNCS(TESSERA_DECLARE_FN_TYPE)
#undef TESSERA_DECLARE_FN_TYPE
#undef TESSERA_DECLARE_GATED_FN_TYPE

#endif
