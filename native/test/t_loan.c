/*
 * One GPU tenant for the loan tests: t_loan_agent here, and the node agent's Java tests
 * (keep this interface):
 *   t_loan hold <bytes>   cuMemAlloc_v2(<bytes>); on success prints "held <bytes>" and blocks
 *                         until killed, else prints "oom <CUresult>" and exits 3
 *   t_loan alloc <bytes>  cuMemAlloc_v2(<bytes>); prints "allocated <bytes>" and exits 0, or
 *                         "oom <CUresult>" and exits 3
 *   t_loan stay <bytes>   cuMemAlloc_v2(<bytes>); prints "allocated <bytes>" or "oom <CUresult>"
 *                         and either way blocks until killed (a refused process that lives on,
 *                         so the agent can read its slot)
 * Nothing else goes to stdout. Bad arguments: a usage line on stderr, exit 2. Configured like
 * any container: LD_PRELOAD, TESSERA_* and, to share a GPU, TSTUB_SHARED_FILE.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "stub_cuda.h"

/* Decimal digits only, as the library reads its own byte counts. */
static int parse_bytes(const char *text, unsigned long long *out) {
    unsigned long long value = 0;
    if (*text == '\0') return -1;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || value > (~0ull - 9) / 10) return -1;
        value = value * 10 + (unsigned long long)(*p - '0');
    }
    *out = value;
    return 0;
}

int main(int argc, char **argv) {
    unsigned long long bytes = 0;
    int hold = argc == 3 && strcmp(argv[1], "hold") == 0;
    int stay = argc == 3 && strcmp(argv[1], "stay") == 0;
    if (argc != 3 || (!hold && !stay && strcmp(argv[1], "alloc") != 0) ||
        parse_bytes(argv[2], &bytes) != 0 || bytes > (size_t)-1) {
        fprintf(stderr, "usage: t_loan hold|alloc|stay <bytes>\n");
        return 2;
    }
    CUdeviceptr p = 0;
    CUresult rc = cuInit(0);
    if (rc == CUDA_SUCCESS) rc = cuMemAlloc_v2(&p, (size_t)bytes);
    if (rc != CUDA_SUCCESS) {
        printf("oom %d\n", (int)rc);
        fflush(stdout);
        while (stay) pause();
        return 3;
    }
    printf("%s %llu\n", hold ? "held" : "allocated", bytes);
    fflush(stdout);
    while (hold || stay) pause(); /* the memory stays held until a signal kills the process */
    return 0;
}
