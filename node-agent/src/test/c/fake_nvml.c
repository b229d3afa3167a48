/*
 * A stand-in for libnvidia-ml.so.1 with known answers, so that the JNA binding can be tested on
 * machines without a GPU. Its values are mirrored in FakeNvml.java; change both together.
 *
 * Four GPUs:
 *   0  a healthy H100: every figure, memory v2 with reserved memory, a process list that grows
 *      while it is being read (2 entries when first sized, 4 when read), temperature 55 from
 *      nvmlDeviceGetTemperatureV and 54 from the deprecated nvmlDeviceGetTemperature
 *   1  nvmlDeviceGetHandleByIndex_v2 answers NO_PERMISSION
 *   2  in MIG mode: utilization and power NOT_SUPPORTED, memory v2 rejects its version
 *      (ARGUMENT_VERSION_MISMATCH) so the old query must be used, no processes
 *   3  opens, but answers GPU_IS_LOST once sampling reaches utilization
 *
 * GPU 0 also answers every further query dcgm-exporter's default counters need (PCI info, minor
 * number, memory clock, encoder/decoder, energy, PCIe replays and throughput, remapped rows,
 * retired pages, field values for memory temperature and NVLink, XID events); GPU 2 answers them
 * NOT_SUPPORTED (field values: per field) and cannot register for events. XIDs are queued with
 * fake_nvml_inject_xid and read through nvmlEventSetWait_v2.
 *
 * Build flags take symbols away, as older drivers lack them:
 *   -DFAKE_NO_MEMORY_V2, -DFAKE_NO_PROCESSES_V3, -DFAKE_NO_PROCESSES_V2, -DFAKE_NO_TEMPERATURE_V,
 *   -DFAKE_NO_EXTRAS (every further query above), -DFAKE_OLD_DRIVER (all five), and
 *   -DFAKE_INIT_RESULT=9 makes nvmlInit_v2 fail with that code.
 */
#include <stddef.h>
#include <string.h>

#ifdef FAKE_OLD_DRIVER
#define FAKE_NO_MEMORY_V2
#define FAKE_NO_PROCESSES_V3
#define FAKE_NO_PROCESSES_V2
#define FAKE_NO_TEMPERATURE_V
#define FAKE_NO_EXTRAS
#endif

#ifndef FAKE_INIT_RESULT
#define FAKE_INIT_RESULT 0
#endif

#define EXPORT __attribute__((visibility("default")))

typedef int nvmlReturn_t;

enum {
  NVML_SUCCESS = 0,
  NVML_ERROR_UNINITIALIZED = 1,
  NVML_ERROR_INVALID_ARGUMENT = 2,
  NVML_ERROR_NOT_SUPPORTED = 3,
  NVML_ERROR_NO_PERMISSION = 4,
  NVML_ERROR_INSUFFICIENT_SIZE = 7,
  NVML_ERROR_DRIVER_NOT_LOADED = 9,
  NVML_ERROR_TIMEOUT = 10,
  NVML_ERROR_GPU_IS_LOST = 15,
  NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25,
  NVML_ERROR_UNKNOWN = 999
};

typedef struct {
  unsigned int version;
  unsigned long long total, reserved, free, used;
} nvmlMemory_v2_t;

typedef struct {
  unsigned long long total, free, used;
} nvmlMemory_t;

typedef struct {
  unsigned int gpu, memory;
} nvmlUtilization_t;

typedef struct {
  unsigned int pid;
  unsigned long long usedGpuMemory;
  unsigned int gpuInstanceId, computeInstanceId;
} nvmlProcessInfo_t;

typedef struct {
  unsigned int pid;
  unsigned long long usedGpuMemory;
} nvmlProcessInfo_v1_t;

typedef struct {
  unsigned int version;
  unsigned int sensorType;
  int temperature;
} nvmlTemperature_t;

_Static_assert(sizeof(nvmlMemory_v2_t) == 40, "nvmlMemory_v2_t is 40 bytes");
_Static_assert(sizeof(nvmlMemory_t) == 24, "nvmlMemory_t is 24 bytes");
_Static_assert(sizeof(nvmlProcessInfo_t) == 24, "nvmlProcessInfo_t is 24 bytes");
_Static_assert(sizeof(nvmlProcessInfo_v1_t) == 16, "nvmlProcessInfo_v1_t is 16 bytes");
_Static_assert(sizeof(nvmlTemperature_t) == 12, "nvmlTemperature_v1_t is 12 bytes");

#define MEMORY_V2_VERSION (sizeof(nvmlMemory_v2_t) | 2u << 24)
#define TEMPERATURE_V1_VERSION (sizeof(nvmlTemperature_t) | 1u << 24)
#define GIB (1024ull * 1024 * 1024)
#define MIB (1024ull * 1024)
#define NO_INSTANCE 0xFFFFFFFFu

struct fake_device {
  const char *uuid;
  const char *name;
  nvmlReturn_t handle_result;
  nvmlReturn_t memory_v2_result;
  unsigned long long total, reserved, used;
  nvmlReturn_t utilization_result;
  unsigned int gpu_percent, memory_percent;
  nvmlReturn_t power_result;
  unsigned int power_mw;
  int temperature;
  unsigned int sm_clock_mhz;
  unsigned int mig_mode;
  unsigned int processes_first, processes_last;
  /* The further queries: all answer extras_result when it is not SUCCESS. */
  nvmlReturn_t extras_result;
  const char *pci_bus_id;
  unsigned int minor;
  unsigned int mem_clock_mhz, mem_temp, enc_percent, dec_percent;
  unsigned long long energy_mj;
  unsigned int pcie_replays, pcie_tx_kbs, pcie_rx_kbs;
  unsigned long long nvlink_tx_kib, nvlink_rx_kib;
  unsigned int remapped_correctable, remapped_uncorrectable, remap_failed;
  unsigned int retired_sbe, retired_dbe;
  nvmlReturn_t events_result;
};

typedef struct fake_device *nvmlDevice_t;

/* Fields not named are 0; for the *_result fields that is NVML_SUCCESS. */
static struct fake_device devices[] = {
    {.uuid = "GPU-11111111-2222-3333-4444-555555555555",
     .name = "Fake H100 80GB HBM3",
     .total = 80 * GIB,
     .reserved = 512 * MIB,
     .used = 3 * GIB,
     .gpu_percent = 37,
     .memory_percent = 21,
     .power_mw = 312345,
     .temperature = 55,
     .sm_clock_mhz = 1755,
     .processes_first = 2,
     .processes_last = 4,
     .pci_bus_id = "00000000:3B:00.0",
     .minor = 4,
     .mem_clock_mhz = 2619,
     .mem_temp = 63,
     .enc_percent = 11,
     .dec_percent = 12,
     .energy_mj = 123456789012ull,
     .pcie_replays = 7,
     .pcie_tx_kbs = 3000,
     .pcie_rx_kbs = 4000,
     .nvlink_tx_kib = 1000,
     .nvlink_rx_kib = 2000,
     .remapped_correctable = 3,
     .remapped_uncorrectable = 1,
     .retired_sbe = 2,
     .retired_dbe = 1},
    {.uuid = "GPU-unreachable",
     .name = "Fake refused GPU",
     .handle_result = NVML_ERROR_NO_PERMISSION},
    {.uuid = "GPU-22222222-3333-4444-5555-666666666666",
     .name = "Fake A100 in MIG mode",
     .memory_v2_result = NVML_ERROR_ARGUMENT_VERSION_MISMATCH,
     .total = 40 * GIB,
     .used = 5 * GIB,
     .utilization_result = NVML_ERROR_NOT_SUPPORTED,
     .power_result = NVML_ERROR_NOT_SUPPORTED,
     .temperature = 61,
     .sm_clock_mhz = 1410,
     .mig_mode = 1,
     .extras_result = NVML_ERROR_NOT_SUPPORTED,
     .events_result = NVML_ERROR_NOT_SUPPORTED},
    {.uuid = "GPU-33333333-4444-5555-6666-777777777777",
     .name = "Fake lost GPU",
     .total = 16 * GIB,
     .reserved = 256 * MIB,
     .used = 1 * GIB,
     .utilization_result = NVML_ERROR_GPU_IS_LOST,
     .pci_bus_id = "00000000:86:00.0",
     .minor = 3},
};

#define DEVICE_COUNT (sizeof(devices) / sizeof(devices[0]))

static int init_count;
/* Entries device 0's process list has gained since nvmlInit_v2. */
static unsigned int processes_grown;
/* Calls to the process functions per GPU since nvmlInit_v2, and the last function called. */
static int process_calls[DEVICE_COUNT];
static const char *last_process_function = "";

/* XID events waiting to be read, in order, and which GPUs registered for them. */
#define MAX_EVENTS 64
static struct {
  nvmlDevice_t device;
  unsigned long long xid;
} queued[MAX_EVENTS];
static int queued_count;
static int registered[sizeof(devices) / sizeof(devices[0])];
#ifndef FAKE_NO_EXTRAS
static int event_set_token;
#endif

static int device_index(nvmlDevice_t device) {
  for (size_t i = 0; i < DEVICE_COUNT; i++) {
    if (device == &devices[i]) {
      return (int)i;
    }
  }
  return -1;
}

/* UNINITIALIZED or INVALID_ARGUMENT when the call cannot go on; SUCCESS otherwise. */
static nvmlReturn_t check_device(nvmlDevice_t device) {
  if (init_count == 0) {
    return NVML_ERROR_UNINITIALIZED;
  }
  return device_index(device) < 0 ? NVML_ERROR_INVALID_ARGUMENT : NVML_SUCCESS;
}

static nvmlReturn_t copy_string(const char *value, char *buffer, unsigned int length) {
  if (buffer == NULL) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  if (strlen(value) + 1 > length) {
    return NVML_ERROR_INSUFFICIENT_SIZE;
  }
  strcpy(buffer, value);
  return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlInit_v2(void) {
  if (FAKE_INIT_RESULT != NVML_SUCCESS) {
    return FAKE_INIT_RESULT;
  }
  init_count++;
  processes_grown = 0;
  memset(process_calls, 0, sizeof(process_calls));
  last_process_function = "";
  queued_count = 0;
  memset(registered, 0, sizeof(registered));
  return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlShutdown(void) {
  if (init_count == 0) {
    return NVML_ERROR_UNINITIALIZED;
  }
  init_count--;
  return NVML_SUCCESS;
}

/* Worded unlike real NVML, so that tests can tell the driver's text from the binding's own. */
EXPORT const char *nvmlErrorString(nvmlReturn_t result) {
  switch (result) {
    case NVML_SUCCESS: return "Fake: Success";
    case NVML_ERROR_UNINITIALIZED: return "Fake: Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT: return "Fake: Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED: return "Fake: Not Supported";
    case NVML_ERROR_NO_PERMISSION: return "Fake: Insufficient Permissions";
    case NVML_ERROR_INSUFFICIENT_SIZE: return "Fake: Insufficient Size";
    case NVML_ERROR_DRIVER_NOT_LOADED: return "Fake: Driver Not Loaded";
    case NVML_ERROR_GPU_IS_LOST: return "Fake: GPU is lost";
    case NVML_ERROR_ARGUMENT_VERSION_MISMATCH: return "Fake: Version mismatch";
    default: return "Fake: Unknown Error";
  }
}

EXPORT nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length) {
  return copy_string("999.88.7", version, length);
}

EXPORT nvmlReturn_t nvmlSystemGetNVMLVersion(char *version, unsigned int length) {
  return copy_string("99.999.88.7", version, length);
}

EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count) {
  if (init_count == 0) {
    return NVML_ERROR_UNINITIALIZED;
  }
  *count = DEVICE_COUNT;
  return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
  if (init_count == 0) {
    return NVML_ERROR_UNINITIALIZED;
  }
  if (index >= DEVICE_COUNT || device == NULL) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  if (devices[index].handle_result != NVML_SUCCESS) {
    return devices[index].handle_result;
  }
  *device = &devices[index];
  return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length) {
  nvmlReturn_t result = check_device(device);
  return result != NVML_SUCCESS ? result : copy_string(device->uuid, uuid, length);
}

EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
  nvmlReturn_t result = check_device(device);
  return result != NVML_SUCCESS ? result : copy_string(device->name, name, length);
}

#ifndef FAKE_NO_MEMORY_V2
EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t *memory) {
  nvmlReturn_t result = check_device(device);
  if (result != NVML_SUCCESS) {
    return result;
  }
  if (memory->version != MEMORY_V2_VERSION) {
    return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
  }
  if (device->memory_v2_result != NVML_SUCCESS) {
    return device->memory_v2_result;
  }
  memory->total = device->total;
  memory->reserved = device->reserved;
  memory->used = device->used;
  memory->free = device->total - device->reserved - device->used;
  return NVML_SUCCESS;
}
#endif

/* As real NVML: the old struct's "used" includes what the driver reserves. */
EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
  nvmlReturn_t result = check_device(device);
  if (result != NVML_SUCCESS) {
    return result;
  }
  memory->total = device->total;
  memory->used = device->reserved + device->used;
  memory->free = device->total - device->reserved - device->used;
  return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device,
                                                  nvmlUtilization_t *utilization) {
  nvmlReturn_t result = check_device(device);
  if (result != NVML_SUCCESS) {
    return result;
  }
  if (device->utilization_result != NVML_SUCCESS) {
    return device->utilization_result;
  }
  utilization->gpu = device->gpu_percent;
  utilization->memory = device->memory_percent;
  return NVML_SUCCESS;
}

/*
 * The list has processes_first entries when first asked and gains one each time the caller's
 * buffer turns out too small, up to processes_last: the race the resize loop exists for.
 */
static nvmlReturn_t processes(const char *function, nvmlDevice_t device, unsigned int *count,
                              void *infos, size_t stride) {
  nvmlReturn_t result = check_device(device);
  if (result != NVML_SUCCESS) {
    return result;
  }
  if (count == NULL) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  process_calls[device_index(device)]++;
  last_process_function = function;
  unsigned int listed = device->processes_first;
  if (device_index(device) == 0) {
    listed += processes_grown;
  }
  if (*count < listed) {
    *count = listed;
    if (device_index(device) == 0 && listed < device->processes_last) {
      processes_grown++;
    }
    return NVML_ERROR_INSUFFICIENT_SIZE;
  }
  if (listed > 0 && infos == NULL) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  for (unsigned int i = 0; i < listed; i++) {
    char *entry = (char *)infos + i * stride;
    unsigned int pid = 4100 + i;
    unsigned long long used = (i + 1) * 256 * MIB;
    if (stride == sizeof(nvmlProcessInfo_t)) {
      nvmlProcessInfo_t *info = (nvmlProcessInfo_t *)entry;
      info->pid = pid;
      info->usedGpuMemory = used;
      info->gpuInstanceId = NO_INSTANCE;
      info->computeInstanceId = NO_INSTANCE;
    } else {
      nvmlProcessInfo_v1_t *info = (nvmlProcessInfo_v1_t *)entry;
      info->pid = pid;
      info->usedGpuMemory = used;
    }
  }
  *count = listed;
  return NVML_SUCCESS;
}

#ifndef FAKE_NO_PROCESSES_V3
EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device,
                                                            unsigned int *count,
                                                            nvmlProcessInfo_t *infos) {
  return processes("v3", device, count, infos, sizeof(nvmlProcessInfo_t));
}
#endif

#ifndef FAKE_NO_PROCESSES_V2
EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t device,
                                                            unsigned int *count,
                                                            nvmlProcessInfo_t *infos) {
  return processes("v2", device, count, infos, sizeof(nvmlProcessInfo_t));
}
#endif

EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t device, unsigned int *count,
                                                         nvmlProcessInfo_v1_t *infos) {
  return processes("v1", device, count, infos, sizeof(nvmlProcessInfo_v1_t));
}

EXPORT nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power) {
  nvmlReturn_t result = check_device(device);
  if (result != NVML_SUCCESS) {
    return result;
  }
  if (device->power_result != NVML_SUCCESS) {
    return device->power_result;
  }
  *power = device->power_mw;
  return NVML_SUCCESS;
}

#ifndef FAKE_NO_TEMPERATURE_V
EXPORT nvmlReturn_t nvmlDeviceGetTemperatureV(nvmlDevice_t device,
                                              nvmlTemperature_t *temperature) {
  nvmlReturn_t result = check_device(device);
  if (result != NVML_SUCCESS) {
    return result;
  }
  if (temperature->version != TEMPERATURE_V1_VERSION) {
    return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
  }
  if (temperature->sensorType != 0) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  temperature->temperature = device->temperature;
  return NVML_SUCCESS;
}
#endif

/* One degree cooler than the versioned query, so that tests see which one was called. */
EXPORT nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, unsigned int sensor,
                                             unsigned int *temperature) {
  nvmlReturn_t result = check_device(device);
  if (result != NVML_SUCCESS) {
    return result;
  }
  if (sensor != 0) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  *temperature = (unsigned int)(device->temperature - 1);
  return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t device, unsigned int type,
                                           unsigned int *clock) {
  nvmlReturn_t result = check_device(device);
  if (result != NVML_SUCCESS) {
    return result;
  }
  if (type == 1) {
    *clock = device->sm_clock_mhz;
    return NVML_SUCCESS;
  }
#ifndef FAKE_NO_EXTRAS
  if (type == 2 && device->extras_result == NVML_SUCCESS) {
    *clock = device->mem_clock_mhz;
    return NVML_SUCCESS;
  }
#endif
  return NVML_ERROR_NOT_SUPPORTED; /* only the SM and memory clocks are faked */
}

EXPORT nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t device, unsigned int *current,
                                         unsigned int *pending) {
  nvmlReturn_t result = check_device(device);
  if (result != NVML_SUCCESS) {
    return result;
  }
  *current = device->mig_mode;
  *pending = device->mig_mode;
  return NVML_SUCCESS;
}

#ifndef FAKE_NO_EXTRAS
/* SUCCESS when the further query may answer for this GPU. */
static nvmlReturn_t check_extras(nvmlDevice_t device) {
  nvmlReturn_t result = check_device(device);
  return result != NVML_SUCCESS ? result : device->extras_result;
}

typedef struct {
  char busIdLegacy[16];
  unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
  char busId[32];
} nvmlPciInfo_t;

_Static_assert(sizeof(nvmlPciInfo_t) == 68, "nvmlPciInfo_t is 68 bytes");

EXPORT nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t *pci) {
  nvmlReturn_t result = check_device(device);
  if (result != NVML_SUCCESS) {
    return result;
  }
  if (device->pci_bus_id == NULL) {
    return NVML_ERROR_NOT_SUPPORTED;
  }
  memset(pci, 0, sizeof(*pci));
  strncpy(pci->busIdLegacy, device->pci_bus_id + 4, sizeof(pci->busIdLegacy) - 1);
  strncpy(pci->busId, device->pci_bus_id, sizeof(pci->busId) - 1);
  pci->pciDeviceId = 0x233010DEu; /* never read: it sits between the two strings */
  return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetMinorNumber(nvmlDevice_t device, unsigned int *minor) {
  nvmlReturn_t result = check_device(device);
  if (result != NVML_SUCCESS) {
    return result;
  }
  if (device->pci_bus_id == NULL) {
    return NVML_ERROR_NOT_SUPPORTED;
  }
  *minor = device->minor;
  return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetEncoderUtilization(nvmlDevice_t device, unsigned int *percent,
                                                    unsigned int *period_us) {
  nvmlReturn_t result = check_extras(device);
  if (result == NVML_SUCCESS) {
    *percent = device->enc_percent;
    *period_us = 167000;
  }
  return result;
}

EXPORT nvmlReturn_t nvmlDeviceGetDecoderUtilization(nvmlDevice_t device, unsigned int *percent,
                                                    unsigned int *period_us) {
  nvmlReturn_t result = check_extras(device);
  if (result == NVML_SUCCESS) {
    *percent = device->dec_percent;
    *period_us = 167000;
  }
  return result;
}

EXPORT nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device,
                                                        unsigned long long *energy) {
  nvmlReturn_t result = check_extras(device);
  if (result == NVML_SUCCESS) {
    *energy = device->energy_mj;
  }
  return result;
}

EXPORT nvmlReturn_t nvmlDeviceGetPcieReplayCounter(nvmlDevice_t device, unsigned int *value) {
  nvmlReturn_t result = check_extras(device);
  if (result == NVML_SUCCESS) {
    *value = device->pcie_replays;
  }
  return result;
}

/* counter 0 is NVML_PCIE_UTIL_TX_BYTES, 1 NVML_PCIE_UTIL_RX_BYTES. */
EXPORT nvmlReturn_t nvmlDeviceGetPcieThroughput(nvmlDevice_t device, unsigned int counter,
                                                unsigned int *value) {
  nvmlReturn_t result = check_extras(device);
  if (result != NVML_SUCCESS) {
    return result;
  }
  if (counter > 1) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  *value = counter == 0 ? device->pcie_tx_kbs : device->pcie_rx_kbs;
  return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetRemappedRows(nvmlDevice_t device, unsigned int *correctable,
                                              unsigned int *uncorrectable, unsigned int *pending,
                                              unsigned int *failed) {
  nvmlReturn_t result = check_extras(device);
  if (result == NVML_SUCCESS) {
    *correctable = device->remapped_correctable;
    *uncorrectable = device->remapped_uncorrectable;
    *pending = 0;
    *failed = device->remap_failed;
  }
  return result;
}

/* As NVML: with *count smaller than the list, the count alone and INSUFFICIENT_SIZE. */
EXPORT nvmlReturn_t nvmlDeviceGetRetiredPages(nvmlDevice_t device, unsigned int cause,
                                              unsigned int *count, unsigned long long *addresses) {
  nvmlReturn_t result = check_extras(device);
  if (result != NVML_SUCCESS) {
    return result;
  }
  if (cause > 1 || count == NULL) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  unsigned int pages = cause == 0 ? device->retired_sbe : device->retired_dbe;
  if (*count < pages) {
    *count = pages;
    return NVML_ERROR_INSUFFICIENT_SIZE;
  }
  for (unsigned int i = 0; i < pages; i++) {
    addresses[i] = 0x1000ull * (i + 1);
  }
  *count = pages;
  return NVML_SUCCESS;
}

typedef struct {
  unsigned int fieldId;
  unsigned int scopeId;
  long long timestamp;
  long long latencyUsec;
  int valueType;
  nvmlReturn_t nvmlReturn;
  union {
    double dVal;
    unsigned int uiVal;
    unsigned long long ullVal;
  } value;
} nvmlFieldValue_t;

_Static_assert(sizeof(nvmlFieldValue_t) == 40, "nvmlFieldValue_t is 40 bytes");

/* Memory temperature (82) as an unsigned int, NVLink data TX/RX (138/139) as unsigned long long. */
EXPORT nvmlReturn_t nvmlDeviceGetFieldValues(nvmlDevice_t device, int count,
                                             nvmlFieldValue_t *values) {
  nvmlReturn_t result = check_device(device);
  if (result != NVML_SUCCESS) {
    return result;
  }
  for (int i = 0; i < count; i++) {
    nvmlFieldValue_t *v = &values[i];
    v->timestamp = 1700000000000000ll;
    v->nvmlReturn = device->extras_result;
    if (device->extras_result != NVML_SUCCESS) {
      continue;
    }
    switch (v->fieldId) {
      case 82: v->valueType = 1; v->value.uiVal = device->mem_temp; break;
      case 138: v->valueType = 3; v->value.ullVal = device->nvlink_tx_kib; break;
      case 139: v->valueType = 3; v->value.ullVal = device->nvlink_rx_kib; break;
      default: v->nvmlReturn = NVML_ERROR_NOT_SUPPORTED;
    }
  }
  return NVML_SUCCESS;
}

typedef void *nvmlEventSet_t;

typedef struct {
  nvmlDevice_t device;
  unsigned long long eventType;
  unsigned long long eventData;
  unsigned int gpuInstanceId;
  unsigned int computeInstanceId;
} nvmlEventData_t;

_Static_assert(sizeof(nvmlEventData_t) == 32, "nvmlEventData_t is 32 bytes");

EXPORT nvmlReturn_t nvmlEventSetCreate(nvmlEventSet_t *set) {
  if (init_count == 0) {
    return NVML_ERROR_UNINITIALIZED;
  }
  *set = &event_set_token;
  return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceRegisterEvents(nvmlDevice_t device, unsigned long long types,
                                             nvmlEventSet_t set) {
  nvmlReturn_t result = check_device(device);
  if (result != NVML_SUCCESS) {
    return result;
  }
  if (set != &event_set_token || types != 0x8ull) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  if (device->events_result != NVML_SUCCESS) {
    return device->events_result;
  }
  registered[device_index(device)] = 1;
  return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlEventSetWait_v2(nvmlEventSet_t set, nvmlEventData_t *data,
                                        unsigned int timeout_ms) {
  (void)timeout_ms; /* never waits: the agent only asks with 0 */
  if (set != &event_set_token) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  if (queued_count == 0) {
    return NVML_ERROR_TIMEOUT;
  }
  data->device = queued[0].device;
  data->eventType = 0x8ull;
  data->eventData = queued[0].xid;
  data->gpuInstanceId = NO_INSTANCE;
  data->computeInstanceId = NO_INSTANCE;
  memmove(&queued[0], &queued[1], sizeof(queued[0]) * (size_t)(queued_count - 1));
  queued_count--;
  return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlEventSetFree(nvmlEventSet_t set) {
  return set == &event_set_token ? NVML_SUCCESS : NVML_ERROR_INVALID_ARGUMENT;
}
#endif

/* For the tests only: the driver reports XID xid on GPU index; 0 when queued, -1 when not. */
EXPORT int fake_nvml_inject_xid(unsigned int index, unsigned int xid) {
  if (index >= DEVICE_COUNT || !registered[index] || queued_count == MAX_EVENTS) {
    return -1;
  }
  queued[queued_count].device = &devices[index];
  queued[queued_count].xid = xid;
  queued_count++;
  return 0;
}

/* For the tests only: how the last sample read the process list. */
EXPORT int fake_nvml_process_calls(unsigned int index) {
  return index < DEVICE_COUNT ? process_calls[index] : -1;
}

EXPORT const char *fake_nvml_last_process_function(void) { return last_process_function; }

EXPORT int fake_nvml_init_count(void) { return init_count; }
