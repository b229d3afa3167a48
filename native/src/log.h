/* One-line diagnostics on stderr, filtered by TESSERA_LOG_LEVEL. */
#ifndef TESSERA_LOG_H
#define TESSERA_LOG_H

#include <stdint.h>

enum { TESSERA_LOG_ERROR = 0, TESSERA_LOG_WARN = 1, TESSERA_LOG_INFO = 2, TESSERA_LOG_DEBUG = 3 };

void tessera_log_set_level(int level);
int tessera_log_enabled(int level);
void tessera_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Lets one line per interval through from a call site that can fire in a storm (thousands
 * of allocations failing at once must not flood the workload's stderr). Zero-initialised. */
typedef struct tessera_log_limit {
    uint64_t next_ns; /* CLOCK_MONOTONIC time before which lines are dropped */
    uint64_t dropped; /* lines dropped since the last one let through */
} tessera_log_limit;

/* -1: drop the line (`level` is filtered out, or too soon: then it is counted). Otherwise the
 * caller logs it, and the result is how many lines were dropped since the previous one. */
long long tessera_log_limited(tessera_log_limit *limit, int level, uint64_t interval_ns);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t tessera_now_ns(void);

/* Parses error|warn|info|debug (any case); returns -1 for anything else. */
int tessera_log_parse_level(const char *text);

#endif
