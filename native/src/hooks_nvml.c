/*
 * NVML's memory queries, so that nvidia-smi, pynvml and frameworks that size themselves with
 * NVML see what cuMemGetInfo_v2 shows: the container's limit as the total, its usage as used.
 *
 * NVML names a device by handle, not by CUDA ordinal. The handle's UUID is looked up in
 * NVIDIA_VISIBLE_DEVICES, which the device plugin sets to the visible GPUs' UUIDs in the order
 * of TESSERA_GPU_MEMORY_LIMITS; its position is the device's entry there. Like the rest of the
 * library, this takes that order to be the CUDA ordinal order (the usage files are numbered by
 * it). Whatever does not map - limits not enforced, a device not listed or without a limit, a
 * UUID or usage file that cannot be read - gets NVML's own answer untouched.
 *
 * An NVML call never calls CUDA and never creates usage files or slots: nvidia-smi and
 * monitoring processes never allocate, and must not look like tenants to the node agent.
 */
#include "hooks.h"

#include "config.h"
#include "driver.h"
#include "log.h"

#define REAL(name) (tessera_nvml_get()->name)

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* 1 with the limit and the container's usage of `device`; 0 to pass NVML's answer through. */
static int container_budget(nvmlDevice_t device, uint64_t *limit, uint64_t *used) {
    const tessera_config *cfg = tessera_config_get();
    if (!cfg->enforce) return 0; /* the configuration has said why, once */
    nvmlDeviceGetUUID_fn get_uuid = REAL(nvmlDeviceGetUUID);
    char uuid[TESSERA_NVML_UUID_BUFFER_SIZE];
    if (get_uuid == NULL || get_uuid(device, uuid, sizeof uuid) != NVML_SUCCESS) {
        tessera_log(TESSERA_LOG_DEBUG, "nvml: cannot read a device's UUID; its memory info "
                    "passes through");
        return 0;
    }
    uuid[sizeof uuid - 1] = '\0';
    int ordinal = tessera_config_visible_index(cfg, uuid);
    if (ordinal < 0) {
        tessera_log(TESSERA_LOG_DEBUG, "nvml: %s is not in %s; its memory info passes through",
                    uuid, TESSERA_ENV_VISIBLE_DEVICES);
        return 0;
    }
    if (!tessera_device_budget_peek(ordinal, limit, used)) {
        tessera_log(TESSERA_LOG_DEBUG, "nvml: %s (gpu %d) has no limit or no readable usage "
                    "file; its memory info passes through", uuid, ordinal);
        return 0;
    }
    return 1;
}

/* As cuMemGetInfo_v2: total = the limit (or the physical size if smaller), used = the
 * container's usage, free = total - used, never more than NVML's own free figure (other
 * tenants use the GPU too). */
static void narrow(unsigned long long *total, unsigned long long *free, unsigned long long *used,
                   uint64_t limit, uint64_t container_used) {
    uint64_t cap = min_u64(limit, *total);
    *total = cap;
    *used = container_used;
    *free = min_u64(cap > container_used ? cap - container_used : 0, *free);
}

/* The real call comes first: when NVML fails, its error goes back as it is, and a struct we
 * would fill in is one NVML has checked. */
nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
    nvmlDeviceGetMemoryInfo_fn real = REAL(nvmlDeviceGetMemoryInfo);
    if (real == NULL) return NVML_ERROR_FUNCTION_NOT_FOUND;
    nvmlReturn_t rc = real(device, memory);
    uint64_t limit, used;
    if (rc == NVML_SUCCESS && container_budget(device, &limit, &used))
        narrow(&memory->total, &memory->free, &memory->used, limit, used);
    return rc;
}

/* Only the layout we know is rewritten: NVML refuses other versions (ARGUMENT_VERSION_MISMATCH),
 * and should a later one accept more, its struct is not ours to fill. The container's total is
 * its limit, none of which the driver holds back: reserved is 0. */
nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t *memory) {
    nvmlDeviceGetMemoryInfo_v2_fn real = REAL(nvmlDeviceGetMemoryInfo_v2);
    if (real == NULL) return NVML_ERROR_FUNCTION_NOT_FOUND;
    nvmlReturn_t rc = real(device, memory);
    uint64_t limit, used;
    if (rc != NVML_SUCCESS || memory->version != TESSERA_NVML_MEMORY_V2 ||
        !container_budget(device, &limit, &used))
        return rc;
    memory->reserved = 0;
    narrow(&memory->total, &memory->free, &memory->used, limit, used);
    return rc;
}
