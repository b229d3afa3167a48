#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* One byte count per device from the variable `name`; -1, with a warning, when it is malformed. */
static int parse_byte_list(const char *name, const char *text, uint64_t *out) {
    int count = tessera_parse_limits(text, out, TESSERA_MAX_DEVICES);
    if (count < 0) {
        tessera_log(TESSERA_LOG_WARN,
                    "%s=\"%.64s\" is malformed (want comma-separated byte counts); "
                    "GPU memory limits are not enforced",
                    name, text);
    }
    return count;
}

static int load_limits(tessera_config *cfg) {
    const char *text = getenv(TESSERA_ENV_LIMITS);
    if (text == NULL) {
        tessera_log(TESSERA_LOG_WARN, "%s is not set; GPU memory limits are not enforced",
                    TESSERA_ENV_LIMITS);
        return -1;
    }
    int count = parse_byte_list(TESSERA_ENV_LIMITS, text, cfg->limits);
    if (count < 0) return -1;
    cfg->device_count = count;
    return 0;
}

/*
 * Optional: without it every request is its limit (nothing is on loan). A request of 0 under
 * a non-zero limit is refused too: the usage file's request_bytes reads 0 as "same as the
 * limit", so the node agent would see the opposite of what was meant.
 */
static int load_requests(tessera_config *cfg) {
    const char *text = getenv(TESSERA_ENV_REQUESTS);
    if (text == NULL) {
        memcpy(cfg->requests, cfg->limits, sizeof cfg->requests);
        return 0;
    }
    int count = parse_byte_list(TESSERA_ENV_REQUESTS, text, cfg->requests);
    if (count < 0) return -1;
    if (count != cfg->device_count) {
        tessera_log(TESSERA_LOG_WARN, "%s has %d entries but %s has %d; GPU memory limits are "
                    "not enforced", TESSERA_ENV_REQUESTS, count, TESSERA_ENV_LIMITS,
                    cfg->device_count);
        return -1;
    }
    for (int i = 0; i < count; i++) {
        uint64_t request = cfg->requests[i], limit = cfg->limits[i];
        if (request <= limit && (request != 0 || limit == 0)) continue;
        tessera_log(TESSERA_LOG_WARN, "%s: device %d's request %llu does not fit its limit %llu "
                    "(want 1 byte to the limit); GPU memory limits are not enforced",
                    TESSERA_ENV_REQUESTS, i, (unsigned long long)request,
                    (unsigned long long)limit);
        return -1;
    }
    return 0;
}

/* A bad wait is not worth giving up the limits for: the default applies instead. Empty counts
 * as unset, as for TESSERA_LOG_LEVEL. */
static void load_loan_wait(tessera_config *cfg) {
    const char *text = getenv(TESSERA_ENV_LOAN_WAIT_MS);
    cfg->loan_wait_ms = TESSERA_DEFAULT_LOAN_WAIT_MS;
    if (text == NULL || *text == '\0') return;
    uint64_t ms;
    if (tessera_parse_limits(text, &ms, 1) != 1 || ms > TESSERA_MAX_LOAN_WAIT_MS) {
        tessera_log(TESSERA_LOG_WARN, "%s=\"%.32s\" is not a number of milliseconds from 0 to %u; "
                    "using %u", TESSERA_ENV_LOAN_WAIT_MS, text, TESSERA_MAX_LOAN_WAIT_MS,
                    TESSERA_DEFAULT_LOAN_WAIT_MS);
        return;
    }
    cfg->loan_wait_ms = (uint32_t)ms;
}

/* Like the loan wait, a bad share costs only the pacing, never the limits: one line, and every
 * device's launches go unpaced. Empty counts as unset. */
static void load_compute_shares(tessera_config *cfg) {
    const char *text = getenv(TESSERA_ENV_COMPUTE_SHARES);
    for (int i = 0; i < TESSERA_MAX_DEVICES; i++) cfg->compute_shares[i] = 100;
    if (text == NULL || *text == '\0') return;
    uint64_t shares[TESSERA_MAX_DEVICES];
    int count = tessera_parse_limits(text, shares, TESSERA_MAX_DEVICES);
    int ok = count == cfg->device_count;
    for (int i = 0; ok && i < count; i++) ok = shares[i] >= 1 && shares[i] <= 100;
    if (!ok) {
        tessera_log(TESSERA_LOG_WARN, "%s=\"%.64s\" is not one percentage from 1 to 100 per "
                    "device of %s; kernel launches are not paced", TESSERA_ENV_COMPUTE_SHARES,
                    text, TESSERA_ENV_LIMITS);
        return;
    }
    for (int i = 0; i < count; i++) {
        cfg->compute_shares[i] = (uint32_t)shares[i];
        if (shares[i] < 100) cfg->pacing = 1;
    }
}

/*
 * Swap is opt-in: TESSERA_GPU_SWAP=1 with a host budget per device. Like the compute shares, a
 * bad value costs only the swap (one line), never the limits. Empty counts as unset.
 */
static void load_swap(tessera_config *cfg) {
    const char *on = getenv(TESSERA_ENV_SWAP);
    if (on == NULL || *on == '\0' || strcmp(on, "0") == 0) return;
    if (strcmp(on, "1") != 0) {
        tessera_log(TESSERA_LOG_WARN, "%s=\"%.32s\" is not 0 or 1; GPU memory is not swapped",
                    TESSERA_ENV_SWAP, on);
        return;
    }
    const char *text = getenv(TESSERA_ENV_SWAP_HOST_BYTES);
    int count = text != NULL && *text != '\0'
                    ? tessera_parse_limits(text, cfg->swap_host_bytes, TESSERA_MAX_DEVICES)
                    : -1;
    if (count != cfg->device_count) {
        memset(cfg->swap_host_bytes, 0, sizeof cfg->swap_host_bytes);
        tessera_log(TESSERA_LOG_WARN, "%s=1 needs %s: one byte count per device of %s (got "
                    "\"%.64s\"); GPU memory is not swapped", TESSERA_ENV_SWAP,
                    TESSERA_ENV_SWAP_HOST_BYTES, TESSERA_ENV_LIMITS, text != NULL ? text : "");
        return;
    }
    cfg->swap = 1;
    cfg->swap_idle_ms = TESSERA_DEFAULT_SWAP_IDLE_MS;
    const char *idle = getenv(TESSERA_ENV_SWAP_IDLE_MS);
    if (idle == NULL || *idle == '\0') return;
    uint64_t ms;
    if (tessera_parse_limits(idle, &ms, 1) != 1 || ms > TESSERA_MAX_SWAP_IDLE_MS) {
        tessera_log(TESSERA_LOG_WARN, "%s=\"%.32s\" is not a number of milliseconds from 0 to "
                    "%u; using %u", TESSERA_ENV_SWAP_IDLE_MS, idle, TESSERA_MAX_SWAP_IDLE_MS,
                    TESSERA_DEFAULT_SWAP_IDLE_MS);
        return;
    }
    cfg->swap_idle_ms = (uint32_t)ms;
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

/* Only the NVML queries use it: a value too long to keep costs them their mapping (they pass
 * through), never the limits. Unset (no container runtime) leaves it empty, with the same
 * effect. */
static void load_visible_devices(tessera_config *cfg) {
    const char *text = getenv(TESSERA_ENV_VISIBLE_DEVICES);
    if (text == NULL) return;
    if (strlen(text) >= sizeof cfg->visible_devices) {
        tessera_log(TESSERA_LOG_DEBUG, "%s is longer than %zu bytes; NVML memory queries pass "
                    "through", TESSERA_ENV_VISIBLE_DEVICES, sizeof cfg->visible_devices - 1);
        return;
    }
    strcpy(cfg->visible_devices, text);
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
    if (load_limits(cfg) != 0 || load_requests(cfg) != 0 || load_usage_dir(cfg) != 0) return;
    load_loan_wait(cfg); /* only once enforcing: a pass-through process has no use for it */
    load_compute_shares(cfg);
    load_swap(cfg);
    load_visible_devices(cfg);
    cfg->enforce = 1;
}

static tessera_config g_config; /* static: PATH_MAX-sized, and init may run on a small stack */
static pthread_once_t g_config_once = PTHREAD_ONCE_INIT;

static void load_once(void) { tessera_config_load(&g_config); }

const tessera_config *tessera_config_get(void) {
    pthread_once(&g_config_once, load_once);
    return &g_config;
}

int tessera_config_visible_index(const tessera_config *cfg, const char *uuid) {
    size_t len = strlen(uuid);
    const char *start = cfg->visible_devices;
    for (int i = 0; len > 0; i++) {
        const char *end = strchr(start, ',');
        if (end == NULL) end = start + strlen(start);
        if ((size_t)(end - start) == len && strncasecmp(start, uuid, len) == 0) return i;
        if (*end == '\0') break;
        start = end + 1;
    }
    return -1;
}
