/* See stub_nvml.h. A handle is the address of the device's entry in a static table, so a
 * handle from anywhere else is refused like a bad one in NVML. */
#include "stub_nvml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_DEVICES 2
#define DEFAULT_TOTAL_BYTES (1ull << 30)

struct nvmlDevice_st {
    char uuid[TESSERA_NVML_UUID_BUFFER_SIZE];
    uint64_t total, used, reserved;
};

static struct nvmlDevice_st g_devices[TSTUB_NVML_MAX_DEVICES];
static unsigned g_count;
static int g_inits; /* nvmlInit_v2 calls not yet matched by nvmlShutdown, as NVML counts */

/* Entry `index` of a comma-separated list; past the end, the last entry if `repeat_last`.
 * 0 with nothing written when there is no such entry (or the list is unset or empty). */
static int list_entry(const char *name, unsigned index, int repeat_last, char *out, size_t size) {
    const char *p = getenv(name);
    if (p == NULL || *p == '\0') return 0;
    for (unsigned i = 0; i < index; i++) {
        const char *comma = strchr(p, ',');
        if (comma == NULL && !repeat_last) return 0;
        if (comma == NULL) break;
        p = comma + 1;
    }
    size_t len = strcspn(p, ",");
    if (len >= size) len = size - 1;
    memcpy(out, p, len);
    out[len] = '\0';
    return 1;
}

static uint64_t list_u64(const char *name, unsigned index, uint64_t fallback) {
    char text[32];
    return list_entry(name, index, 1, text, sizeof text) ? strtoull(text, NULL, 10) : fallback;
}

static void configure(void) {
    const char *count = getenv("TSTUB_NVML_DEVICES");
    g_count = count && *count ? (unsigned)strtoul(count, NULL, 10) : DEFAULT_DEVICES;
    if (g_count > TSTUB_NVML_MAX_DEVICES) g_count = TSTUB_NVML_MAX_DEVICES;
    for (unsigned i = 0; i < g_count; i++) {
        struct nvmlDevice_st *d = &g_devices[i];
        if (!list_entry("TSTUB_NVML_UUIDS", i, 0, d->uuid, sizeof d->uuid))
            snprintf(d->uuid, sizeof d->uuid, "GPU-tstub-%u", i);
        d->total = list_u64("TSTUB_NVML_TOTAL_BYTES", i, DEFAULT_TOTAL_BYTES);
        d->used = list_u64("TSTUB_NVML_USED_BYTES", i, 0);
        d->reserved = list_u64("TSTUB_NVML_RESERVED_BYTES", i, 0);
    }
}

/* NVML_SUCCESS with the device behind `handle`, or the error NVML would give. */
static nvmlReturn_t device_of(nvmlDevice_t handle, struct nvmlDevice_st **out) {
    if (__atomic_load_n(&g_inits, __ATOMIC_ACQUIRE) <= 0) return NVML_ERROR_UNINITIALIZED;
    if (handle < g_devices || handle >= g_devices + g_count) return NVML_ERROR_INVALID_ARGUMENT;
    *out = handle;
    return NVML_SUCCESS;
}

static uint64_t sub_sat(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

nvmlReturn_t nvmlInit_v2(void) {
    if (__atomic_fetch_add(&g_inits, 1, __ATOMIC_ACQ_REL) == 0) configure();
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlShutdown(void) {
    if (__atomic_load_n(&g_inits, __ATOMIC_ACQUIRE) <= 0) return NVML_ERROR_UNINITIALIZED;
    __atomic_sub_fetch(&g_inits, 1, __ATOMIC_ACQ_REL);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *deviceCount) {
    if (__atomic_load_n(&g_inits, __ATOMIC_ACQUIRE) <= 0) return NVML_ERROR_UNINITIALIZED;
    if (deviceCount == NULL) return NVML_ERROR_INVALID_ARGUMENT;
    *deviceCount = g_count;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
    if (__atomic_load_n(&g_inits, __ATOMIC_ACQUIRE) <= 0) return NVML_ERROR_UNINITIALIZED;
    if (device == NULL || index >= g_count) return NVML_ERROR_INVALID_ARGUMENT;
    *device = &g_devices[index];
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length) {
    struct nvmlDevice_st *d;
    nvmlReturn_t rc = device_of(device, &d);
    if (rc != NVML_SUCCESS) return rc;
    if (uuid == NULL) return NVML_ERROR_INVALID_ARGUMENT;
    if (strlen(d->uuid) >= length) return NVML_ERROR_INSUFFICIENT_SIZE;
    strcpy(uuid, d->uuid);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
    struct nvmlDevice_st *d;
    nvmlReturn_t rc = device_of(device, &d);
    if (rc != NVML_SUCCESS) return rc;
    if (memory == NULL) return NVML_ERROR_INVALID_ARGUMENT;
    uint64_t used = __atomic_load_n(&d->used, __ATOMIC_ACQUIRE) + d->reserved;
    memory->total = d->total;
    memory->used = used;
    memory->free = sub_sat(d->total, used);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t *memory) {
    struct nvmlDevice_st *d;
    nvmlReturn_t rc = device_of(device, &d);
    if (rc != NVML_SUCCESS) return rc;
    if (memory == NULL) return NVML_ERROR_INVALID_ARGUMENT;
    if (memory->version != TESSERA_NVML_MEMORY_V2) return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
    uint64_t used = __atomic_load_n(&d->used, __ATOMIC_ACQUIRE);
    memory->total = d->total;
    memory->reserved = d->reserved;
    memory->used = used;
    memory->free = sub_sat(d->total, used + d->reserved);
    return NVML_SUCCESS;
}

/* ---- test helpers ------------------------------------------------------------------------- */

void tstub_nvml_set_used(unsigned int index, uint64_t bytes) {
    if (index < TSTUB_NVML_MAX_DEVICES)
        __atomic_store_n(&g_devices[index].used, bytes, __ATOMIC_RELEASE);
}

#define TSTUB_NVML_ADDR_ENTRY(name, params) {#name, (void *)name},
static const struct {
    const char *name;
    void *fn;
} k_addrs[] = {
    TESSERA_NVML_HOOKED_FUNCS(TSTUB_NVML_ADDR_ENTRY)
    TESSERA_NVML_RESOLVED_FUNCS(TSTUB_NVML_ADDR_ENTRY)
    {"nvmlInit_v2", (void *)nvmlInit_v2},
    {"nvmlShutdown", (void *)nvmlShutdown},
    {"nvmlDeviceGetCount_v2", (void *)nvmlDeviceGetCount_v2},
    {"nvmlDeviceGetHandleByIndex_v2", (void *)nvmlDeviceGetHandleByIndex_v2},
};

void *tstub_nvml_real_addr(const char *name) {
    for (size_t i = 0; i < sizeof k_addrs / sizeof k_addrs[0]; i++) {
        if (strcmp(k_addrs[i].name, name) == 0) return k_addrs[i].fn;
    }
    return NULL;
}
