/*
 * A stand-in libnvidia-ml.so.1 for tests without a GPU: the NVML calls a monitoring tool makes
 * to read memory, over devices configured by the environment (read at nvmlInit_v2):
 *   TSTUB_NVML_DEVICES         how many (default 2, at most TSTUB_NVML_MAX_DEVICES)
 *   TSTUB_NVML_UUIDS           their UUIDs, comma-separated (default GPU-tstub-<index>)
 *   TSTUB_NVML_TOTAL_BYTES     physical memory of each, comma-separated; the last entry
 *                              stands for the devices after it (default 1 GiB)
 *   TSTUB_NVML_USED_BYTES      memory in use, same form (default 0)
 *   TSTUB_NVML_RESERVED_BYTES  held back by the driver, same form (default 0): _v2 reports it
 *                              apart, the v1 call counts it in used, as NVML does
 * Calls before nvmlInit_v2 fail with NVML_ERROR_UNINITIALIZED, and _v2 refuses a struct
 * version other than nvmlMemory_v2 with NVML_ERROR_ARGUMENT_VERSION_MISMATCH, as NVML does.
 */
#ifndef TESSERA_STUB_NVML_H
#define TESSERA_STUB_NVML_H

#include <stdint.h>

#include "nvml_api.h"

#define TSTUB_NVML_MAX_DEVICES 8

#define TSTUB_NVML_DECLARE(name, params) nvmlReturn_t name params;
TESSERA_NVML_HOOKED_FUNCS(TSTUB_NVML_DECLARE)
TESSERA_NVML_RESOLVED_FUNCS(TSTUB_NVML_DECLARE)
#undef TSTUB_NVML_DECLARE
nvmlReturn_t nvmlInit_v2(void);
nvmlReturn_t nvmlShutdown(void);
nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *deviceCount);
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device);

/* Test helpers (not NVML). */
void *tstub_nvml_real_addr(const char *name);          /* the stub's own entry point */
void tstub_nvml_set_used(unsigned int index, uint64_t bytes); /* memory in use from now on */

typedef nvmlReturn_t (*nvmlInit_v2_fn)(void);
typedef nvmlReturn_t (*nvmlShutdown_fn)(void);
typedef nvmlReturn_t (*nvmlDeviceGetCount_v2_fn)(unsigned int *);
typedef nvmlReturn_t (*nvmlDeviceGetHandleByIndex_v2_fn)(unsigned int, nvmlDevice_t *);
typedef void *(*tstub_nvml_real_addr_fn)(const char *);
typedef void (*tstub_nvml_set_used_fn)(unsigned int, uint64_t);

#endif
