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
 * Build flags take symbols away, as older drivers lack them:
 *   -DFAKE_NO_MEMORY_V2, -DFAKE_NO_PROCESSES_V3, -DFAKE_NO_PROCESSES_V2, -DFAKE_NO_TEMPERATURE_V,
 *   -DFAKE_OLD_DRIVER (all four), and -DFAKE_INIT_RESULT=9 makes nvmlInit_v2 fail with that code.
 */
#include <stddef.h>
#include <string.h>

#ifdef FAKE_OLD_DRIVER
#define FAKE_NO_MEMORY_V2
#define FAKE_NO_PROCESSES_V3
#define FAKE_NO_PROCESSES_V2
#define FAKE_NO_TEMPERATURE_V
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
     .processes_last = 4},
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
     .mig_mode = 1},
    {.uuid = "GPU-33333333-4444-5555-6666-777777777777",
     .name = "Fake lost GPU",
     .total = 16 * GIB,
     .reserved = 256 * MIB,
     .used = 1 * GIB,
     .utilization_result = NVML_ERROR_GPU_IS_LOST},
};

#define DEVICE_COUNT (sizeof(devices) / sizeof(devices[0]))

static int init_count;
/* Entries device 0's process list has gained since nvmlInit_v2. */
static unsigned int processes_grown;
/* Calls to the process functions per GPU since nvmlInit_v2, and the last function called. */
static int process_calls[DEVICE_COUNT];
static const char *last_process_function = "";

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
  if (type != 1) {
    return NVML_ERROR_NOT_SUPPORTED; /* only the SM clock is faked */
  }
  *clock = device->sm_clock_mhz;
  return NVML_SUCCESS;
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

/* For the tests only: how the last sample read the process list. */
EXPORT int fake_nvml_process_calls(unsigned int index) {
  return index < DEVICE_COUNT ? process_calls[index] : -1;
}

EXPORT const char *fake_nvml_last_process_function(void) { return last_process_function; }

EXPORT int fake_nvml_init_count(void) { return init_count; }
