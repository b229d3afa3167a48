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

enum {
    CUDA_SUCCESS = 0,
    CUDA_ERROR_INVALID_VALUE = 1,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_NOT_FOUND = 500,
    CUDA_ERROR_NOT_READY = 600,
    CUDA_ERROR_NOT_SUPPORTED = 801,
};

/* CUmemLocationType: only a device location is charged against a device's limit. */
#define TESSERA_CU_MEM_LOCATION_TYPE_DEVICE 1u

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
    X(cuEventDestroy_v2, (CUevent hEvent))

#define TESSERA_DECLARE_FN_TYPE(name, params) typedef CUresult(*name##_fn) params;
TESSERA_HOOKED_FUNCS(TESSERA_DECLARE_FN_TYPE)
TESSERA_RESOLVED_FUNCS(TESSERA_DECLARE_FN_TYPE)
#undef TESSERA_DECLARE_FN_TYPE

#endif
