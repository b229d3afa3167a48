/*
 * Memory the driver holds for the process beyond single allocations, charged by what the
 * driver says it holds rather than by what the application asked for:
 *
 *  - Memory pools (cuMemAllocAsync, cuMemAllocFromPoolAsync, the device's default pool and
 *    pools from cuMemPoolCreate): a pool keeps freed memory until its release threshold lets
 *    it go at a synchronisation, or cuMemPoolTrimTo - PyTorch's cudaMallocAsync back end sets
 *    the threshold to UINT64_MAX, so nothing goes back until it trims. Each pool is charged
 *    CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT, re-read after every allocation from it and after
 *    every call that can shrink it: trim, attribute change, synchronisation (stream, event,
 *    context), cuMemFree of a pool allocation. A pool's memory is charged to the pool's
 *    device (its CUmemPoolProps location, or the device whose default pool it is), never to
 *    the current context's. A cuMemFreeAsync therefore gives nothing back at enqueue: the
 *    bytes stay charged until the pool itself releases them, which is after the stream has
 *    reached the free.
 *  - Graph memory (cuGraphAddMemAllocNode, cuGraphAddNode with a memory allocation node,
 *    cuMemAllocAsync during stream capture): nothing is allocated until the graph runs, so
 *    the bytes are noted on the graph (and on its executable graphs), and a launch or upload
 *    reserves what the graph may need beyond what the device's graph memory already holds
 *    free; after it the device's graph memory is charged
 *    CU_GRAPH_MEM_ATTR_RESERVED_MEM_CURRENT, re-read after cuDeviceGraphMemTrim, executable
 *    graph destruction and synchronisation.
 *  - Context limits that set device memory aside (cuCtxSetLimit): the malloc heap and the
 *    printf FIFO are charged their size above the default, the stack its size above the
 *    default times the device's resident threads (multiprocessors x threads per
 *    multiprocessor), the device runtime's pending launch buffer what the driver's free
 *    memory dropped by when it was set.
 *
 * Driver queries made to update a charge run under that reservoir's own lock (see
 * tessera_reservoir_sync): they are attribute reads that never wait on other threads, and the
 * lock guarantees the last update is made from the freshest figure.
 */
#include "pools.h"

#include <stdlib.h>
#include <string.h>

#include "array_size.h"
#include "config.h"
#include "driver.h"
#include "hooks.h"
#include "log.h"
#include "pacing.h"
#include "swap.h"

#define REAL(name) (tessera_driver_get()->name)
#define MISSING CUDA_ERROR_NOT_SUPPORTED

/*
 * Admission reserves a pool allocation's size rounded up to 2 MiB: pools take physical memory
 * from the driver in chunks of the device's allocation granularity, 2 MiB on current GPUs
 * (cuMemGetAllocationGranularity), so a pool that grows for a small allocation grows by that.
 * A pool that grows by more (its chunks for small allocations may be larger) is charged what
 * it really took, and the container may then be over its limit by the difference until the
 * pool gives memory back; further allocations are refused meanwhile.
 */
#define POOL_GROWTH_STEP (2ull << 20)

static uint64_t round_up(uint64_t v, uint64_t step) {
    return v > UINT64_MAX - step ? UINT64_MAX : (v + step - 1) / step * step;
}

/* ---- the pool registry ----------------------------------------------------------------- */

/* Append-only: entries never move, so lookups read them without a lock (count is published
 * after the entry is written). A destroyed pool's entry is retired (pool set to NULL) once its
 * memory is given back. */
#define MAX_POOLS 256

typedef struct pool_entry {
    CUmemoryPool pool;     /* NULL: retired */
    tessera_reservoir res; /* res.device -1: not device memory (a host pool), not charged */
    uint64_t outstanding;  /* allocations from it not yet freed (atomic) */
    int destroyed;         /* cuMemPoolDestroy'ed while allocations were outstanding */
} pool_entry;

static pool_entry g_pools[MAX_POOLS];
static unsigned g_pool_count;
static pthread_mutex_t g_pools_lock = PTHREAD_MUTEX_INITIALIZER;

static pool_entry *pool_find(CUmemoryPool pool) {
    unsigned n = __atomic_load_n(&g_pool_count, __ATOMIC_ACQUIRE);
    for (unsigned i = 0; i < n; i++) {
        if (__atomic_load_n(&g_pools[i].pool, __ATOMIC_ACQUIRE) == pool) return &g_pools[i];
    }
    return NULL;
}

/* The device whose default pool `pool` is, else -2 (unknown). */
static int default_pool_device(CUmemoryPool pool) {
    cuDeviceGetDefaultMemPool_fn get = REAL(cuDeviceGetDefaultMemPool);
    for (int d = 0; get != NULL && d < tessera_device_count(); d++) {
        CUmemoryPool p = NULL;
        if (get(&p, d) == CUDA_SUCCESS && p == pool) return d;
    }
    return -2;
}

/* `device`: -1 host memory (never charged); -2 unknown (the device whose default pool it is,
 * else the current device). NULL when the registry is full: that pool's allocations are then
 * charged one by one, as before pools were tracked. */
static pool_entry *pool_register(CUmemoryPool pool, int device) {
    if (pool == NULL) return NULL;
    pool_entry *e = pool_find(pool);
    if (e != NULL) return e;
    if (device == -2) device = default_pool_device(pool);
    if (device == -2) {
        CUdevice cur = 0;
        device = tessera_current_device(&cur) == 0 ? cur : 0;
        tessera_log(TESSERA_LOG_DEBUG, "pool %p is neither created here nor a default pool; "
                    "charged to the current device %d", (void *)pool, device);
    }
    pthread_mutex_lock(&g_pools_lock);
    e = pool_find(pool);
    if (e == NULL && g_pool_count < MAX_POOLS) {
        e = &g_pools[g_pool_count];
        memset(e, 0, sizeof *e);
        pthread_mutex_init(&e->res.lock, NULL);
        e->res.device = device;
        e->pool = pool;
        __atomic_store_n(&g_pool_count, g_pool_count + 1, __ATOMIC_RELEASE);
    } else if (e == NULL) {
        static int logged;
        if (!__atomic_exchange_n(&logged, 1, __ATOMIC_RELAXED))
            tessera_log(TESSERA_LOG_WARN, "more than %d memory pools: allocations from the "
                        "others are charged one by one, not by what the pool holds", MAX_POOLS);
    }
    pthread_mutex_unlock(&g_pools_lock);
    return e;
}

static int query_pool(void *arg, uint64_t *bytes) {
    cuMemPoolGetAttribute_fn get = REAL(cuMemPoolGetAttribute);
    pool_entry *e = arg;
    cuuint64_t v = 0;
    CUmemoryPool pool = __atomic_load_n(&e->pool, __ATOMIC_ACQUIRE);
    if (get == NULL || pool == NULL ||
        get(pool, TESSERA_CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT, &v) != CUDA_SUCCESS)
        return 0;
    *bytes = v;
    return 1;
}

static void pool_sync(pool_entry *e, uint64_t pending) {
    if (e->res.device >= 0) tessera_reservoir_sync(&e->res, query_pool, e, pending);
}

/* Its driver object is gone: everything it was charged goes back, and the entry retires. */
static void pool_retire(pool_entry *e) {
    pthread_mutex_lock(&e->res.lock);
    tessera_uncharge(e->res.device, e->res.charged);
    e->res.charged = 0;
    __atomic_store_n(&e->pool, NULL, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&e->res.lock);
}

/* Free bytes the pool holds (reserved - used), or 0 if unknown. */
static uint64_t pool_headroom(CUmemoryPool pool) {
    cuMemPoolGetAttribute_fn get = REAL(cuMemPoolGetAttribute);
    cuuint64_t reserved = 0, used = 0;
    if (get == NULL || pool == NULL ||
        get(pool, TESSERA_CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT, &reserved) != CUDA_SUCCESS ||
        get(pool, TESSERA_CU_MEMPOOL_ATTR_USED_MEM_CURRENT, &used) != CUDA_SUCCESS)
        return 0;
    return reserved > used ? reserved - used : 0;
}

/* ---- graph memory, per device ------------------------------------------------------------ */

static tessera_reservoir g_graph_mem[TESSERA_MAX_DEVICES];
static pthread_once_t g_graph_once = PTHREAD_ONCE_INIT;

static void graph_init(void) {
    for (int d = 0; d < TESSERA_MAX_DEVICES; d++) {
        pthread_mutex_init(&g_graph_mem[d].lock, NULL);
        g_graph_mem[d].device = d;
    }
}

static tessera_reservoir *graph_mem(int device) {
    pthread_once(&g_graph_once, graph_init);
    return &g_graph_mem[device];
}

static int graph_attr(int device, int attr, uint64_t *bytes) {
    cuDeviceGetGraphMemAttribute_fn get = REAL(cuDeviceGetGraphMemAttribute);
    cuuint64_t v = 0;
    if (get == NULL || get(device, attr, &v) != CUDA_SUCCESS) return 0;
    *bytes = v;
    return 1;
}

static int query_graph(void *arg, uint64_t *bytes) {
    return graph_attr((int)(intptr_t)arg, TESSERA_CU_GRAPH_MEM_ATTR_RESERVED_MEM_CURRENT, bytes);
}

static void graph_sync(int device, uint64_t pending) {
    tessera_reservoir_sync(graph_mem(device), query_graph, (void *)(intptr_t)device, pending);
}

/*
 * Table keys for what a graph (or executable graph) allocates on a device: the handle with
 * the device in the top byte, and a summary key (top byte 0xff) present when it has any, so
 * a launch of a graph without memory nodes costs one lookup. User-space handles leave the top
 * byte clear.
 */
#define SUMMARY_DEVICE 0xff

static uint64_t graph_key(const void *handle, int device) {
    return (uint64_t)(uintptr_t)handle ^ ((uint64_t)(unsigned)device << 56);
}

static void graph_note(CUgraph graph, int device, uint64_t bytes) {
    if (graph == NULL || device < 0 || device >= tessera_device_count() || bytes == 0) return;
    tessera_ptr_add_size(graph_key(graph, device), TESSERA_KIND_GRAPH, device, bytes);
    tessera_ptr_add_size(graph_key(graph, SUMMARY_DEVICE), TESSERA_KIND_GRAPH, -1, bytes);
}

/* Copies a graph's notes to another handle (a clone, or an executable graph). */
static void graph_copy(const void *from, int from_kind, const void *to, int to_kind) {
    tessera_alloc a;
    if (!tessera_ptr_get(graph_key(from, SUMMARY_DEVICE), from_kind, &a)) return;
    for (int d = 0; d < tessera_device_count(); d++) {
        if (tessera_ptr_get(graph_key(from, d), from_kind, &a))
            tessera_ptr_add_size(graph_key(to, d), to_kind, d, a.size);
    }
    if (tessera_ptr_get(graph_key(from, SUMMARY_DEVICE), from_kind, &a))
        tessera_ptr_add_size(graph_key(to, SUMMARY_DEVICE), to_kind, -1, a.size);
}

static void graph_forget(const void *handle, int kind) {
    tessera_alloc a;
    if (!tessera_ptr_remove(graph_key(handle, SUMMARY_DEVICE), kind, &a)) return;
    for (int d = 0; d < tessera_device_count(); d++)
        (void)tessera_ptr_remove(graph_key(handle, d), kind, &a);
}

/* ---- stream-ordered allocation ----------------------------------------------------------- */

/* The graph `stream` is capturing into, or NULL. */
static CUgraph capture_graph(CUstream stream, int ptsz) {
    cuStreamIsCapturing_fn is = ptsz ? REAL(cuStreamIsCapturing_ptsz) : REAL(cuStreamIsCapturing);
    cuStreamGetCaptureInfo_v2_fn info =
        ptsz ? REAL(cuStreamGetCaptureInfo_v2_ptsz) : REAL(cuStreamGetCaptureInfo_v2);
    int status = 0;
    if (is == NULL || is(stream, &status) != CUDA_SUCCESS ||
        status != TESSERA_CU_STREAM_CAPTURE_STATUS_ACTIVE)
        return NULL;
    CUgraph graph = NULL;
    if (info == NULL || info(stream, &status, NULL, &graph, NULL, NULL) != CUDA_SUCCESS)
        return NULL;
    return graph;
}

CUresult tessera_pool_admit(tessera_pool_ticket *pt, CUmemoryPool pool, CUstream stream,
                            int ptsz, uint64_t bytes) {
    memset(pt, 0, sizeof *pt);
    pt->device = -1;
    pt->bytes = bytes;
    if (bytes == 0 || !tessera_enforcing()) return CUDA_SUCCESS;
    CUdevice cur = 0;
    int have_cur = tessera_current_device(&cur) == 0;
    if (pool != NULL) {
        pt->entry = pool_register(pool, -2);
        pt->device = pt->entry != NULL ? pt->entry->res.device : (have_cur ? cur : -1);
    } else {
        pt->device = have_cur ? cur : -1; /* confirmed from the pointer afterwards */
    }
    pt->graph = capture_graph(stream, ptsz);
    if (pt->graph != NULL) {
        pt->capturing = 1; /* a node of the graph: charged when it runs */
        return CUDA_SUCCESS;
    }
    if (pt->device < 0) return CUDA_SUCCESS; /* a host pool, or no context: the driver says */
    uint64_t want = round_up(bytes, POOL_GROWTH_STEP);
    if (tessera_try_admit_device(&pt->t, pt->device, want) == CUDA_SUCCESS) return CUDA_SUCCESS;
    /* Charges may be stale (a synchronisation we did not see let a pool give memory back). */
    tessera_pools_refresh();
    if (tessera_try_admit_device(&pt->t, pt->device, want) == CUDA_SUCCESS) return CUDA_SUCCESS;
    /* No room under the limit, but the pool may already hold enough free memory: that is
     * charged already, and taking it costs nothing more. */
    CUmemoryPool p = pool;
    if (p == NULL && REAL(cuDeviceGetMemPool) != NULL) REAL(cuDeviceGetMemPool)(&p, pt->device);
    if (pool_headroom(p) >= bytes) return CUDA_SUCCESS;
    tessera_count_refusal(pt->device, bytes);
    return CUDA_ERROR_OUT_OF_MEMORY;
}

void tessera_pool_settle(tessera_pool_ticket *pt, CUresult rc, CUdeviceptr ptr) {
    if (pt->capturing) {
        if (rc == CUDA_SUCCESS) graph_note(pt->graph, pt->device, pt->bytes);
        return;
    }
    if (pt->device < 0) return;
    if (rc != CUDA_SUCCESS || ptr == 0) {
        tessera_ticket_drop(&pt->t);
        return;
    }
    pool_entry *e = pt->entry;
    if (e == NULL) {
        CUmemoryPool pool = NULL;
        cuPointerGetAttribute_fn attr = REAL(cuPointerGetAttribute);
        if (attr != NULL) attr(&pool, TESSERA_CU_POINTER_ATTRIBUTE_MEMPOOL_HANDLE, ptr);
        e = pool_register(pool, -2);
    }
    tessera_alloc a = {.size = pt->bytes, .device = pt->device, .kind = TESSERA_KIND_DPTR};
    if (e == NULL) {
        /* Not a pool we can read: charged one by one, like cuMemAlloc. */
        a.size = pt->t.bytes;
        if (pt->t.dev == NULL) a.size = 0;
    } else {
        uint64_t pending = pt->t.dev != NULL ? pt->t.bytes : 0;
        if (pending != 0 && e->res.device != pt->device) {
            tessera_ticket_drop(&pt->t); /* reserved on the wrong device: the pool's decides */
            pending = 0;
        }
        a.link = (uint64_t)(uintptr_t)e->pool;
        a.device = e->res.device;
        __atomic_add_fetch(&e->outstanding, 1, __ATOMIC_ACQ_REL);
        pool_sync(e, pending);
    }
    tessera_alloc stale;
    if (tessera_ptr_insert(ptr, &a, &stale) && stale.link == 0)
        tessera_uncharge(stale.device, stale.size);
}

void tessera_pool_freed(const tessera_alloc *a, int sync) {
    pool_entry *e = pool_find((CUmemoryPool)(uintptr_t)a->link);
    if (e == NULL) return;
    uint64_t left = __atomic_sub_fetch(&e->outstanding, 1, __ATOMIC_ACQ_REL);
    if (__atomic_load_n(&e->destroyed, __ATOMIC_ACQUIRE) && left == 0) pool_retire(e);
    else if (sync) pool_sync(e, 0);
}

void tessera_pools_refresh(void) {
    unsigned n = __atomic_load_n(&g_pool_count, __ATOMIC_ACQUIRE);
    for (unsigned i = 0; i < n; i++) {
        pool_entry *e = &g_pools[i];
        if (__atomic_load_n(&e->pool, __ATOMIC_ACQUIRE) != NULL && !e->destroyed) pool_sync(e, 0);
    }
    for (int d = 0; d < tessera_device_count(); d++) {
        if (__atomic_load_n(&graph_mem(d)->charged, __ATOMIC_RELAXED) != 0) graph_sync(d, 0);
    }
}

/* ---- releases at stream order ------------------------------------------------------------ */

typedef struct later_release {
    int device;
    uint64_t bytes;
} later_release;

static void release_now(void *arg) {
    later_release *r = arg;
    tessera_uncharge(r->device, r->bytes);
    free(r);
}

void tessera_release_at_stream(CUstream stream, int ptsz, int device, uint64_t bytes) {
    cuLaunchHostFunc_fn launch = ptsz ? REAL(cuLaunchHostFunc_ptsz) : REAL(cuLaunchHostFunc);
    later_release *r = malloc(sizeof *r);
    if (r == NULL) {
        tessera_uncharge(device, bytes);
        return;
    }
    r->device = device;
    r->bytes = bytes;
    if (launch == NULL || launch(stream, release_now, r) != CUDA_SUCCESS) release_now(r);
}

/* ---- pool entry points ------------------------------------------------------------------- */

CUresult cuMemPoolCreate(CUmemoryPool *pool, const CUmemPoolProps *poolProps) {
    cuMemPoolCreate_fn real = REAL(cuMemPoolCreate);
    if (real == NULL) return MISSING;
    CUresult rc = real(pool, poolProps);
    if (rc != CUDA_SUCCESS || !tessera_enforcing() || poolProps == NULL) return rc;
    int device = poolProps->location.type == TESSERA_CU_MEM_LOCATION_TYPE_DEVICE
                     ? poolProps->location.id : -1;
    pool_entry *e = pool_register(*pool, device);
    if (e != NULL) pool_sync(e, 0);
    return rc;
}

CUresult cuMemPoolDestroy(CUmemoryPool pool) {
    cuMemPoolDestroy_fn real = REAL(cuMemPoolDestroy);
    if (real == NULL) return MISSING;
    /* Read what it holds while it can still be asked. */
    pool_entry *e = tessera_enforcing() ? pool_find(pool) : NULL;
    if (e != NULL) pool_sync(e, 0);
    CUresult rc = real(pool);
    if (rc != CUDA_SUCCESS || e == NULL) return rc;
    /* The driver frees the pool once its outstanding allocations are freed. */
    __atomic_store_n(&e->destroyed, 1, __ATOMIC_RELEASE);
    if (__atomic_load_n(&e->outstanding, __ATOMIC_ACQUIRE) == 0) pool_retire(e);
    return rc;
}

CUresult cuMemPoolTrimTo(CUmemoryPool pool, size_t minBytesToKeep) {
    cuMemPoolTrimTo_fn real = REAL(cuMemPoolTrimTo);
    if (real == NULL) return MISSING;
    CUresult rc = real(pool, minBytesToKeep);
    pool_entry *e = rc == CUDA_SUCCESS && tessera_enforcing() ? pool_register(pool, -2) : NULL;
    if (e != NULL) pool_sync(e, 0);
    return rc;
}

/* A release threshold takes effect at the next synchronisation, where it is read again. */
CUresult cuMemPoolSetAttribute(CUmemoryPool pool, int attr, void *value) {
    cuMemPoolSetAttribute_fn real = REAL(cuMemPoolSetAttribute);
    if (real == NULL) return MISSING;
    CUresult rc = real(pool, attr, value);
    pool_entry *e = rc == CUDA_SUCCESS && tessera_enforcing() ? pool_register(pool, -2) : NULL;
    if (e != NULL) pool_sync(e, 0);
    return rc;
}

/* The pool serves cuMemAllocAsync on `dev` from now on; it is charged to its own device. */
CUresult cuDeviceSetMemPool(CUdevice dev, CUmemoryPool pool) {
    cuDeviceSetMemPool_fn real = REAL(cuDeviceSetMemPool);
    if (real == NULL) return MISSING;
    CUresult rc = real(dev, pool);
    pool_entry *e = rc == CUDA_SUCCESS && tessera_enforcing() ? pool_register(pool, -2) : NULL;
    if (e != NULL) pool_sync(e, 0);
    return rc;
}

/* ---- synchronisation: where pools release memory beyond their threshold ------------------ */

static CUresult synced(CUresult rc) {
    if (rc == CUDA_SUCCESS && tessera_enforcing()) tessera_pools_refresh();
    return rc;
}

/* Synchronisations are gated for swap too (swap.h): a process that waits for its GPU work is
 * about to use what it computed. */
CUresult cuCtxSynchronize(void) {
    cuCtxSynchronize_fn real = REAL(cuCtxSynchronize);
    if (real == NULL) return MISSING;
    TESSERA_GATED_RETURN(synced(real()));
}

CUresult cuCtxSynchronize_v2(CUcontext ctx) {
    cuCtxSynchronize_v2_fn real = REAL(cuCtxSynchronize_v2);
    if (real == NULL) return MISSING;
    TESSERA_GATED_RETURN(synced(real(ctx)));
}

CUresult cuStreamSynchronize(CUstream hStream) {
    cuStreamSynchronize_fn real = REAL(cuStreamSynchronize);
    if (real == NULL) return MISSING;
    TESSERA_GATED_RETURN(synced(real(hStream)));
}

CUresult cuStreamSynchronize_ptsz(CUstream hStream) {
    cuStreamSynchronize_ptsz_fn real = REAL(cuStreamSynchronize_ptsz);
    if (real == NULL) return MISSING;
    TESSERA_GATED_RETURN(synced(real(hStream)));
}

CUresult cuEventSynchronize(CUevent hEvent) {
    cuEventSynchronize_fn real = REAL(cuEventSynchronize);
    if (real == NULL) return MISSING;
    TESSERA_GATED_RETURN(synced(real(hEvent)));
}

/* ---- graph memory nodes ------------------------------------------------------------------ */

static int alloc_node_device(const CUDA_MEM_ALLOC_NODE_PARAMS *p) {
    return p != NULL && p->poolProps.location.type == TESSERA_CU_MEM_LOCATION_TYPE_DEVICE
               ? p->poolProps.location.id : -1;
}

CUresult cuGraphAddMemAllocNode(CUgraphNode *phGraphNode, CUgraph hGraph,
                                const CUgraphNode *dependencies, size_t numDependencies,
                                CUDA_MEM_ALLOC_NODE_PARAMS *nodeParams) {
    cuGraphAddMemAllocNode_fn real = REAL(cuGraphAddMemAllocNode);
    if (real == NULL) return MISSING;
    CUresult rc = real(phGraphNode, hGraph, dependencies, numDependencies, nodeParams);
    if (rc == CUDA_SUCCESS && tessera_enforcing())
        graph_note(hGraph, alloc_node_device(nodeParams), nodeParams->bytesize);
    return rc;
}

static void note_node(CUgraph graph, const CUgraphNodeParams *p) {
    if (p != NULL && p->type == TESSERA_CU_GRAPH_NODE_TYPE_MEM_ALLOC && tessera_enforcing())
        graph_note(graph, alloc_node_device(&p->alloc), p->alloc.bytesize);
}

CUresult cuGraphAddNode(CUgraphNode *phGraphNode, CUgraph hGraph, const CUgraphNode *dependencies,
                        size_t numDependencies, CUgraphNodeParams *nodeParams) {
    cuGraphAddNode_fn real = REAL(cuGraphAddNode);
    if (real == NULL) return MISSING;
    CUresult rc = real(phGraphNode, hGraph, dependencies, numDependencies, nodeParams);
    if (rc == CUDA_SUCCESS) note_node(hGraph, nodeParams);
    return rc;
}

CUresult cuGraphAddNode_v2(CUgraphNode *phGraphNode, CUgraph hGraph,
                           const CUgraphNode *dependencies, const void *dependencyData,
                           size_t numDependencies, CUgraphNodeParams *nodeParams) {
    cuGraphAddNode_v2_fn real = REAL(cuGraphAddNode_v2);
    if (real == NULL) return MISSING;
    CUresult rc = real(phGraphNode, hGraph, dependencies, dependencyData, numDependencies,
                       nodeParams);
    if (rc == CUDA_SUCCESS) note_node(hGraph, nodeParams);
    return rc;
}

CUresult cuGraphClone(CUgraph *phGraphClone, CUgraph originalGraph) {
    cuGraphClone_fn real = REAL(cuGraphClone);
    if (real == NULL) return MISSING;
    CUresult rc = real(phGraphClone, originalGraph);
    if (rc == CUDA_SUCCESS && tessera_enforcing())
        graph_copy(originalGraph, TESSERA_KIND_GRAPH, *phGraphClone, TESSERA_KIND_GRAPH);
    return rc;
}

CUresult cuGraphDestroy(CUgraph hGraph) {
    cuGraphDestroy_fn real = REAL(cuGraphDestroy);
    if (real == NULL) return MISSING;
    CUresult rc = real(hGraph);
    if (rc == CUDA_SUCCESS && tessera_enforcing()) graph_forget(hGraph, TESSERA_KIND_GRAPH);
    return rc;
}

static CUresult instantiated(CUresult rc, CUgraphExec *exec, CUgraph graph) {
    if (rc == CUDA_SUCCESS && exec != NULL && tessera_enforcing())
        graph_copy(graph, TESSERA_KIND_GRAPH, *exec, TESSERA_KIND_EXEC);
    return rc;
}

CUresult cuGraphInstantiate(CUgraphExec *phGraphExec, CUgraph hGraph, CUgraphNode *phErrorNode,
                            char *logBuffer, size_t bufferSize) {
    cuGraphInstantiate_fn real = REAL(cuGraphInstantiate);
    if (real == NULL) return MISSING;
    return instantiated(real(phGraphExec, hGraph, phErrorNode, logBuffer, bufferSize),
                        phGraphExec, hGraph);
}

CUresult cuGraphInstantiate_v2(CUgraphExec *phGraphExec, CUgraph hGraph, CUgraphNode *phErrorNode,
                               char *logBuffer, size_t bufferSize) {
    cuGraphInstantiate_v2_fn real = REAL(cuGraphInstantiate_v2);
    if (real == NULL) return MISSING;
    return instantiated(real(phGraphExec, hGraph, phErrorNode, logBuffer, bufferSize),
                        phGraphExec, hGraph);
}

CUresult cuGraphInstantiateWithFlags(CUgraphExec *phGraphExec, CUgraph hGraph,
                                     unsigned long long flags) {
    cuGraphInstantiateWithFlags_fn real = REAL(cuGraphInstantiateWithFlags);
    if (real == NULL) return MISSING;
    return instantiated(real(phGraphExec, hGraph, flags), phGraphExec, hGraph);
}

CUresult cuGraphInstantiateWithParams(CUgraphExec *phGraphExec, CUgraph hGraph,
                                      void *instantiateParams) {
    cuGraphInstantiateWithParams_fn real = REAL(cuGraphInstantiateWithParams);
    if (real == NULL) return MISSING;
    return instantiated(real(phGraphExec, hGraph, instantiateParams), phGraphExec, hGraph);
}

CUresult cuGraphInstantiateWithParams_ptsz(CUgraphExec *phGraphExec, CUgraph hGraph,
                                           void *instantiateParams) {
    cuGraphInstantiateWithParams_ptsz_fn real = REAL(cuGraphInstantiateWithParams_ptsz);
    if (real == NULL) return MISSING;
    return instantiated(real(phGraphExec, hGraph, instantiateParams), phGraphExec, hGraph);
}

/* Graph memory that outlives the executable graph stays reserved (and charged) until it is
 * freed and trimmed; the charge is re-read now. */
CUresult cuGraphExecDestroy(CUgraphExec hGraphExec) {
    cuGraphExecDestroy_fn real = REAL(cuGraphExecDestroy);
    if (real == NULL) return MISSING;
    CUresult rc = real(hGraphExec);
    if (rc == CUDA_SUCCESS && tessera_enforcing()) {
        graph_forget(hGraphExec, TESSERA_KIND_EXEC);
        tessera_pools_refresh();
    }
    return rc;
}

/*
 * A launch (or upload) maps the graph's allocations to physical memory from the device's
 * graph memory: reserve what the graph may need beyond what that holds free, refuse the
 * launch with CUDA_ERROR_OUT_OF_MEMORY (as the driver does when it cannot map them) if that
 * does not fit, and charge the device's graph memory what it holds afterwards.
 */
typedef CUresult (*graph_run_fn)(CUgraphExec exec, CUstream stream);

/* A launch (not an upload) is paced like a kernel: the graph's GPU time is measured whole. */
static CUresult paced(graph_run_fn real, CUgraphExec exec, CUstream stream, int launch,
                      int ptsz) {
    tessera_launch l;
    if (!launch || !tessera_pace_begin(&l, (uint64_t)(uintptr_t)exec, stream, ptsz))
        return real(exec, stream);
    CUresult rc = real(exec, stream);
    tessera_pace_end(&l, rc);
    return rc;
}

static CUresult run_graph_resident(graph_run_fn real, CUgraphExec exec, CUstream stream,
                                   int launch, int ptsz);

/* A graph's kernels and copies use device memory: swapped-out memory comes back first. */
static CUresult run_graph(graph_run_fn real, CUgraphExec exec, CUstream stream, int launch,
                          int ptsz) {
    if (real == NULL) return MISSING;
    TESSERA_GATED_RETURN(run_graph_resident(real, exec, stream, launch, ptsz));
}

static CUresult run_graph_resident(graph_run_fn real, CUgraphExec exec, CUstream stream,
                                   int launch, int ptsz) {
    tessera_alloc a;
    if (!tessera_enforcing() || !tessera_ptr_get(graph_key(exec, SUMMARY_DEVICE),
                                                 TESSERA_KIND_EXEC, &a))
        return paced(real, exec, stream, launch, ptsz);
    int n = tessera_device_count();
    tessera_ticket tickets[TESSERA_MAX_DEVICES];
    CUresult rc = CUDA_SUCCESS;
    int refused = -1;
    uint64_t refused_bytes = 0;
    for (int d = 0; d < n; d++) {
        tickets[d].dev = NULL;
        tickets[d].bytes = 0;
        if (rc != CUDA_SUCCESS || !tessera_ptr_get(graph_key(exec, d), TESSERA_KIND_EXEC, &a))
            continue;
        uint64_t reserved = 0, used = 0;
        graph_attr(d, TESSERA_CU_GRAPH_MEM_ATTR_RESERVED_MEM_CURRENT, &reserved);
        graph_attr(d, TESSERA_CU_GRAPH_MEM_ATTR_USED_MEM_CURRENT, &used);
        uint64_t spare = reserved > used ? reserved - used : 0;
        uint64_t need = a.size > spare ? a.size - spare : 0;
        rc = tessera_try_admit_device(&tickets[d], d, need);
        if (rc != CUDA_SUCCESS) {
            tessera_pools_refresh();
            rc = tessera_try_admit_device(&tickets[d], d, need);
        }
        if (rc != CUDA_SUCCESS) {
            refused = d;
            refused_bytes = need;
        }
    }
    if (rc == CUDA_SUCCESS) rc = paced(real, exec, stream, launch, ptsz);
    for (int d = 0; d < n; d++) {
        if (!tessera_ptr_get(graph_key(exec, d), TESSERA_KIND_EXEC, &a)) continue;
        uint64_t pending = tickets[d].dev != NULL ? tickets[d].bytes : 0;
        graph_sync(d, pending);
    }
    if (refused >= 0) {
        tessera_count_refusal(refused, refused_bytes);
        tessera_log(TESSERA_LOG_INFO, "gpu %d: graph launch refused: its memory nodes need %llu "
                    "bytes more than the limit leaves", refused,
                    (unsigned long long)refused_bytes);
    }
    return rc;
}

CUresult cuGraphLaunch(CUgraphExec hGraphExec, CUstream hStream) {
    return run_graph(REAL(cuGraphLaunch), hGraphExec, hStream, 1, 0);
}

CUresult cuGraphLaunch_ptsz(CUgraphExec hGraphExec, CUstream hStream) {
    return run_graph(REAL(cuGraphLaunch_ptsz), hGraphExec, hStream, 1, 1);
}

CUresult cuGraphUpload(CUgraphExec hGraphExec, CUstream hStream) {
    return run_graph(REAL(cuGraphUpload), hGraphExec, hStream, 0, 0);
}

CUresult cuGraphUpload_ptsz(CUgraphExec hGraphExec, CUstream hStream) {
    return run_graph(REAL(cuGraphUpload_ptsz), hGraphExec, hStream, 0, 1);
}

CUresult cuDeviceGraphMemTrim(CUdevice device) {
    cuDeviceGraphMemTrim_fn real = REAL(cuDeviceGraphMemTrim);
    if (real == NULL) return MISSING;
    CUresult rc = real(device);
    if (rc == CUDA_SUCCESS && device >= 0 && device < tessera_device_count()) graph_sync(device, 0);
    return rc;
}

/* ---- context limits that set device memory aside ----------------------------------------- */

/* What each limit has been charged above its default, per device (the runtime's primary
 * context: one context per device is assumed). */
#define LIMITS_FOLLOWED (TESSERA_CU_LIMIT_DEV_RUNTIME_PENDING_LAUNCH_COUNT + 1)
static uint64_t g_limit_charged[TESSERA_MAX_DEVICES][LIMITS_FOLLOWED];
static pthread_mutex_t g_limit_lock = PTHREAD_MUTEX_INITIALIZER;

static int charged_limit(int limit) {
    return limit == TESSERA_CU_LIMIT_STACK_SIZE || limit == TESSERA_CU_LIMIT_PRINTF_FIFO_SIZE ||
           limit == TESSERA_CU_LIMIT_MALLOC_HEAP_SIZE ||
           limit == TESSERA_CU_LIMIT_DEV_RUNTIME_PENDING_LAUNCH_COUNT;
}

/* Bytes one unit of the limit sets aside: 1 for byte sizes, the resident threads for the
 * per-thread stack. */
static uint64_t limit_unit(int limit, int device) {
    if (limit != TESSERA_CU_LIMIT_STACK_SIZE) return 1;
    cuDeviceGetAttribute_fn attr = REAL(cuDeviceGetAttribute);
    int sms = 0, threads = 0;
    if (attr == NULL ||
        attr(&sms, TESSERA_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device) != CUDA_SUCCESS ||
        attr(&threads, TESSERA_CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR, device) !=
            CUDA_SUCCESS)
        return 0;
    return (uint64_t)(sms > 0 ? sms : 0) * (uint64_t)(threads > 0 ? threads : 0);
}

static uint64_t driver_free(void) {
    size_t free_bytes = 0, total = 0;
    cuMemGetInfo_v2_fn info = REAL(cuMemGetInfo_v2);
    return info != NULL && info(&free_bytes, &total) == CUDA_SUCCESS ? free_bytes : 0;
}

static void limit_account(int device, int limit, int64_t delta) {
    pthread_mutex_lock(&g_limit_lock);
    uint64_t *charged = &g_limit_charged[device][limit];
    if (delta > 0) {
        *charged += (uint64_t)delta;
    } else {
        uint64_t back = (uint64_t)-delta > *charged ? *charged : (uint64_t)-delta;
        *charged -= back;
        tessera_uncharge(device, back);
    }
    pthread_mutex_unlock(&g_limit_lock);
}

CUresult cuCtxSetLimit(int limit, size_t value) {
    cuCtxSetLimit_fn real = REAL(cuCtxSetLimit);
    cuCtxGetLimit_fn get = REAL(cuCtxGetLimit);
    if (real == NULL) return MISSING;
    CUdevice device;
    size_t before = 0, after = 0;
    if (!charged_limit(limit) || !tessera_enforcing() || get == NULL ||
        tessera_current_device(&device) != 0 || device < 0 || device >= tessera_device_count() ||
        get(&before, limit) != CUDA_SUCCESS)
        return real(limit, value);
    int measured = limit == TESSERA_CU_LIMIT_DEV_RUNTIME_PENDING_LAUNCH_COUNT;
    uint64_t unit = limit_unit(limit, device);
    uint64_t want = !measured && value > before ? tessera_mul_sat(value - before, unit) : 0;
    if (!tessera_charge_try(device, want)) {
        tessera_count_refusal(device, want);
        tessera_log(TESSERA_LOG_WARN, "gpu %d: cuCtxSetLimit(%d, %zu) refused: it sets %llu bytes "
                    "of device memory aside, beyond the container's limit", device, limit, value,
                    (unsigned long long)want);
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    uint64_t free_before = measured ? driver_free() : 0;
    CUresult rc = real(limit, value);
    if (rc != CUDA_SUCCESS || get(&after, limit) != CUDA_SUCCESS) {
        tessera_uncharge(device, want);
        return rc;
    }
    int64_t delta;
    if (measured) {
        uint64_t free_after = driver_free();
        delta = free_before > free_after ? (int64_t)(free_before - free_after) : 0;
        if (after < before) delta = -(int64_t)UINT64_C(0x7fffffffffffffff); /* all of it back */
        if (delta > 0 && !tessera_charge_try(device, (uint64_t)delta)) {
            real(limit, before); /* put it back: the memory is not the container's to take */
            tessera_count_refusal(device, (uint64_t)delta);
            tessera_log(TESSERA_LOG_WARN, "gpu %d: cuCtxSetLimit(%d, %zu) refused: it set %lld "
                        "bytes of device memory aside, beyond the container's limit", device,
                        limit, value, (long long)delta);
            return CUDA_ERROR_OUT_OF_MEMORY;
        }
    } else {
        /* The driver may round the value: charge what it set, not what was asked. */
        uint64_t real_bytes = after > before ? tessera_mul_sat(after - before, unit) : 0;
        if (real_bytes > want) tessera_charge_force(device, real_bytes - want);
        else tessera_uncharge(device, want - real_bytes);
        delta = after >= before ? (int64_t)real_bytes
                                : -(int64_t)tessera_mul_sat(before - after, unit);
    }
    limit_account(device, limit, delta);
    return rc;
}

void tessera_pools_reset_after_fork(void) {
    pthread_mutex_init(&g_pools_lock, NULL);
    pthread_mutex_init(&g_limit_lock, NULL);
    __atomic_store_n(&g_pool_count, 0, __ATOMIC_RELEASE);
    memset(g_limit_charged, 0, sizeof g_limit_charged);
    for (int d = 0; d < TESSERA_MAX_DEVICES; d++) {
        pthread_mutex_init(&g_graph_mem[d].lock, NULL);
        g_graph_mem[d].charged = 0;
        g_graph_mem[d].device = d;
    }
}
