/* Minimal assertions for the C tests. Output goes to stdout: some tests count stderr lines. */
#ifndef TESSERA_TCHECK_H
#define TESSERA_TCHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int g_failures;

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            g_failures++;                                                     \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
            printf(__VA_ARGS__);                                              \
            printf("\n");                                                     \
            fflush(stdout);                                                   \
        }                                                                     \
    } while (0)

#define CHECK_EQ_U64(actual, expected, what)                                  \
    do {                                                                      \
        uint64_t a_ = (uint64_t)(actual), e_ = (uint64_t)(expected);          \
        CHECK(a_ == e_, "%s: got %llu, want %llu", what, (unsigned long long)a_, \
              (unsigned long long)e_);                                        \
    } while (0)

#define CHECK_RC(call, expected)                                              \
    do {                                                                      \
        int rc_ = (int)(call);                                                \
        CHECK(rc_ == (expected), "%s returned %d, want %d", #call, rc_, (int)(expected)); \
    } while (0)

static inline uint64_t env_u64_or(const char *name, uint64_t fallback) {
    const char *v = getenv(name);
    return v && *v ? strtoull(v, NULL, 10) : fallback;
}

/* First entry of TESSERA_GPU_MEMORY_LIMITS: device 0's limit. */
static inline uint64_t limit0(void) { return env_u64_or("TESSERA_GPU_MEMORY_LIMITS", 0); }

static inline int finish(const char *name) {
    if (g_failures == 0) printf("ok %s\n", name);
    else printf("%d check(s) failed in %s\n", g_failures, name);
    return g_failures == 0 ? 0 : 1;
}

#endif
