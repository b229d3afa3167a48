/*
 * The few NVML types and entry points this library touches, declared here so that building
 * needs no NVML headers. Layouts and values follow nvml.h; the structs keep the real size and
 * field offsets because the application hands us pointers to its own copies.
 */
#ifndef TESSERA_NVML_API_H
#define TESSERA_NVML_API_H

#include <stddef.h>
#include <stdint.h>

typedef int nvmlReturn_t; /* an enum in nvml.h: int-sized */
typedef struct nvmlDevice_st *nvmlDevice_t;

enum {
    NVML_SUCCESS = 0,
    NVML_ERROR_UNINITIALIZED = 1,
    NVML_ERROR_INVALID_ARGUMENT = 2,
    NVML_ERROR_INSUFFICIENT_SIZE = 7,
    NVML_ERROR_FUNCTION_NOT_FOUND = 13,
    NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25,
};

/* NVML_DEVICE_UUID_V2_BUFFER_SIZE: room for any UUID NVML returns, MIG devices' included. */
#define TESSERA_NVML_UUID_BUFFER_SIZE 96u

typedef struct nvmlMemory_st {
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_t;

typedef struct nvmlMemory_v2_st {
    unsigned int version; /* TESSERA_NVML_MEMORY_V2, set by the caller */
    unsigned long long total;
    unsigned long long reserved;
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_v2_t;

/* nvml.h's NVML_STRUCT_VERSION(Memory, 2): the struct's size with the version in the top byte. */
#define TESSERA_NVML_MEMORY_V2 ((unsigned int)(sizeof(nvmlMemory_v2_t) | (2u << 24)))

#if UINTPTR_MAX == 0xffffffffffffffffu
_Static_assert(sizeof(nvmlMemory_t) == 24, "nvmlMemory_t size");
_Static_assert(sizeof(nvmlMemory_v2_t) == 40, "nvmlMemory_v2_t size");
_Static_assert(offsetof(nvmlMemory_v2_t, total) == 8, "nvmlMemory_v2_t layout");
_Static_assert(TESSERA_NVML_MEMORY_V2 == 0x02000028u, "nvmlMemory_v2");
#endif

/* Every NVML entry point we wrap, as X(name, parameter list); see TESSERA_HOOKED_FUNCS. */
#define TESSERA_NVML_HOOKED_FUNCS(X)                                                          \
    X(nvmlDeviceGetMemoryInfo, (nvmlDevice_t device, nvmlMemory_t * memory))                  \
    X(nvmlDeviceGetMemoryInfo_v2, (nvmlDevice_t device, nvmlMemory_v2_t * memory))

/* NVML entry points we call but do not wrap. */
#define TESSERA_NVML_RESOLVED_FUNCS(X) \
    X(nvmlDeviceGetUUID, (nvmlDevice_t device, char *uuid, unsigned int length))

#define TESSERA_DECLARE_NVML_FN_TYPE(name, params) typedef nvmlReturn_t(*name##_fn) params;
TESSERA_NVML_HOOKED_FUNCS(TESSERA_DECLARE_NVML_FN_TYPE)
TESSERA_NVML_RESOLVED_FUNCS(TESSERA_DECLARE_NVML_FN_TYPE)
#undef TESSERA_DECLARE_NVML_FN_TYPE

#endif
