/* One-line diagnostics on stderr, filtered by TESSERA_LOG_LEVEL. */
#ifndef TESSERA_LOG_H
#define TESSERA_LOG_H

enum { TESSERA_LOG_ERROR = 0, TESSERA_LOG_WARN = 1, TESSERA_LOG_INFO = 2, TESSERA_LOG_DEBUG = 3 };

void tessera_log_set_level(int level);
int tessera_log_enabled(int level);
void tessera_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses error|warn|info|debug (any case); returns -1 for anything else. */
int tessera_log_parse_level(const char *text);

#endif
