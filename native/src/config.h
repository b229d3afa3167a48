/* The environment contract with the node agent's device plugin (see native/README.md). */
#ifndef TESSERA_CONFIG_H
#define TESSERA_CONFIG_H

#include <limits.h>
#include <stdint.h>

#define TESSERA_MAX_DEVICES 64
/* Larger limits are treated as malformed: keeps every sum below overflow with room to spare. */
#define TESSERA_MAX_LIMIT_BYTES (1ull << 60)

#define TESSERA_ENV_LIMITS "TESSERA_GPU_MEMORY_LIMITS"
#define TESSERA_ENV_REQUESTS "TESSERA_GPU_MEMORY_REQUESTS"
#define TESSERA_ENV_LOAN_WAIT_MS "TESSERA_LOAN_WAIT_MS"
#define TESSERA_ENV_COMPUTE_SHARES "TESSERA_GPU_COMPUTE_SHARES"
#define TESSERA_ENV_SWAP "TESSERA_GPU_SWAP"
#define TESSERA_ENV_SWAP_HOST_BYTES "TESSERA_GPU_SWAP_HOST_BYTES"
#define TESSERA_ENV_SWAP_IDLE_MS "TESSERA_GPU_SWAP_IDLE_MS"
#define TESSERA_ENV_USAGE_DIR "TESSERA_USAGE_DIR"
#define TESSERA_ENV_LOG_LEVEL "TESSERA_LOG_LEVEL"
#define TESSERA_ENV_DISABLE "TESSERA_DISABLE"
/* Set by the device plugin (and read by the NVIDIA container runtime): the visible GPUs'
 * UUIDs, comma-separated, in the same order as TESSERA_GPU_MEMORY_LIMITS. */
#define TESSERA_ENV_VISIBLE_DEVICES "NVIDIA_VISIBLE_DEVICES"

#define TESSERA_DEFAULT_LOAN_WAIT_MS 5000u
/* Ten minutes: longer than any agent reclaim should take, short enough to stay a wait. */
#define TESSERA_MAX_LOAN_WAIT_MS 600000u
/* A minute without a launch, copy or synchronisation: an inference server between bursts of
 * requests stays resident, one nobody has called for a while goes to host memory. */
#define TESSERA_DEFAULT_SWAP_IDLE_MS 60000u
#define TESSERA_MAX_SWAP_IDLE_MS 86400000u /* a day */

typedef struct tessera_config {
    int enforce;      /* 1: limits apply; 0: every call passes through untouched */
    int device_count; /* number of entries in limits[] */
    uint64_t limits[TESSERA_MAX_DEVICES];
    uint64_t requests[TESSERA_MAX_DEVICES]; /* guaranteed share, <= the limit; the limit when
                                             * TESSERA_GPU_MEMORY_REQUESTS is not set */
    uint32_t loan_wait_ms; /* how long an allocation within its request waits for loans */
    /* Percent of each device's time the container is guaranteed (1-100) when others want it
     * too; 100 (or TESSERA_GPU_COMPUTE_SHARES unset or malformed): launches are not paced. */
    uint32_t compute_shares[TESSERA_MAX_DEVICES];
    int pacing; /* 1 if any device has a share below 100 */
    /* GPU memory swap (TESSERA_GPU_SWAP=1 with a host budget): allocations are served so that
     * they can be moved to host memory while the process is idle. 0: today's behaviour. */
    int swap;
    uint64_t swap_host_bytes[TESSERA_MAX_DEVICES]; /* host memory the container may hold for
                                                    * each device's swapped memory */
    uint32_t swap_idle_ms; /* idle this long: swap out (0: only when the node agent asks) */
    char usage_dir[PATH_MAX];
    /* NVIDIA_VISIBLE_DEVICES as read once (empty if unset or too long): maps an NVML device,
     * by UUID, to its entry in limits[]. */
    char visible_devices[8192];
} tessera_config;

/*
 * Reads the environment. Sets the log level as a side effect. On missing or malformed
 * configuration returns with enforce == 0 after logging exactly one line saying why; a
 * malformed TESSERA_LOAN_WAIT_MS only costs its default (one line), never enforcement.
 */
void tessera_config_load(tessera_config *cfg);

/* The process's configuration, loaded on the first call (pthread_once) and fixed after: the
 * CUDA init and the NVML queries share it, so a bad configuration is reported once. Loading
 * it touches no usage file. */
const tessera_config *tessera_config_get(void);

/* The position of `uuid` in NVIDIA_VISIBLE_DEVICES (compared ignoring case, as UUIDs are), or
 * -1 when it is not there. */
int tessera_config_visible_index(const tessera_config *cfg, const char *uuid);

/* Strict parse of "123,456": decimal digits only, no empty entries. Returns count or -1. */
int tessera_parse_limits(const char *text, uint64_t *limits, int max);

#endif
