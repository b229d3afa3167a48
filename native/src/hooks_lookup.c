/*
 * The two ways an application finds driver functions without linking them:
 *  - dlopen("libcuda.so.1") + dlsym(handle, "cuMemAlloc_v2"): a handle lookup bypasses our
 *    preloaded exports, so we export dlsym itself and answer with our wrapper for the names
 *    we intercept (NVML's too: nvidia-smi and pynvml find libnvidia-ml.so.1's this way);
 *  - cuGetProcAddress / cuGetProcAddress_v2 (how CUDA 11.3+ runtimes find everything): the
 *    driver answers first, then we swap in our wrapper for the names we intercept, including
 *    cuGetProcAddress itself so lookups made through the returned pointer are covered too.
 * With limits not enforced (disabled or no valid configuration) both return the driver's
 * own pointers untouched.
 */
#include <string.h>

#include "config.h"
#include "driver.h"
#include "hooks.h"

typedef struct export_entry {
    const char *name;
    void *hook;
} export_entry;

#define TESSERA_EXPORT_ENTRY(name, params) {#name, (void *)name},
#define TESSERA_EXPORT_GATED_ENTRY(name, params, args) {#name, (void *)name},
static const export_entry k_exports[] = {TESSERA_HOOKED_FUNCS(TESSERA_EXPORT_ENTRY)
                                             TESSERA_GATED_FUNCS(TESSERA_EXPORT_GATED_ENTRY)
                                                 TESSERA_NVML_HOOKED_FUNCS(TESSERA_EXPORT_ENTRY)};
#undef TESSERA_EXPORT_ENTRY
#undef TESSERA_EXPORT_GATED_ENTRY

void *tessera_hook_by_name(const char *name) {
    for (size_t i = 0; i < sizeof k_exports / sizeof k_exports[0]; i++) {
        if (strcmp(k_exports[i].name, name) == 0) return k_exports[i].hook;
    }
    return NULL;
}

/* ---- dlsym ------------------------------------------------------------------------------ */

/* Our wrapper for `name`, only where the real lookup would have found the symbol (so a probe
 * of some other library still gets NULL). Uses glibc's dlsym: no recursion into ours. Asks
 * the configuration, not tessera_enforcing(): a lookup must not attach usage files, or
 * nvidia-smi finding its NVML entry points would register a slot it never uses. */
static void *dlsym_hook(tessera_dlsym_fn real, void *handle, const char *name) {
    void *hook = tessera_hook_by_name(name);
    if (hook == NULL || !tessera_config_get()->enforce || real(handle, name) == NULL) return NULL;
    return hook;
}

/*
 * Everything except the intercepted cu* and nvml* names goes straight to glibc. The final
 * call is a tail call (checked by the tests: `make check-tailcall`), so glibc sees the
 * application's return address and dlsym(RTLD_NEXT, ...) keeps resolving relative to the
 * caller, not us.
 */
TESSERA_EXPORT void *dlsym(void *handle, const char *name) {
    tessera_dlsym_fn real = tessera_real_dlsym();
    if (name != NULL &&
        ((name[0] == 'c' && name[1] == 'u') || (name[0] == 'n' && name[1] == 'v'))) {
        void *hook = dlsym_hook(real, handle, name);
        if (hook != NULL) return hook;
    }
    return real(handle, name);
}

/* ---- cuGetProcAddress ------------------------------------------------------------------- */

/*
 * cuGetProcAddress takes base names plus the CUDA version the caller was built for; the
 * driver picks the ABI version (cuMemAlloc -> cuMemAlloc_v2 from 3.2 on) and, for
 * stream-taking calls, the per-thread-default-stream variant when asked. We substitute only
 * where that choice is the entry point we wrap; older ABIs pass through untouched.
 */
typedef struct proc_entry {
    const char *base;
    int since;    /* first CUDA version (1000 * major + 10 * minor) returning `legacy` */
    void *legacy; /* wrapper for the default (legacy stream) variant */
    void *ptsz;   /* wrapper for the per-thread default stream variant, if one exists */
} proc_entry;

/* First match wins: an entry for the _v2 ABI comes before the one (since 0) for the legacy
 * ABI older versions get. */
static const proc_entry k_procs[] = {
    {"cuMemAlloc", 3020, (void *)cuMemAlloc_v2, NULL},
    {"cuMemAlloc", 0, (void *)cuMemAlloc, NULL},
    {"cuMemAllocPitch", 3020, (void *)cuMemAllocPitch_v2, NULL},
    {"cuMemAllocPitch", 0, (void *)cuMemAllocPitch, NULL},
    {"cuMemAllocManaged", 6000, (void *)cuMemAllocManaged, NULL},
    {"cuMemCreate", 10020, (void *)cuMemCreate, NULL},
    {"cuMemAllocAsync", 11020, (void *)cuMemAllocAsync, (void *)cuMemAllocAsync_ptsz},
    {"cuMemAllocFromPoolAsync", 11020, (void *)cuMemAllocFromPoolAsync,
     (void *)cuMemAllocFromPoolAsync_ptsz},
    {"cuArrayCreate", 3020, (void *)cuArrayCreate_v2, NULL},
    {"cuArrayCreate", 0, (void *)cuArrayCreate, NULL},
    {"cuArray3DCreate", 3020, (void *)cuArray3DCreate_v2, NULL},
    {"cuArray3DCreate", 0, (void *)cuArray3DCreate, NULL},
    {"cuMipmappedArrayCreate", 5000, (void *)cuMipmappedArrayCreate, NULL},
    {"cuMemFree", 3020, (void *)cuMemFree_v2, NULL},
    {"cuMemFree", 0, (void *)cuMemFree, NULL},
    {"cuMemFreeAsync", 11020, (void *)cuMemFreeAsync, (void *)cuMemFreeAsync_ptsz},
    {"cuMemRelease", 10020, (void *)cuMemRelease, NULL},
    {"cuArrayDestroy", 2000, (void *)cuArrayDestroy, NULL},
    {"cuMipmappedArrayDestroy", 5000, (void *)cuMipmappedArrayDestroy, NULL},
    {"cuMemGetInfo", 3020, (void *)cuMemGetInfo_v2, NULL},
    {"cuMemGetInfo", 0, (void *)cuMemGetInfo, NULL},
    {"cuDeviceTotalMem", 3020, (void *)cuDeviceTotalMem_v2, NULL},
    {"cuDeviceTotalMem", 0, (void *)cuDeviceTotalMem, NULL},
    {"cuMemMap", 10020, (void *)cuMemMap, NULL},
    {"cuMemUnmap", 10020, (void *)cuMemUnmap, NULL},
    {"cuMemMapArrayAsync", 11010, (void *)cuMemMapArrayAsync, (void *)cuMemMapArrayAsync_ptsz},
    {"cuMemPoolCreate", 11020, (void *)cuMemPoolCreate, NULL},
    {"cuMemPoolDestroy", 11020, (void *)cuMemPoolDestroy, NULL},
    {"cuMemPoolTrimTo", 11020, (void *)cuMemPoolTrimTo, NULL},
    {"cuMemPoolSetAttribute", 11020, (void *)cuMemPoolSetAttribute, NULL},
    {"cuDeviceSetMemPool", 11020, (void *)cuDeviceSetMemPool, NULL},
    /* cuCtxSynchronize takes the context from 13.0 (cudaTypedefs.h: PFN_cuCtxSynchronize_v13000) */
    {"cuCtxSynchronize", 13000, (void *)cuCtxSynchronize_v2, NULL},
    {"cuCtxSynchronize", 2000, (void *)cuCtxSynchronize, NULL},
    {"cuStreamSynchronize", 2000, (void *)cuStreamSynchronize, (void *)cuStreamSynchronize_ptsz},
    {"cuEventSynchronize", 2000, (void *)cuEventSynchronize, NULL},
    {"cuCtxSetLimit", 3010, (void *)cuCtxSetLimit, NULL},
    {"cuGraphAddMemAllocNode", 11040, (void *)cuGraphAddMemAllocNode, NULL},
    {"cuGraphAddNode", 12030, (void *)cuGraphAddNode_v2, NULL},
    {"cuGraphAddNode", 12020, (void *)cuGraphAddNode, NULL},
    {"cuGraphClone", 10000, (void *)cuGraphClone, NULL},
    {"cuGraphDestroy", 10000, (void *)cuGraphDestroy, NULL},
    /* cuGraphInstantiate is cuGraphInstantiateWithFlags from 12.0 (cuda.h's #define), the
     * five-argument _v2 from 11.0 and the first one before. */
    {"cuGraphInstantiate", 12000, (void *)cuGraphInstantiateWithFlags, NULL},
    {"cuGraphInstantiate", 11000, (void *)cuGraphInstantiate_v2, NULL},
    {"cuGraphInstantiate", 10000, (void *)cuGraphInstantiate, NULL},
    {"cuGraphInstantiateWithFlags", 11040, (void *)cuGraphInstantiateWithFlags, NULL},
    {"cuGraphInstantiateWithParams", 12000, (void *)cuGraphInstantiateWithParams,
     (void *)cuGraphInstantiateWithParams_ptsz},
    {"cuGraphExecDestroy", 10000, (void *)cuGraphExecDestroy, NULL},
    {"cuGraphLaunch", 10000, (void *)cuGraphLaunch, (void *)cuGraphLaunch_ptsz},
    {"cuGraphUpload", 11010, (void *)cuGraphUpload, (void *)cuGraphUpload_ptsz},
    {"cuDeviceGraphMemTrim", 11040, (void *)cuDeviceGraphMemTrim, NULL},
    {"cuLaunchKernel", 4000, (void *)cuLaunchKernel, (void *)cuLaunchKernel_ptsz},
    {"cuLaunchKernelEx", 11060, (void *)cuLaunchKernelEx, (void *)cuLaunchKernelEx_ptsz},
    {"cuLaunchCooperativeKernel", 9000, (void *)cuLaunchCooperativeKernel,
     (void *)cuLaunchCooperativeKernel_ptsz},
    /* Copies and memsets (gated for swap, hooks_copy.c). Versions as cudaTypedefs.h names them:
     * the _v2 ABI from 3020 (older versions get the 32-bit forms, which are not wrapped), the
     * unified-addressing copies from 4000, the batches' _v2 from 13000. */
    {"cuMemcpy", 4000, (void *)cuMemcpy, (void *)cuMemcpy_ptds},
    {"cuMemcpyPeer", 4000, (void *)cuMemcpyPeer, (void *)cuMemcpyPeer_ptds},
    {"cuMemcpyHtoD", 3020, (void *)cuMemcpyHtoD_v2, (void *)cuMemcpyHtoD_v2_ptds},
    {"cuMemcpyDtoH", 3020, (void *)cuMemcpyDtoH_v2, (void *)cuMemcpyDtoH_v2_ptds},
    {"cuMemcpyDtoD", 3020, (void *)cuMemcpyDtoD_v2, (void *)cuMemcpyDtoD_v2_ptds},
    {"cuMemcpyDtoA", 3020, (void *)cuMemcpyDtoA_v2, (void *)cuMemcpyDtoA_v2_ptds},
    {"cuMemcpyAtoD", 3020, (void *)cuMemcpyAtoD_v2, (void *)cuMemcpyAtoD_v2_ptds},
    {"cuMemcpy2D", 3020, (void *)cuMemcpy2D_v2, (void *)cuMemcpy2D_v2_ptds},
    {"cuMemcpy2DUnaligned", 3020, (void *)cuMemcpy2DUnaligned_v2,
     (void *)cuMemcpy2DUnaligned_v2_ptds},
    {"cuMemcpy3D", 3020, (void *)cuMemcpy3D_v2, (void *)cuMemcpy3D_v2_ptds},
    {"cuMemcpy3DPeer", 4000, (void *)cuMemcpy3DPeer, (void *)cuMemcpy3DPeer_ptds},
    {"cuMemcpyAsync", 4000, (void *)cuMemcpyAsync, (void *)cuMemcpyAsync_ptsz},
    {"cuMemcpyPeerAsync", 4000, (void *)cuMemcpyPeerAsync, (void *)cuMemcpyPeerAsync_ptsz},
    {"cuMemcpyHtoDAsync", 3020, (void *)cuMemcpyHtoDAsync_v2, (void *)cuMemcpyHtoDAsync_v2_ptsz},
    {"cuMemcpyDtoHAsync", 3020, (void *)cuMemcpyDtoHAsync_v2, (void *)cuMemcpyDtoHAsync_v2_ptsz},
    {"cuMemcpyDtoDAsync", 3020, (void *)cuMemcpyDtoDAsync_v2, (void *)cuMemcpyDtoDAsync_v2_ptsz},
    {"cuMemcpy2DAsync", 3020, (void *)cuMemcpy2DAsync_v2, (void *)cuMemcpy2DAsync_v2_ptsz},
    {"cuMemcpy3DAsync", 3020, (void *)cuMemcpy3DAsync_v2, (void *)cuMemcpy3DAsync_v2_ptsz},
    {"cuMemcpy3DPeerAsync", 4000, (void *)cuMemcpy3DPeerAsync, (void *)cuMemcpy3DPeerAsync_ptsz},
    {"cuMemcpyBatchAsync", 13000, (void *)cuMemcpyBatchAsync_v2,
     (void *)cuMemcpyBatchAsync_v2_ptsz},
    {"cuMemcpyBatchAsync", 12080, (void *)cuMemcpyBatchAsync, (void *)cuMemcpyBatchAsync_ptsz},
    {"cuMemcpy3DBatchAsync", 13000, (void *)cuMemcpy3DBatchAsync_v2,
     (void *)cuMemcpy3DBatchAsync_v2_ptsz},
    {"cuMemcpy3DBatchAsync", 12080, (void *)cuMemcpy3DBatchAsync,
     (void *)cuMemcpy3DBatchAsync_ptsz},
    {"cuMemsetD8", 3020, (void *)cuMemsetD8_v2, (void *)cuMemsetD8_v2_ptds},
    {"cuMemsetD16", 3020, (void *)cuMemsetD16_v2, (void *)cuMemsetD16_v2_ptds},
    {"cuMemsetD32", 3020, (void *)cuMemsetD32_v2, (void *)cuMemsetD32_v2_ptds},
    {"cuMemsetD2D8", 3020, (void *)cuMemsetD2D8_v2, (void *)cuMemsetD2D8_v2_ptds},
    {"cuMemsetD2D16", 3020, (void *)cuMemsetD2D16_v2, (void *)cuMemsetD2D16_v2_ptds},
    {"cuMemsetD2D32", 3020, (void *)cuMemsetD2D32_v2, (void *)cuMemsetD2D32_v2_ptds},
    {"cuMemsetD8Async", 3020, (void *)cuMemsetD8Async, (void *)cuMemsetD8Async_ptsz},
    {"cuMemsetD16Async", 3020, (void *)cuMemsetD16Async, (void *)cuMemsetD16Async_ptsz},
    {"cuMemsetD32Async", 3020, (void *)cuMemsetD32Async, (void *)cuMemsetD32Async_ptsz},
    {"cuMemsetD2D8Async", 3020, (void *)cuMemsetD2D8Async, (void *)cuMemsetD2D8Async_ptsz},
    {"cuMemsetD2D16Async", 3020, (void *)cuMemsetD2D16Async, (void *)cuMemsetD2D16Async_ptsz},
    {"cuMemsetD2D32Async", 3020, (void *)cuMemsetD2D32Async, (void *)cuMemsetD2D32Async_ptsz},
    /* cuGetProcAddress itself: _v2 (with symbolStatus) from 12.0, the 4-argument one before. */
    {"cuGetProcAddress", 12000, (void *)cuGetProcAddress_v2, NULL},
    {"cuGetProcAddress", 11030, (void *)cuGetProcAddress, NULL},
};

static void *proc_hook(const char *symbol, int version, cuuint64_t flags) {
    for (size_t i = 0; i < sizeof k_procs / sizeof k_procs[0]; i++) {
        const proc_entry *e = &k_procs[i];
        if (version < e->since || strcmp(e->base, symbol) != 0) continue;
        if ((flags & TESSERA_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) && e->ptsz != NULL)
            return e->ptsz;
        return e->legacy;
    }
    return NULL;
}

/*
 * A name/version the table does not know (a new ABI version, a driver that maps a version to
 * another variant than we expect) is still caught when the driver answers with the address
 * of an entry point we wrap: our wrapper for that one, which has its signature.
 */
static void *hook_for_address(void *fn) {
    const tessera_driver *d = tessera_driver_get();
#define TESSERA_MATCH(name, params) \
    if (fn == (void *)d->name) return (void *)name;
#define TESSERA_MATCH_GATED(name, params, args) TESSERA_MATCH(name, params)
    TESSERA_HOOKED_FUNCS(TESSERA_MATCH)
    TESSERA_GATED_FUNCS(TESSERA_MATCH_GATED)
#undef TESSERA_MATCH
#undef TESSERA_MATCH_GATED
    return NULL;
}

static void substitute(const char *symbol, void **pfn, int version, cuuint64_t flags) {
    if (symbol == NULL || pfn == NULL || *pfn == NULL || !tessera_enforcing()) return;
    void *hook = proc_hook(symbol, version, flags);
    if (hook == NULL) hook = hook_for_address(*pfn);
    if (hook != NULL) *pfn = hook;
}

CUresult cuGetProcAddress(const char *symbol, void **pfn, int cudaVersion, cuuint64_t flags) {
    cuGetProcAddress_fn real = tessera_driver_get()->cuGetProcAddress;
    if (real == NULL) return CUDA_ERROR_NOT_SUPPORTED;
    CUresult rc = real(symbol, pfn, cudaVersion, flags);
    if (rc == CUDA_SUCCESS) substitute(symbol, pfn, cudaVersion, flags);
    return rc;
}

CUresult cuGetProcAddress_v2(const char *symbol, void **pfn, int cudaVersion, cuuint64_t flags,
                             CUdriverProcAddressQueryResult *symbolStatus) {
    cuGetProcAddress_v2_fn real = tessera_driver_get()->cuGetProcAddress_v2;
    if (real == NULL) return CUDA_ERROR_NOT_SUPPORTED;
    CUresult rc = real(symbol, pfn, cudaVersion, flags, symbolStatus);
    if (rc == CUDA_SUCCESS) substitute(symbol, pfn, cudaVersion, flags);
    return rc;
}
