/*
 * Copies and memsets (TESSERA_GATED_FUNCS in cuda_api.h): the driver's, behind the swap gate
 * (swap.h). In a container without swap a copy costs one load more than the driver's own; in
 * one with swap, memory the process swapped out comes back before the copy reaches the driver.
 */
#include "hooks.h"

#include "driver.h"
#include "swap.h"

#define REAL(name) (tessera_driver_get()->name)
#define MISSING CUDA_ERROR_NOT_SUPPORTED

#define TESSERA_GATED_HOOK(name, params, args) \
    CUresult name params {                     \
        name##_fn real = REAL(name);           \
        if (real == NULL) return MISSING;      \
        TESSERA_GATED_RETURN(real args);       \
    }
TESSERA_GATED_FUNCS(TESSERA_GATED_HOOK)
#undef TESSERA_GATED_HOOK
