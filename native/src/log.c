#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* Relaxed atomics: the level is written once during init and read on every log call. */
static int g_level = TESSERA_LOG_WARN;

static const char *const k_level_names[] = {"error", "warn", "info", "debug"};

void tessera_log_set_level(int level) { __atomic_store_n(&g_level, level, __ATOMIC_RELAXED); }

int tessera_log_enabled(int level) { return level <= __atomic_load_n(&g_level, __ATOMIC_RELAXED); }

int tessera_log_parse_level(const char *text) {
    for (int i = 0; i < (int)(sizeof k_level_names / sizeof k_level_names[0]); i++) {
        if (strcasecmp(text, k_level_names[i]) == 0) return i;
    }
    return -1;
}

uint64_t tessera_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The CAS on next_ns picks one winner per interval among racing threads; the count of the
 * lines dropped meanwhile goes out with the winner's line. */
long long tessera_log_limited(tessera_log_limit *limit, int level, uint64_t interval_ns) {
    if (!tessera_log_enabled(level)) return -1;
    uint64_t now = tessera_now_ns();
    uint64_t next = __atomic_load_n(&limit->next_ns, __ATOMIC_RELAXED);
    if (now < next || !__atomic_compare_exchange_n(&limit->next_ns, &next, now + interval_ns, 0,
                                                   __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
        __atomic_add_fetch(&limit->dropped, 1, __ATOMIC_RELAXED);
        return -1;
    }
    return (long long)__atomic_exchange_n(&limit->dropped, 0, __ATOMIC_RELAXED);
}

/*
 * Formats into a stack buffer and emits it with a single write(2): no stdio lock (the
 * workload may hold it), no allocation, and lines from concurrent threads never interleave.
 */
void tessera_log(int level, const char *fmt, ...) {
    if (!tessera_log_enabled(level)) return;
    char line[512];
    int n = snprintf(line, sizeof line, "tessera-cuda[%d] %s: ", (int)getpid(), k_level_names[level]);
    if (n < 0) return;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2) len = sizeof line - 2;
    line[len++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, line, len);
    (void)ignored;
}
