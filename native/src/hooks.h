/* Our exported wrappers, under the driver's and NVML's own names, and the lookup tables over
 * them. */
#ifndef TESSERA_HOOKS_H
#define TESSERA_HOOKS_H

#include "cuda_api.h"
#include "nvml_api.h"
#include "tessera_cuda.h"

#define TESSERA_DECLARE_HOOK(name, params) TESSERA_EXPORT CUresult name params;
#define TESSERA_DECLARE_GATED_HOOK(name, params, args) TESSERA_EXPORT CUresult name params;
TESSERA_HOOKED_FUNCS(TESSERA_DECLARE_HOOK)
TESSERA_GATED_FUNCS(TESSERA_DECLARE_GATED_HOOK)
#undef TESSERA_DECLARE_HOOK
#undef TESSERA_DECLARE_GATED_HOOK

#define TESSERA_DECLARE_NVML_HOOK(name, params) TESSERA_EXPORT nvmlReturn_t name params;
TESSERA_NVML_HOOKED_FUNCS(TESSERA_DECLARE_NVML_HOOK)
#undef TESSERA_DECLARE_NVML_HOOK

/* Our wrapper for an exact exported name ("cuMemAlloc_v2", "nvmlDeviceGetMemoryInfo"), or
 * NULL. */
void *tessera_hook_by_name(const char *name);

#endif
