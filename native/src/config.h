/* The environment contract with the node agent's device plugin (see native/README.md). */
#ifndef TESSERA_CONFIG_H
#define TESSERA_CONFIG_H

#include <limits.h>
#include <stdint.h>

#define TESSERA_MAX_DEVICES 64
/* Larger limits are treated as malformed: keeps every sum below overflow with room to spare. */
#define TESSERA_MAX_LIMIT_BYTES (1ull << 60)

#define TESSERA_ENV_LIMITS "TESSERA_GPU_MEMORY_LIMITS"
#define TESSERA_ENV_USAGE_DIR "TESSERA_USAGE_DIR"
#define TESSERA_ENV_LOG_LEVEL "TESSERA_LOG_LEVEL"
#define TESSERA_ENV_DISABLE "TESSERA_DISABLE"

typedef struct tessera_config {
    int enforce;      /* 1: limits apply; 0: every call passes through untouched */
    int device_count; /* number of entries in limits[] */
    uint64_t limits[TESSERA_MAX_DEVICES];
    char usage_dir[PATH_MAX];
} tessera_config;

/*
 * Reads the environment. Sets the log level as a side effect. On missing or malformed
 * configuration returns with enforce == 0 after logging exactly one line saying why.
 */
void tessera_config_load(tessera_config *cfg);

/* Strict parse of "123,456": decimal digits only, no empty entries. Returns count or -1. */
int tessera_parse_limits(const char *text, uint64_t *limits, int max);

#endif
