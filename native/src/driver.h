/* The real dlsym and the real driver and NVML entry points behind our wrappers. */
#ifndef TESSERA_DRIVER_H
#define TESSERA_DRIVER_H

#include "cuda_api.h"
#include "nvml_api.h"

typedef void *(*tessera_dlsym_fn)(void *handle, const char *name);

/* glibc's dlsym, never ours: safe to call from anywhere, including inside our dlsym. */
tessera_dlsym_fn tessera_real_dlsym(void);

typedef struct tessera_driver {
#define TESSERA_DRIVER_FIELD(name, params) name##_fn name;
#define TESSERA_DRIVER_GATED_FIELD(name, params, args) name##_fn name;
    TESSERA_HOOKED_FUNCS(TESSERA_DRIVER_FIELD)
    TESSERA_GATED_FUNCS(TESSERA_DRIVER_GATED_FIELD)
    TESSERA_RESOLVED_FUNCS(TESSERA_DRIVER_FIELD)
#undef TESSERA_DRIVER_FIELD
#undef TESSERA_DRIVER_GATED_FIELD
} tessera_driver;

/* libcuda.so.1's own entry points (NULL where the driver lacks one). Resolved once. */
const tessera_driver *tessera_driver_get(void);

typedef struct tessera_nvml {
#define TESSERA_NVML_FIELD(name, params) name##_fn name;
    TESSERA_NVML_HOOKED_FUNCS(TESSERA_NVML_FIELD)
    TESSERA_NVML_RESOLVED_FUNCS(TESSERA_NVML_FIELD)
#undef TESSERA_NVML_FIELD
} tessera_nvml;

/* libnvidia-ml.so.1's own entry points (NULL where it lacks one, or cannot be opened).
 * Resolved once, on the first NVML call: a CUDA-only process never opens the library. */
const tessera_nvml *tessera_nvml_get(void);

#endif
