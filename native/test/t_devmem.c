/*
 * Device memory the driver holds beyond single allocations, one case per path (run_tests.sh
 * runs each as its own check): t_devmem <case>. The stub models what the driver does - pools
 * that keep freed memory, frees that happen when the stream reaches them, physical memory
 * that lives while mapped, graph memory mapped at launch, limits that set memory aside - and
 * each case checks the library charges what the "driver" holds, when it holds it.
 * Env as for t_link: device 0 limited to L (64 MiB), device 1 above the stub's 1 GiB.
 */
#include <string.h>
#include <unistd.h>

#include "stub_cuda.h"
#include "tcheck.h"
#include "usage_view.h"

#define MiB (1024ull * 1024ull)

static uint64_t L;

/* What the library counts on the current device (cuMemGetInfo brings pools up to date). */
static uint64_t used(void) {
    size_t f = 0, t = 0;
    CHECK_RC(cuMemGetInfo_v2(&f, &t), CUDA_SUCCESS);
    return t - f;
}

/* The container's total on `device`, as the node agent reads it. */
static uint64_t file_total(int device) {
    const tessera_usage_header *h = usage_map(device);
    uint64_t v = h != NULL ? usage_total(h) : UINT64_MAX;
    if (h != NULL) munmap((void *)h, TESSERA_USAGE_FILE_SIZE);
    return v;
}

static uint64_t ooms(void) {
    const tessera_usage_header *h = usage_map(0);
    const tessera_usage_slot *s = h ? usage_slot_of(h, getpid()) : NULL;
    uint64_t v = s ? __atomic_load_n(&s->oom_count, __ATOMIC_ACQUIRE) : UINT64_MAX;
    if (h != NULL) munmap((void *)h, TESSERA_USAGE_FILE_SIZE);
    return v;
}

static void expect_clean(const char *where) {
    CHECK_EQ_U64(used(), 0, where);
    CHECK_EQ_U64(tstub_used(0), 0, where);
    CHECK_EQ_U64(file_total(0), 0, where);
}

/* ---- pools ------------------------------------------------------------------------------ */

/* PyTorch's cudaMallocAsync back end: release threshold UINT64_MAX, so the pool keeps what is
 * freed into it until trimmed - and it stays counted until then. */
static void case_pool_threshold(void) {
    CUmemoryPool pool = NULL;
    cuuint64_t keep_all = UINT64_MAX;
    CUdeviceptr p = 0, q = 0, big = 0;
    CHECK_RC(cuDeviceGetDefaultMemPool(&pool, 0), CUDA_SUCCESS);
    CHECK_RC(cuMemPoolSetAttribute(pool, TESSERA_CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, &keep_all),
             CUDA_SUCCESS);
    CHECK_RC(cuMemAllocAsync(&p, 16 * MiB, NULL), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 16 * MiB, "the pool's 16 MiB counted");
    CHECK_RC(cuMemFreeAsync(p, NULL), CUDA_SUCCESS);
    CHECK_RC(cuCtxSynchronize(), CUDA_SUCCESS);
    CHECK_EQ_U64(tstub_used(0), 16 * MiB, "the driver's pool keeps the freed memory");
    CHECK_EQ_U64(used(), 16 * MiB, "so it stays counted");
    CHECK_EQ_U64(file_total(0), 16 * MiB, "in the usage file too");
    CHECK_RC(cuMemAlloc_v2(&big, L - 16 * MiB), CUDA_SUCCESS);
    CHECK_RC(cuMemAlloc_v2(&q, 1), CUDA_ERROR_OUT_OF_MEMORY);
    /* At the limit, an allocation the pool can serve from what it holds costs nothing more. */
    CHECK_RC(cuMemAllocAsync(&p, 8 * MiB, NULL), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), L, "served from the pool's own memory");
    CHECK_RC(cuMemAllocAsync(&q, 9 * MiB, NULL), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_EQ_U64(tstub_used(0), L, "the driver never held more than the limit");
    CHECK_RC(cuMemFreeAsync(p, NULL), CUDA_SUCCESS);
    CHECK_RC(cuMemFree_v2(big), CUDA_SUCCESS);
    CHECK_RC(cuStreamSynchronize(NULL), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 16 * MiB, "still the pool's");
    CHECK_RC(cuMemPoolTrimTo(pool, 4 * MiB), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 4 * MiB, "trimmed to 4 MiB: 4 MiB counted");
    CHECK_RC(cuMemPoolTrimTo(pool, 0), CUDA_SUCCESS);
    expect_clean("pool trimmed");

    /* A pool of our own made current for the device: cuMemAllocAsync draws on it. */
    CUmemPoolProps props;
    memset(&props, 0, sizeof props);
    props.allocType = 1;
    props.location.type = TESSERA_CU_MEM_LOCATION_TYPE_DEVICE;
    props.location.id = 0;
    CUmemoryPool mine = NULL;
    CHECK_RC(cuMemPoolCreate(&mine, &props), CUDA_SUCCESS);
    CHECK_RC(cuMemPoolSetAttribute(mine, TESSERA_CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, &keep_all),
             CUDA_SUCCESS);
    CHECK_RC(cuDeviceSetMemPool(0, mine), CUDA_SUCCESS);
    CHECK_RC(cuMemAllocAsync(&p, 6 * MiB, NULL), CUDA_SUCCESS);
    CHECK_RC(cuMemFreeAsync(p, NULL), CUDA_SUCCESS);
    CHECK_RC(cuCtxSynchronize(), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 6 * MiB, "the current pool keeps its memory, counted");
    cuuint64_t release_all = 0;
    CHECK_RC(cuMemPoolSetAttribute(mine, TESSERA_CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, &release_all),
             CUDA_SUCCESS);
    CHECK_RC(cuEventSynchronize(NULL), CUDA_SUCCESS);
    CHECK_RC(cuDeviceSetMemPool(0, pool), CUDA_SUCCESS);
    CHECK_RC(cuMemPoolDestroy(mine), CUDA_SUCCESS);
    expect_clean("threshold lowered, synchronised");
}

/* A pool's memory is its device's, whatever the current context. */
static void case_pool_device(void) {
    CUmemPoolProps props;
    memset(&props, 0, sizeof props);
    props.allocType = 1;
    props.location.type = TESSERA_CU_MEM_LOCATION_TYPE_DEVICE;
    props.location.id = 1;
    CUmemoryPool pool1 = NULL;
    CUdeviceptr p = 0, q = 0;
    CHECK_RC(cuMemPoolCreate(&pool1, &props), CUDA_SUCCESS);
    CHECK_RC(cuMemAllocFromPoolAsync(&p, 2 * L, pool1, NULL), CUDA_SUCCESS); /* over device 0's */
    CHECK_EQ_U64(used(), 0, "nothing charged to the current device 0");
    CHECK_EQ_U64(file_total(1), 2 * L, "charged to device 1, the pool's");
    /* A stream of device 1 while device 0 is current: its pool is device 1's. */
    CUstream s1 = NULL;
    tstub_set_device(1);
    CHECK_RC(cuStreamCreate(&s1, 0), CUDA_SUCCESS);
    tstub_set_device(0);
    CHECK_RC(cuMemAllocAsync(&q, 4 * MiB, s1), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 0, "device 0 still untouched");
    CHECK_EQ_U64(file_total(1), 2 * L + 4 * MiB, "device 1 charged for its stream's pool");
    /* Destroyed with an allocation outstanding: the driver keeps the pool until it is freed. */
    CHECK_RC(cuMemPoolDestroy(pool1), CUDA_SUCCESS);
    CHECK_EQ_U64(file_total(1), 2 * L + 4 * MiB, "a destroyed pool's memory counts while in use");
    CHECK_RC(cuMemFree_v2(p), CUDA_SUCCESS);
    CHECK_EQ_U64(file_total(1), 4 * MiB, "and goes with its last allocation");
    CHECK_RC(cuMemFreeAsync(q, s1), CUDA_SUCCESS);
    CHECK_RC(cuStreamSynchronize(s1), CUDA_SUCCESS);
    CHECK_EQ_U64(file_total(1), 0, "device 1 clean");
    CHECK_EQ_U64(tstub_used(1), 0, "the driver's device 1 clean");
}

/* cuMemFreeAsync gives nothing back until the stream reaches the free. */
static void case_free_async(void) {
    CUstream s = NULL;
    CUdeviceptr p = 0, q = 0;
    CHECK_RC(cuStreamCreate(&s, 0), CUDA_SUCCESS);
    /* Memory charged one by one (cuMemAlloc): a host function on the stream gives it back. */
    CHECK_RC(cuMemAlloc_v2(&p, 8 * MiB), CUDA_SUCCESS);
    CHECK_RC(cuMemFreeAsync(p, s), CUDA_SUCCESS);
    CHECK_EQ_U64(tstub_used(0), 8 * MiB, "the driver has not freed it yet");
    CHECK_EQ_U64(used(), 8 * MiB, "so it is still counted");
    CHECK_RC(cuStreamSynchronize(s), CUDA_SUCCESS);
    expect_clean("once the stream reached the free");
    /* Pool memory: the pool has it back when the stream gets there, and lets it go at the
     * synchronisation (threshold 0). */
    CHECK_RC(cuMemAllocAsync(&q, 8 * MiB, s), CUDA_SUCCESS);
    CHECK_RC(cuMemFreeAsync(q, s), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 8 * MiB, "enqueued: still counted");
    CHECK_RC(cuStreamSynchronize_ptsz(s), CUDA_SUCCESS);
    expect_clean("pool memory after the synchronisation");
}

/* ---- virtual memory management ----------------------------------------------------------- */

static CUmemGenericAllocationHandle create(uint64_t bytes) {
    CUmemAllocationProp prop;
    memset(&prop, 0, sizeof prop);
    prop.type = 1;
    prop.location.type = TESSERA_CU_MEM_LOCATION_TYPE_DEVICE;
    prop.location.id = 0;
    CUmemGenericAllocationHandle h = 0;
    CHECK_RC(cuMemCreate(&h, bytes, &prop, 0), CUDA_SUCCESS);
    return h;
}

static void case_vmm(void) {
    CUdeviceptr va = 0, va2 = 0;
    CHECK_RC(cuMemAddressReserve(&va, 16 * MiB, 0, 0, 0), CUDA_SUCCESS);
    CHECK_RC(cuMemAddressReserve(&va2, 16 * MiB, 0, 0, 0), CUDA_SUCCESS);
    /* Released while mapped: the memory lives, and is counted, until unmapped. */
    CUmemGenericAllocationHandle h = create(4 * MiB);
    CHECK_RC(cuMemMap(va, 4 * MiB, 0, h, 0), CUDA_SUCCESS);
    CHECK_RC(cuMemRelease(h), CUDA_SUCCESS);
    CHECK_EQ_U64(tstub_used(0), 4 * MiB, "the driver keeps mapped memory");
    CHECK_EQ_U64(used(), 4 * MiB, "released but mapped: still counted");
    CHECK_RC(cuMemUnmap(va, 4 * MiB), CUDA_SUCCESS);
    expect_clean("released and unmapped");
    /* Mapped twice: the last unmap frees it. */
    h = create(2 * MiB);
    CHECK_RC(cuMemMap(va, 2 * MiB, 0, h, 0), CUDA_SUCCESS);
    CHECK_RC(cuMemMap(va2, 2 * MiB, 0, h, 0), CUDA_SUCCESS);
    CHECK_RC(cuMemRelease(h), CUDA_SUCCESS);
    CHECK_RC(cuMemUnmap(va, 2 * MiB), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 2 * MiB, "one mapping left: counted");
    CHECK_RC(cuMemUnmap(va2, 2 * MiB), CUDA_SUCCESS);
    expect_clean("both mappings gone");
    /* Two handles back to back, unmapped in one call. */
    CUmemGenericAllocationHandle a = create(2 * MiB), b = create(2 * MiB);
    CHECK_RC(cuMemMap(va, 2 * MiB, 0, a, 0), CUDA_SUCCESS);
    CHECK_RC(cuMemMap(va + 2 * MiB, 2 * MiB, 0, b, 0), CUDA_SUCCESS);
    CHECK_RC(cuMemRelease(a), CUDA_SUCCESS);
    CHECK_RC(cuMemRelease(b), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 4 * MiB, "both still mapped");
    CHECK_RC(cuMemUnmap(va, 4 * MiB), CUDA_SUCCESS);
    expect_clean("one unmap over two mappings");
    /* Unmapped first, released after: the handle held it in between. */
    h = create(2 * MiB);
    CHECK_RC(cuMemMap(va, 2 * MiB, 0, h, 0), CUDA_SUCCESS);
    CHECK_RC(cuMemUnmap(va, 2 * MiB), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 2 * MiB, "unmapped, not released: counted");
    CHECK_RC(cuMemRelease(h), CUDA_SUCCESS);
    expect_clean("unmapped, then released");
    /* The stub refuses what cuda.h says the driver refuses, so the library is tested against
     * a driver as strict as the real one (swap relies on every step of it). */
    CUdeviceptr r = 0;
    CHECK_RC(cuMemAddressReserve(&r, 8 * MiB, 0, 0, 0), CUDA_SUCCESS);
    h = create(4 * MiB);
    CUmemGenericAllocationHandle h2 = create(2 * MiB);
    CHECK_RC(cuMemMap((CUdeviceptr)0x200000, 2 * MiB, 0, h2, 0), CUDA_ERROR_INVALID_VALUE);
    CHECK_RC(cuMemMap(r + 6 * MiB, 4 * MiB, 0, h, 0), CUDA_ERROR_INVALID_VALUE); /* sticks out */
    CHECK_RC(cuMemMap(r + 4096, 2 * MiB, 0, h2, 0), CUDA_ERROR_INVALID_VALUE); /* off granule */
    CHECK_RC(cuMemMap(r, 3 * MiB, 0, h, 0), CUDA_ERROR_INVALID_VALUE);
    CHECK_RC(cuMemMap(r, 2 * MiB, 2 * MiB, h, 0), CUDA_ERROR_INVALID_VALUE); /* offset: 0 only */
    CHECK_RC(cuMemMap(r, 4 * MiB, 0, h, 0), CUDA_SUCCESS);
    CHECK_RC(cuMemMap(r + 2 * MiB, 2 * MiB, 0, h2, 0), CUDA_ERROR_INVALID_VALUE); /* mapped */
    uint32_t word = 0x5eed, back = 0;
    CHECK_RC(cuMemcpyHtoD_v2(r, &word, sizeof word), CUDA_ERROR_ILLEGAL_ADDRESS); /* no access */
    CUmemAccessDesc rw;
    memset(&rw, 0, sizeof rw);
    rw.location.type = TESSERA_CU_MEM_LOCATION_TYPE_DEVICE;
    rw.flags = TESSERA_CU_MEM_ACCESS_FLAGS_PROT_READWRITE;
    CHECK_RC(cuMemSetAccess(r, 8 * MiB, &rw, 1), CUDA_ERROR_INVALID_VALUE); /* half unmapped */
    CHECK_RC(cuMemSetAccess(r, 4 * MiB, &rw, 1), CUDA_SUCCESS);
    CHECK_RC(cuMemcpyHtoD_v2(r + MiB, &word, sizeof word), CUDA_SUCCESS);
    CHECK_RC(cuMemUnmap(r, 2 * MiB), CUDA_ERROR_INVALID_VALUE); /* part of a mapping */
    CHECK_RC(cuMemAddressFree(r, 8 * MiB), CUDA_ERROR_INVALID_VALUE); /* still mapped */
    CHECK_RC(cuMemUnmap(r, 4 * MiB), CUDA_SUCCESS);
    CHECK_RC(cuMemcpyDtoH_v2(&back, r + MiB, sizeof back), CUDA_ERROR_ILLEGAL_ADDRESS);
    /* The handle kept its bytes: mapped again elsewhere, they are there. */
    CHECK_RC(cuMemMap(r + 4 * MiB, 4 * MiB, 0, h, 0), CUDA_SUCCESS);
    CHECK_RC(cuMemSetAccess(r + 4 * MiB, 4 * MiB, &rw, 1), CUDA_SUCCESS);
    CHECK_RC(cuMemcpyDtoH_v2(&back, r + 5 * MiB, sizeof back), CUDA_SUCCESS);
    CHECK_EQ_U64(back, word, "physical memory keeps its bytes across unmap and map");
    CHECK_RC(cuMemRelease(h), CUDA_SUCCESS);
    CHECK_RC(cuMemRelease(h), CUDA_ERROR_INVALID_VALUE); /* released twice */
    CHECK_RC(cuMemUnmap(r + 4 * MiB, 4 * MiB), CUDA_SUCCESS);
    CHECK_RC(cuMemRelease(h2), CUDA_SUCCESS);
    CHECK_RC(cuMemAddressFree(r, 4 * MiB), CUDA_ERROR_INVALID_VALUE); /* not its size */
    CHECK_RC(cuMemAddressFree(r, 8 * MiB), CUDA_SUCCESS);
    expect_clean("the stub's refusals");
    /* Mapped into a sparse array and released: the array holds it, and it stays counted (until
     * the process exits: array unmaps are not followed). */
    h = create(2 * MiB);
    CUarrayMapInfo map;
    memset(&map, 0, sizeof map);
    map.memOperationType = TESSERA_CU_MEM_OPERATION_TYPE_MAP;
    map.memHandleType = TESSERA_CU_MEM_HANDLE_TYPE_GENERIC;
    map.memHandle = h;
    CHECK_RC(cuMemMapArrayAsync(&map, 1, NULL), CUDA_SUCCESS);
    CHECK_RC(cuMemRelease(h), CUDA_SUCCESS);
    CHECK_EQ_U64(tstub_used(0), 2 * MiB, "the array keeps the memory");
    CHECK_EQ_U64(used(), 2 * MiB, "released but mapped into an array: still counted");
}

/* ---- graph memory nodes ------------------------------------------------------------------- */

static CUgraphExec instantiate(CUgraph g) {
    CUgraphExec e = NULL;
    CHECK_RC(cuGraphInstantiateWithFlags(&e, g, 0), CUDA_SUCCESS);
    return e;
}

static void case_graph(void) {
    CUgraph g = NULL, g2 = NULL, clone = NULL;
    CUgraphNode node = NULL;
    CUDA_MEM_ALLOC_NODE_PARAMS params;
    memset(&params, 0, sizeof params);
    params.poolProps.allocType = 1;
    params.poolProps.location.type = TESSERA_CU_MEM_LOCATION_TYPE_DEVICE;
    params.poolProps.location.id = 0;
    params.bytesize = 16 * MiB;
    CHECK_RC(cuGraphCreate(&g, 0), CUDA_SUCCESS);
    CHECK_RC(cuGraphAddMemAllocNode(&node, g, NULL, 0, &params), CUDA_SUCCESS);
    CUgraphExec e = instantiate(g);
    CHECK_EQ_U64(used(), 0, "nothing is allocated until the graph runs");
    CHECK_RC(cuGraphLaunch(e, NULL), CUDA_SUCCESS);
    CHECK_EQ_U64(tstub_used(0), 16 * MiB, "the launch mapped graph memory");
    CHECK_EQ_U64(used(), 16 * MiB, "counted");
    CHECK_RC(cuGraphLaunch(e, NULL), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 16 * MiB, "a second launch reuses it");
    CHECK_RC(cuDeviceGraphMemTrim(0), CUDA_SUCCESS);
    expect_clean("graph memory trimmed");

    /* A launch whose memory does not fit is refused, as the driver refuses one it cannot map. */
    CUdeviceptr hold = 0;
    uint64_t refused = ooms();
    CHECK_RC(cuMemAlloc_v2(&hold, L - 8 * MiB), CUDA_SUCCESS);
    CHECK_RC(cuGraphLaunch_ptsz(e, NULL), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_EQ_U64(tstub_used(0), L - 8 * MiB, "no graph memory mapped");
    CHECK_EQ_U64(ooms(), refused + 1, "the refusal counted");
    CHECK_RC(cuMemFree_v2(hold), CUDA_SUCCESS);
    CHECK_RC(cuGraphUpload(e, NULL), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 16 * MiB, "an upload maps (and is charged) too");
    CHECK_RC(cuGraphExecDestroy(e), CUDA_SUCCESS);
    CHECK_RC(cuDeviceGraphMemTrim(0), CUDA_SUCCESS);
    expect_clean("after the upload");

    /* cuGraphAddNode's memory allocation node, and a clone of the graph. */
    CUgraphNodeParams np;
    memset(&np, 0, sizeof np);
    np.type = TESSERA_CU_GRAPH_NODE_TYPE_MEM_ALLOC;
    np.alloc = params;
    np.alloc.bytesize = 4 * MiB;
    CHECK_RC(cuGraphCreate(&g2, 0), CUDA_SUCCESS);
    CHECK_RC(cuGraphAddNode(&node, g2, NULL, 0, &np), CUDA_SUCCESS);
    CHECK_RC(cuGraphAddNode_v2(&node, g2, NULL, NULL, 0, &np), CUDA_SUCCESS);
    CHECK_RC(cuGraphClone(&clone, g2), CUDA_SUCCESS);
    CHECK_RC(cuGraphDestroy(g2), CUDA_SUCCESS);
    e = instantiate(clone);
    CHECK_RC(cuMemAlloc_v2(&hold, L - 6 * MiB), CUDA_SUCCESS);
    CHECK_RC(cuGraphLaunch(e, NULL), CUDA_ERROR_OUT_OF_MEMORY); /* needs 8 MiB */
    CHECK_RC(cuMemFree_v2(hold), CUDA_SUCCESS);
    CHECK_RC(cuGraphLaunch(e, NULL), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 8 * MiB, "the clone's two nodes");
    CHECK_RC(cuGraphExecDestroy(e), CUDA_SUCCESS);
    CHECK_RC(cuDeviceGraphMemTrim(0), CUDA_SUCCESS);
    expect_clean("clone trimmed");
    CHECK_RC(cuGraphDestroy(g), CUDA_SUCCESS);
    CHECK_RC(cuGraphDestroy(clone), CUDA_SUCCESS);
}

/* cuMemAllocAsync while a stream captures: a node of the graph, charged when it runs. */
static void case_capture(void) {
    CUstream s = NULL;
    CUgraph g = NULL;
    CUdeviceptr p = 0;
    CHECK_RC(cuStreamCreate(&s, 0), CUDA_SUCCESS);
    CHECK_RC(cuStreamBeginCapture_v2(s, 0), CUDA_SUCCESS);
    CHECK_RC(cuMemAllocAsync(&p, 8 * MiB, s), CUDA_SUCCESS);
    CHECK_RC(cuMemFreeAsync(p, s), CUDA_SUCCESS);
    CHECK_RC(cuStreamEndCapture(s, &g), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 0, "capturing allocates nothing");
    CUgraphExec e = NULL;
    CHECK_RC(cuGraphInstantiate_v2(&e, g, NULL, NULL, 0), CUDA_SUCCESS);
    CHECK_RC(cuGraphLaunch(e, s), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 8 * MiB, "the captured allocation runs, and is counted");
    CHECK_RC(cuGraphExecDestroy(e), CUDA_SUCCESS);
    CHECK_RC(cuDeviceGraphMemTrim(0), CUDA_SUCCESS);
    expect_clean("captured graph trimmed");
    CHECK_RC(cuGraphDestroy(g), CUDA_SUCCESS);
}

/* ---- context limits ----------------------------------------------------------------------- */

static size_t get_limit(int limit) {
    size_t v = 0;
    CHECK_RC(cuCtxGetLimit(&v, limit), CUDA_SUCCESS);
    return v;
}

static void case_limits(void) {
    size_t heap = get_limit(TESSERA_CU_LIMIT_MALLOC_HEAP_SIZE);
    CHECK_RC(cuCtxSetLimit(TESSERA_CU_LIMIT_MALLOC_HEAP_SIZE, heap + 16 * MiB), CUDA_SUCCESS);
    CHECK_EQ_U64(tstub_used(0), 16 * MiB, "the driver set 16 MiB more heap aside");
    CHECK_EQ_U64(used(), 16 * MiB, "counted");
    uint64_t refused = ooms();
    CHECK_RC(cuCtxSetLimit(TESSERA_CU_LIMIT_MALLOC_HEAP_SIZE, heap + L + MiB),
             CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_EQ_U64(ooms(), refused + 1, "a heap beyond the limit is refused and counted");
    CHECK_EQ_U64(get_limit(TESSERA_CU_LIMIT_MALLOC_HEAP_SIZE), heap + 16 * MiB, "heap unchanged");
    CHECK_RC(cuCtxSetLimit(TESSERA_CU_LIMIT_MALLOC_HEAP_SIZE, heap), CUDA_SUCCESS);
    expect_clean("heap back to its default");

    size_t fifo = get_limit(TESSERA_CU_LIMIT_PRINTF_FIFO_SIZE);
    CHECK_RC(cuCtxSetLimit(TESSERA_CU_LIMIT_PRINTF_FIFO_SIZE, fifo + 2 * MiB), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 2 * MiB, "printf FIFO counted");
    CHECK_RC(cuCtxSetLimit(TESSERA_CU_LIMIT_PRINTF_FIFO_SIZE, fifo), CUDA_SUCCESS);

    /* The stack is per thread: charged for every thread the device can hold (the stub's 4
     * multiprocessors x 64 threads). */
    size_t stack = get_limit(TESSERA_CU_LIMIT_STACK_SIZE);
    CHECK_RC(cuCtxSetLimit(TESSERA_CU_LIMIT_STACK_SIZE, stack + 4096), CUDA_SUCCESS);
    CHECK_EQ_U64(tstub_used(0), 4096 * 4 * 64, "the driver's stack reservation");
    CHECK_EQ_U64(used(), 4096 * 4 * 64, "counted per resident thread");
    CHECK_RC(cuCtxSetLimit(TESSERA_CU_LIMIT_STACK_SIZE, stack), CUDA_SUCCESS);
    expect_clean("stack back");

    /* Pending launches: what the driver's free memory dropped by. */
    size_t pending = get_limit(TESSERA_CU_LIMIT_DEV_RUNTIME_PENDING_LAUNCH_COUNT);
    CHECK_RC(cuCtxSetLimit(TESSERA_CU_LIMIT_DEV_RUNTIME_PENDING_LAUNCH_COUNT, pending + 4096),
             CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 4096 * 512, "pending-launch buffer counted as measured");
    CHECK_RC(cuCtxSetLimit(TESSERA_CU_LIMIT_DEV_RUNTIME_PENDING_LAUNCH_COUNT, pending),
             CUDA_SUCCESS);
    expect_clean("pending launches back");
    CUdeviceptr hold = 0;
    CHECK_RC(cuMemAlloc_v2(&hold, L - MiB), CUDA_SUCCESS);
    CHECK_RC(cuCtxSetLimit(TESSERA_CU_LIMIT_DEV_RUNTIME_PENDING_LAUNCH_COUNT, pending + 4096),
             CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_EQ_U64(get_limit(TESSERA_CU_LIMIT_DEV_RUNTIME_PENDING_LAUNCH_COUNT), pending,
                 "put back when it did not fit");
    CHECK_EQ_U64(tstub_used(0), L - MiB, "and the driver's memory with it");
    CHECK_RC(cuMemFree_v2(hold), CUDA_SUCCESS);
    expect_clean("limits");
}

/* ---- the pre-3.2 ABI ---------------------------------------------------------------------- */

static void case_legacy(void) {
    CUdeviceptr_v1 p = 0, q = 0;
    unsigned int f = 0, t = 0, pitch = 0;
    CHECK_RC(cuMemGetInfo(&f, &t), CUDA_SUCCESS);
    CHECK_EQ_U64(t, L, "32-bit total is the limit");
    CHECK_RC(cuDeviceTotalMem(&t, 0), CUDA_SUCCESS);
    CHECK_EQ_U64(t, L, "32-bit device total is the limit");
    CHECK_RC(cuMemAlloc(&p, 4 * MiB), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 4 * MiB, "legacy cuMemAlloc counted");
    CHECK_RC(cuMemAlloc(&q, (unsigned int)L), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_RC(cuMemGetInfo(&f, &t), CUDA_SUCCESS);
    CHECK_EQ_U64(f, L - 4 * MiB, "32-bit free");
    CHECK_RC(cuMemAllocPitch(&q, &pitch, 1000, 100, 4), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 4 * MiB + (uint64_t)pitch * 100, "legacy pitch * height counted");
    CHECK_RC(cuMemFree(q), CUDA_SUCCESS);
    CHECK_RC(cuMemFree(p), CUDA_SUCCESS);
    CUarray a = NULL, a3 = NULL;
    CUDA_ARRAY_DESCRIPTOR_v1 d = {256, 256, 0x20, 4};
    CUDA_ARRAY3D_DESCRIPTOR_v1 d3 = {64, 64, 64, 0x01, 1, 0};
    CHECK_RC(cuArrayCreate(&a, &d), CUDA_SUCCESS);
    CHECK_RC(cuArray3DCreate(&a3, &d3), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 256 * 256 * 16 + 64 * 64 * 64, "legacy arrays counted");
    CHECK_RC(cuArrayDestroy(a), CUDA_SUCCESS);
    CHECK_RC(cuArrayDestroy(a3), CUDA_SUCCESS);
    expect_clean("legacy");
}

int main(int argc, char **argv) {
    static const struct {
        const char *name;
        void (*run)(void);
    } cases[] = {{"pool-threshold", case_pool_threshold}, {"pool-device", case_pool_device},
                 {"free-async", case_free_async},         {"vmm", case_vmm},
                 {"graph", case_graph},                   {"capture", case_capture},
                 {"limits", case_limits},                 {"legacy", case_legacy}};
    L = limit0();
    CHECK_RC(cuInit(0), CUDA_SUCCESS);
    tstub_set_device(0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (argc == 2 && strcmp(argv[1], cases[i].name) == 0) {
            cases[i].run();
            return finish(cases[i].name);
        }
    }
    printf("usage: t_devmem <case>\n");
    return 2;
}
