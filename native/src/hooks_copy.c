/*
 * Copies and memsets (TESSERA_GATED_FUNCS in cuda_api.h): the driver's, passed through. They
 * are wrapped so that every way an application reaches them (linking, dlsym, cuGetProcAddress)
 * comes through the library, which GPU memory swap needs: memory swapped out must come back
 * before a copy touches it.
 */
#include "hooks.h"

#include "driver.h"

#define REAL(name) (tessera_driver_get()->name)
#define MISSING CUDA_ERROR_NOT_SUPPORTED

#define TESSERA_GATED_HOOK(name, params, args) \
    CUresult name params {                     \
        name##_fn real = REAL(name);           \
        return real == NULL ? MISSING : real args; \
    }
TESSERA_GATED_FUNCS(TESSERA_GATED_HOOK)
#undef TESSERA_GATED_HOOK
