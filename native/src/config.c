#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

static int parse_one_limit(const char *start, const char *end, uint64_t *out) {
    if (start == end) return -1;
    uint64_t value = 0;
    for (const char *p = start; p < end; p++) {
        if (*p < '0' || *p > '9') return -1;
        value = value * 10 + (uint64_t)(*p - '0');
        if (value > TESSERA_MAX_LIMIT_BYTES) return -1;
    }
    *out = value;
    return 0;
}

int tessera_parse_limits(const char *text, uint64_t *limits, int max) {
    int count = 0;
    const char *start = text;
    for (;;) {
        const char *end = strchr(start, ',');
        if (end == NULL) end = start + strlen(start);
        if (count == max || parse_one_limit(start, end, &limits[count]) != 0) return -1;
        count++;
        if (*end == '\0') return count;
        start = end + 1;
    }
}

static void load_log_level(void) {
    const char *text = getenv(TESSERA_ENV_LOG_LEVEL);
    if (text == NULL || *text == '\0') return;
    int level = tessera_log_parse_level(text);
    if (level < 0) {
        tessera_log(TESSERA_LOG_WARN, "%s=%.32s is not error|warn|info|debug; using warn",
                    TESSERA_ENV_LOG_LEVEL, text);
        return;
    }
    tessera_log_set_level(level);
}

static int load_limits(tessera_config *cfg) {
    const char *text = getenv(TESSERA_ENV_LIMITS);
    if (text == NULL) {
        tessera_log(TESSERA_LOG_WARN, "%s is not set; GPU memory limits are not enforced",
                    TESSERA_ENV_LIMITS);
        return -1;
    }
    int count = tessera_parse_limits(text, cfg->limits, TESSERA_MAX_DEVICES);
    if (count < 0) {
        tessera_log(TESSERA_LOG_WARN,
                    "%s=\"%.64s\" is malformed (want comma-separated byte counts); "
                    "GPU memory limits are not enforced",
                    TESSERA_ENV_LIMITS, text);
        return -1;
    }
    cfg->device_count = count;
    return 0;
}

static int load_usage_dir(tessera_config *cfg) {
    const char *dir = getenv(TESSERA_ENV_USAGE_DIR);
    if (dir == NULL || *dir == '\0' || strlen(dir) >= sizeof cfg->usage_dir - 32) {
        tessera_log(TESSERA_LOG_WARN, "%s is not set or too long; GPU memory limits are not enforced",
                    TESSERA_ENV_USAGE_DIR);
        return -1;
    }
    strcpy(cfg->usage_dir, dir);
    return 0;
}

void tessera_config_load(tessera_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    load_log_level();
    const char *disable = getenv(TESSERA_ENV_DISABLE);
    if (disable != NULL && strcmp(disable, "1") == 0) {
        tessera_log(TESSERA_LOG_INFO, "disabled by %s=1", TESSERA_ENV_DISABLE);
        return;
    }
    /* Checked in this order and stopping at the first problem: one line per process. */
    if (load_limits(cfg) != 0 || load_usage_dir(cfg) != 0) return;
    cfg->enforce = 1;
}
