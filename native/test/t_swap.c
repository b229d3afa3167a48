/*
 * GPU memory swap (TESSERA_GPU_SWAP=1), one check per case (run_tests.sh runs each as its own
 * test): t_swap <case>. The stub models the driver's virtual memory management (reservations,
 * physical memory that keeps its bytes in a memfd, mappings, access; a copy or kernel touching
 * a reservation without a readable mapping fails with CUDA_ERROR_ILLEGAL_ADDRESS), pinned host
 * memory and contexts. The test plays the node agent: it writes swap.ctl commands and reads
 * the usage file. Env: device 0 limited to 64 MiB, TESSERA_GPU_SWAP_HOST_BYTES per case, idle
 * swap off unless the case turns it on. No timing is asserted: every wait is for a state, with
 * a generous deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stub_cuda.h"
#include "tcheck.h"
#include "usage_view.h"

#define MiB (1024ull * 1024ull)
#define DEADLINE_NS 20000000000ull /* a loaded build machine may be slow; states are waited for */

static uint64_t now_ns(void) { return tstub_now_ns(); }

static void nap_ms(unsigned ms) {
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- the agent's side ------------------------------------------------------------------- */

static uint64_t g_seq;

/* Writes "<seq> <cmd>" to swap.ctl the way an agent should: a new file renamed over the old. */
static void command(const char *cmd) {
    char path[4096], tmp[4096], line[64];
    const char *dir = getenv("TESSERA_USAGE_DIR");
    snprintf(path, sizeof path, "%s/swap.ctl", dir);
    snprintf(tmp, sizeof tmp, "%s/swap.ctl.%d", dir, (int)getpid());
    int n = snprintf(line, sizeof line, "%llu %s\n", (unsigned long long)++g_seq, cmd);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, line, (size_t)n) == n, "write %s", tmp);
    if (fd >= 0) close(fd);
    CHECK(rename(tmp, path) == 0, "rename to %s", path);
}

typedef struct view {
    uint64_t used;    /* header: the container's device bytes */
    uint64_t mine;    /* this process's slot */
    uint64_t swapped; /* this process's slot */
    uint64_t all_swapped; /* every slot */
    uint32_t flags;
} view;

static view look(int pid) {
    view v = {UINT64_MAX, UINT64_MAX, UINT64_MAX, 0, 0};
    const tessera_usage_header *h = usage_map(0);
    if (h == NULL) return v;
    v.used = usage_total(h);
    const tessera_usage_slot *s = usage_slot_of(h, pid);
    if (s != NULL) {
        v.mine = __atomic_load_n(&s->used_bytes, __ATOMIC_ACQUIRE);
        v.swapped = __atomic_load_n(&s->swapped_bytes, __ATOMIC_ACQUIRE);
        v.flags = __atomic_load_n(&s->flags, __ATOMIC_ACQUIRE);
    }
    for (unsigned i = 0; i < h->slot_count; i++)
        if (__atomic_load_n(&usage_slot(h, i)->pid, __ATOMIC_ACQUIRE) > 0)
            v.all_swapped += __atomic_load_n(&usage_slot(h, i)->swapped_bytes, __ATOMIC_ACQUIRE);
    munmap((void *)h, TESSERA_USAGE_FILE_SIZE);
    return v;
}

/* Waits for a swap-out (want > 0) or swap-in (want 0) of process `pid` to be done: the slot's
 * swapped bytes include one in progress (the host budget is reserved before the copies
 * start), the SWAPPED flag says it is over. */
static int wait_swapped(int pid, uint64_t want) {
    uint64_t until = now_ns() + DEADLINE_NS;
    while (now_ns() < until) {
        view v = look(pid);
        int out = (v.flags & TESSERA_SLOT_FLAG_SWAPPED) != 0;
        if (v.swapped == want && out == (want != 0)) return 1;
        nap_ms(2);
    }
    CHECK(0, "pid %d's swapped bytes never reached %llu (at %llu)", pid,
          (unsigned long long)want, (unsigned long long)look(pid).swapped);
    return 0;
}

/* ---- stderr through a pipe, so a test can wait for the library's line ------------------- */

static int g_err_pipe = -1, g_real_err = -1;
static char g_err_buf[65536];
static size_t g_err_len;

static void capture_stderr(void) {
    int p[2];
    if (pipe(p) != 0) return;
    g_real_err = dup(2);
    dup2(p[1], 2);
    close(p[1]);
    g_err_pipe = p[0];
}

/* Waits until the library has written a line containing `what`; the lines read are passed on
 * to the real stderr when `echo` (the runner counts them), else kept back. 1 if found. */
static int wait_log(const char *what, int echo) {
    uint64_t until = now_ns() + DEADLINE_NS;
    while (now_ns() < until) {
        g_err_buf[g_err_len] = '\0';
        char *hit = strstr(g_err_buf, what);
        if (hit != NULL) {
            char *end = strchr(hit, '\n');
            size_t upto = end != NULL ? (size_t)(end - g_err_buf) + 1 : g_err_len;
            if (echo && write(g_real_err, g_err_buf, upto) < 0) {
            }
            memmove(g_err_buf, g_err_buf + upto, g_err_len - upto);
            g_err_len -= upto;
            return 1;
        }
        struct pollfd pf = {g_err_pipe, POLLIN, 0};
        if (poll(&pf, 1, 10) == 1 && g_err_len < sizeof g_err_buf - 1) {
            ssize_t got = read(g_err_pipe, g_err_buf + g_err_len, sizeof g_err_buf - 1 - g_err_len);
            if (got > 0) g_err_len += (size_t)got;
        }
    }
    CHECK(0, "no stderr line with \"%s\"", what);
    return 0;
}

/* Counts the lines with `what` written so far (kept back), draining the pipe. */
static int count_log(const char *what) {
    struct pollfd pf = {g_err_pipe, POLLIN, 0};
    while (poll(&pf, 1, 0) == 1 && g_err_len < sizeof g_err_buf - 1) {
        ssize_t got = read(g_err_pipe, g_err_buf + g_err_len, sizeof g_err_buf - 1 - g_err_len);
        if (got <= 0) break;
        g_err_len += (size_t)got;
    }
    g_err_buf[g_err_len] = '\0';
    int n = 0;
    for (char *p = strstr(g_err_buf, what); p != NULL; p = strstr(p + 1, what)) n++;
    return n;
}

/* ---- device data ------------------------------------------------------------------------ */

static uint64_t fnv(const unsigned char *p, uint64_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint64_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* Fills [d, d + n) with bytes from `seed`; returns their checksum. */
static uint64_t fill(CUdeviceptr d, uint64_t n, unsigned seed) {
    unsigned char *buf = calloc(1, n);
    uint64_t x = seed * 2654435761u + 1;
    for (uint64_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[i] = (unsigned char)x;
    }
    CHECK_RC(cuMemcpyHtoD_v2(d, buf, n), CUDA_SUCCESS);
    uint64_t sum = fnv(buf, n);
    free(buf);
    return sum;
}

/* The checksum as the application reads it back (a copy: gated, so it swaps in). */
static uint64_t read_back(CUdeviceptr d, uint64_t n) {
    unsigned char *buf = calloc(1, n);
    CHECK_RC(cuMemcpyDtoH_v2(buf, d, n), CUDA_SUCCESS);
    uint64_t sum = fnv(buf, n);
    free(buf);
    return sum;
}

/* The checksum as a kernel reads it (tstub_kernel_sum). */
static CUfunction g_sum_kernel; /* made in main, before any thread */

static CUresult kernel_sum(CUdeviceptr d, uint64_t n, uint64_t *sum) {
    uint64_t *out = sum;
    void *params[] = {&d, &n, &out};
    return cuLaunchKernel(g_sum_kernel, 1, 1, 1, 32, 1, 1, 0, NULL, params, NULL);
}

/* ---- the working set: four ranges of different shapes ------------------------------------ */

#define RANGES 4
typedef struct working_set {
    CUdeviceptr d[RANGES];
    uint64_t size[RANGES]; /* as charged: rounded up to the 2 MiB granule */
    uint64_t sum[RANGES];
    uint64_t total;
} working_set;

static void make_set(working_set *w) {
    static const uint64_t asked[RANGES - 1] = {2 * MiB, 3 * MiB, 8 * MiB};
    w->total = 0;
    for (int i = 0; i < RANGES - 1; i++) {
        CHECK_RC(cuMemAlloc_v2(&w->d[i], asked[i]), CUDA_SUCCESS);
        w->size[i] = (asked[i] + 2 * MiB - 1) / (2 * MiB) * (2 * MiB);
    }
    size_t pitch = 0; /* 1000 bytes wide: pitch 1024 (512-byte steps), 3000 rows: 4 MiB */
    CHECK_RC(cuMemAllocPitch_v2(&w->d[RANGES - 1], &pitch, 1000, 3000, 4), CUDA_SUCCESS);
    CHECK_EQ_U64(pitch, 1024, "pitch");
    w->size[RANGES - 1] = 4 * MiB;
    for (int i = 0; i < RANGES; i++) {
        CHECK(tstub_reserved(w->d[i]) && tstub_accessible(w->d[i], w->size[i]),
              "range %d is mapped virtual memory", i);
        w->sum[i] = fill(w->d[i], w->size[i], (unsigned)i + 1);
        w->total += w->size[i];
    }
}

static void free_set(working_set *w) {
    for (int i = 0; i < RANGES; i++) CHECK_RC(cuMemFree_v2(w->d[i]), CUDA_SUCCESS);
}

static int none_accessible(const working_set *w) {
    for (int i = 0; i < RANGES; i++)
        if (tstub_accessible(w->d[i], w->size[i]) || !tstub_reserved(w->d[i])) return 0;
    return 1;
}

/* ---- cases ------------------------------------------------------------------------------ */

/* Every byte of a multi-range working set survives a swap-out and swap-in, at the same
 * addresses; a free while swapped out gives the host memory back without a swap-in. */
static void case_roundtrip(void) {
    working_set w;
    make_set(&w);
    CUdeviceptr before[RANGES];
    memcpy(before, w.d, sizeof before);
    command("out");
    if (!wait_swapped(getpid(), w.total)) return;
    CHECK(none_accessible(&w), "swapped out: nothing mapped at the ranges, still reserved");
    CHECK_EQ_U64(tstub_used(0), 0, "the driver holds no device memory for them");
    CHECK_EQ_U64(tstub_host_used(), w.total, "their bytes are in pinned host memory");
    command("in");
    if (!wait_swapped(getpid(), 0)) return;
    CHECK_EQ_U64(tstub_host_used(), 0, "host copies freed after swap-in");
    CHECK_EQ_U64(tstub_used(0), w.total, "device memory back");
    for (int i = 0; i < RANGES; i++) {
        CHECK(w.d[i] == before[i], "range %d keeps its address", i);
        CHECK(tstub_accessible(w.d[i], w.size[i]), "range %d mapped again", i);
        CHECK_EQ_U64(read_back(w.d[i], w.size[i]), w.sum[i], "range checksum after swap-in");
    }
    /* Out again, and freed while out: host memory goes, no swap-in happens. */
    command("out");
    if (!wait_swapped(getpid(), w.total)) return;
    CHECK_RC(cuMemFree_v2(w.d[0]), CUDA_SUCCESS);
    CHECK_EQ_U64(look(getpid()).swapped, w.total - w.size[0], "the freed range's budget back");
    CHECK_EQ_U64(tstub_host_used(), w.total - w.size[0], "its host copy freed");
    CHECK(!tstub_reserved(w.d[0]), "its address reservation freed");
    CHECK(!tstub_accessible(w.d[1], w.size[1]), "the others stay out");
    for (int i = 1; i < RANGES; i++)
        CHECK_EQ_U64(read_back(w.d[i], w.size[i]), w.sum[i], "checksum after the next copy");
    for (int i = 1; i < RANGES; i++) CHECK_RC(cuMemFree_v2(w.d[i]), CUDA_SUCCESS);
    CHECK_EQ_U64(tstub_used(0), 0, "all freed");
    CHECK_EQ_U64(tstub_host_used(), 0, "no host memory left");
    CHECK_EQ_U64(look(getpid()).used, 0, "usage 0");
}

/* The usage file: device bytes drop to 0 on swap-out and come back on swap-in, shown as swapped
 * meanwhile; allocations below the granule are plain and stay. */
static void case_usage(void) {
    working_set w;
    make_set(&w);
    view v = look(getpid());
    CHECK_EQ_U64(v.used, w.total, "resident: used is the working set");
    CHECK_EQ_U64(v.swapped, 0, "nothing swapped");
    CHECK(v.flags == TESSERA_SLOT_FLAG_SWAP, "slot flags %#x: swap", v.flags);
    command("out");
    if (!wait_swapped(getpid(), w.total)) return;
    v = look(getpid());
    CHECK_EQ_U64(v.used, 0, "swapped out: the container uses no device memory");
    CHECK_EQ_U64(v.mine, 0, "nor does the slot");
    CHECK(v.flags == (TESSERA_SLOT_FLAG_SWAP | TESSERA_SLOT_FLAG_SWAPPED), "flags %#x", v.flags);
    size_t f = 0, t = 0;
    CHECK_RC(cuMemGetInfo_v2(&f, &t), CUDA_SUCCESS); /* not gated: no swap-in */
    CHECK_EQ_U64(t - f, 0, "cuMemGetInfo agrees");
    command("in");
    if (!wait_swapped(getpid(), 0)) return;
    v = look(getpid());
    CHECK_EQ_U64(v.used, w.total, "swapped in: used back");
    CHECK_EQ_U64(v.mine, w.total, "slot back");
    CHECK(v.flags == TESSERA_SLOT_FLAG_SWAP, "flags %#x", v.flags);
    /* Below the 2 MiB granule: an ordinary allocation, resident through a swap-out. */
    CUdeviceptr small = 0;
    CHECK_RC(cuMemAlloc_v2(&small, 64 * 1024), CUDA_SUCCESS);
    CHECK(!tstub_reserved(small), "a 64 KiB allocation is not virtual memory");
    command("out");
    if (!wait_swapped(getpid(), w.total)) return;
    CHECK_EQ_U64(look(getpid()).used, 64 * 1024, "it stays counted while the rest is out");
    CHECK_RC(cuMemFree_v2(small), CUDA_SUCCESS);
    free_set(&w);
    v = look(getpid());
    CHECK_EQ_U64(v.used, 0, "all freed");
    CHECK_EQ_U64(v.swapped, 0, "nothing swapped");
}

/* Past the host budget a swap-out is refused with one line, and everything stays on the GPU;
 * the budget is the container's: another process's swapped bytes count against it. */
static void case_budget(void) {
    capture_stderr();
    /* TESSERA_GPU_SWAP_HOST_BYTES: 24 MiB. A process of the container swaps out 16 MiB. */
    int go[2], done[2];
    CHECK(pipe(go) == 0 && pipe(done) == 0, "pipes");
    pid_t child = fork();
    if (child == 0) {
        CUdeviceptr d = 0;
        char c;
        if (cuMemAlloc_v2(&d, 16 * MiB) != CUDA_SUCCESS) _exit(3);
        if (write(done[1], "a", 1) != 1 || read(go[0], &c, 1) != 1) _exit(4);
        _exit(0); /* exits while swapped out */
    }
    char c;
    CHECK(read(done[0], &c, 1) == 1, "child allocated");
    command("out");
    wait_swapped(child, 16 * MiB);
    working_set w;
    make_set(&w); /* 18 MiB: after the child's 16, only 8 of the 24 are left */
    uint64_t used = look(getpid()).mine;
    command("out");
    wait_log("swap-out refused", 1);
    view v = look(getpid());
    CHECK_EQ_U64(v.swapped, 0, "nothing of ours swapped");
    CHECK_EQ_U64(v.mine, used, "all of it still on the device");
    CHECK_EQ_U64(v.all_swapped, 16 * MiB, "the container holds the child's 16 MiB only");
    CHECK_EQ_U64(tstub_host_used(), 0, "no host memory taken for a refused swap-out");
    for (int i = 0; i < RANGES; i++) {
        CHECK(tstub_accessible(w.d[i], w.size[i]), "range %d still mapped", i);
        CHECK_EQ_U64(read_back(w.d[i], w.size[i]), w.sum[i], "checksum");
    }
    /* Once the child is gone its budget is free: the next swap-out fits. */
    CHECK(write(go[1], "g", 1) == 1, "release child");
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    command("out");
    wait_swapped(getpid(), w.total);
    CHECK_EQ_U64(look(getpid()).all_swapped, w.total, "only ours now");
    free_set(&w);
    CHECK_EQ_U64(look(getpid()).used, 0, "usage 0");
}

/* A kernel launched while swapped out finds its memory back (the stub's kernel would fault on
 * an unmapped range). */
static void case_launch(void) {
    working_set w;
    make_set(&w);
    uint64_t sum = 0;
    CHECK_RC(kernel_sum(w.d[2], w.size[2], &sum), CUDA_SUCCESS);
    CHECK_EQ_U64(sum, w.sum[2], "the kernel reads what was written");
    command("out");
    if (!wait_swapped(getpid(), w.total)) return;
    void *k = tstub_real_addr("cuLaunchKernel");
    uint64_t *out = &sum;
    void *params[] = {&w.d[2], &w.size[2], &out};
    CHECK_RC(((cuLaunchKernel_fn)k)(tstub_kernel_sum(), 1, 1, 1, 1, 1, 1, 0, NULL, params, NULL),
             CUDA_ERROR_ILLEGAL_ADDRESS); /* the driver itself, behind the library's back */
    sum = 0;
    CHECK_RC(kernel_sum(w.d[2], w.size[2], &sum), CUDA_SUCCESS);
    CHECK_EQ_U64(sum, w.sum[2], "through the library: swapped in first, same bytes");
    CHECK_EQ_U64(look(getpid()).swapped, 0, "everything came back");
    CHECK_EQ_U64(look(getpid()).used, w.total, "and is counted");
    for (int i = 0; i < RANGES; i++) CHECK(tstub_accessible(w.d[i], w.size[i]), "mapped");
    free_set(&w);
}

/* Copies, memsets, synchronisations and allocations while swapped out: each swaps in first. */
static void case_copy(void) {
    working_set w;
    make_set(&w);
    CUevent ev = NULL;
    CHECK_RC(cuEventCreate(&ev, 0), CUDA_SUCCESS);
    const char *what[] = {"cuMemcpyDtoH_v2", "cuMemsetD32_v2", "cuMemcpyHtoDAsync_v2",
                          "cuStreamSynchronize", "cuEventSynchronize", "cuCtxSynchronize",
                          "cuMemAlloc_v2"};
    for (size_t c = 0; c < sizeof what / sizeof what[0]; c++) {
        command("out");
        if (!wait_swapped(getpid(), w.total)) return;
        uint32_t word = 0, pattern = 0xabcd0000u + (uint32_t)c;
        CUdeviceptr extra = 0;
        CUresult rc;
        switch (c) {
        case 0: rc = cuMemcpyDtoH_v2(&word, w.d[0], sizeof word); break;
        case 1: rc = cuMemsetD32_v2(w.d[0], pattern, 1); break;
        case 2: rc = cuMemcpyHtoDAsync_v2(w.d[0], &pattern, sizeof pattern, NULL); break;
        case 3: rc = cuStreamSynchronize(NULL); break;
        case 4: rc = cuEventSynchronize(ev); break;
        case 5: rc = cuCtxSynchronize(); break;
        default: rc = cuMemAlloc_v2(&extra, 2 * MiB); break;
        }
        CHECK(rc == CUDA_SUCCESS, "%s while swapped out returned %d", what[c], (int)rc);
        CHECK(look(getpid()).swapped == 0, "%s swapped everything in first", what[c]);
        if (c == 1 || c == 2) {
            CHECK_RC(cuMemcpyDtoH_v2(&word, w.d[0], sizeof word), CUDA_SUCCESS);
            CHECK(word == pattern, "%s wrote to the swapped-in memory", what[c]);
            w.sum[0] = read_back(w.d[0], w.size[0]);
        }
        if (extra != 0) CHECK_RC(cuMemFree_v2(extra), CUDA_SUCCESS);
    }
    for (int i = 0; i < RANGES; i++)
        CHECK_EQ_U64(read_back(w.d[i], w.size[i]), w.sum[i], "checksums through it all");
    /* Reached through cuGetProcAddress with the per-thread default stream: the _ptds form. */
    command("out");
    if (!wait_swapped(getpid(), w.total)) return;
    void *fn = NULL;
    CUdriverProcAddressQueryResult st;
    CHECK_RC(cuGetProcAddress_v2("cuMemcpyDtoH", &fn, 12000,
                                 TESSERA_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM, &st),
             CUDA_SUCCESS);
    uint32_t word = 0;
    CHECK(fn != NULL && ((cuMemcpyDtoH_v2_fn)fn)(&word, w.d[1], sizeof word) == CUDA_SUCCESS,
          "cuMemcpyDtoH_v2_ptds while swapped out");
    CHECK_EQ_U64(look(getpid()).swapped, 0, "swapped in by the _ptds form");
    cuEventDestroy_v2(ev);
    free_set(&w);
}

/* A process that exits, or is killed, while swapped out leaves the usage exact: its device
 * bytes were out of the count already, and its host memory (freed with the process) leaves the
 * container's host budget with its slot. */
static void child_swapped_out(int how) {
    int ready[2];
    CHECK(pipe(ready) == 0, "pipe");
    pid_t child = fork();
    if (child == 0) {
        CUdeviceptr d = 0;
        if (cuMemAlloc_v2(&d, 16 * MiB) != CUDA_SUCCESS) _exit(3);
        fill(d, 16 * MiB, 7);
        if (write(ready[1], "r", 1) != 1) _exit(4); /* done with the GPU: now it may go */
        uint64_t until = now_ns() + DEADLINE_NS; /* the parent commands; we wait to be out */
        while (!(look(getpid()).flags & TESSERA_SLOT_FLAG_SWAPPED) && now_ns() < until)
            nap_ms(2);
        if (tstub_host_used() != 16 * MiB) _exit(5);
        if (how == 0) exit(0);
        raise(SIGKILL);
        _exit(6);
    }
    char c;
    CHECK(read(ready[0], &c, 1) == 1, "child ready");
    close(ready[0]);
    close(ready[1]);
    command("out");
    int status = 0;
    waitpid(child, &status, 0);
    if (how == 0) CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
    else CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "status %d", status);
}

static void case_exit(void) {
    size_t f = 0, t = 0; /* attach now: the dead child's slot must be reaped by the budget's
                          * shortfall below, not by our attaching after it died */
    CHECK_RC(cuMemGetInfo_v2(&f, &t), CUDA_SUCCESS);
    child_swapped_out(0);
    view v = look(getpid());
    CHECK_EQ_U64(v.used, 0, "an exited process's swapped memory was never in used_bytes");
    CHECK_EQ_U64(v.all_swapped, 0, "and its slot, host bytes included, is gone");
    /* Killed: its slot stays until reaped. Here the reaper runs when our own swap-out does not
     * fit the budget (24 MiB) beside its 16 MiB. */
    child_swapped_out(1);
    CHECK_EQ_U64(look(getpid()).all_swapped, 16 * MiB, "a killed process's slot says 16 MiB");
    CHECK_EQ_U64(look(getpid()).used, 0, "none of it on the device");
    CUdeviceptr d = 0;
    CHECK_RC(cuMemAlloc_v2(&d, 16 * MiB), CUDA_SUCCESS);
    uint64_t sum = fill(d, 16 * MiB, 9);
    command("out");
    if (!wait_swapped(getpid(), 16 * MiB)) return;
    view after = look(getpid());
    CHECK_EQ_U64(after.all_swapped, 16 * MiB, "the dead slot was reaped: ours only");
    CHECK_EQ_U64(after.used, 0, "used exact");
    CHECK_EQ_U64(read_back(d, 16 * MiB), sum, "our bytes");
    CHECK_RC(cuMemFree_v2(d), CUDA_SUCCESS);
    CHECK_EQ_U64(look(getpid()).used, 0, "usage 0");
    CHECK_EQ_U64(look(getpid()).all_swapped, 0, "nothing swapped");
}

/* Threads allocating, copying and freeing while the agent swaps the process out and in: every
 * byte kept, the usage exact at the end (lock discipline). */
#define WORKERS 3
static volatile int g_stop;
static uint64_t g_errors;

static void *worker(void *arg) {
    unsigned id = (unsigned)(uintptr_t)arg;
    CUdeviceptr keep = 0;
    if (cuMemAlloc_v2(&keep, 4 * MiB) != CUDA_SUCCESS) {
        __atomic_add_fetch(&g_errors, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    uint64_t keep_sum = fill(keep, 4 * MiB, 100 + id);
    for (unsigned round = 0; !g_stop; round++) {
        CUdeviceptr d = 0;
        uint64_t size = (2 + (round + id) % 3) * MiB, sum = 0;
        if (cuMemAlloc_v2(&d, size) != CUDA_SUCCESS) {
            __atomic_add_fetch(&g_errors, 1, __ATOMIC_RELAXED);
            continue;
        }
        uint64_t want = fill(d, size, round * 7 + id);
        int bad = kernel_sum(d, size, &sum) != CUDA_SUCCESS || sum != want ||
                  read_back(keep, 4 * MiB) != keep_sum;
        if (cuMemFree_v2(d) != CUDA_SUCCESS) bad = 1;
        if (bad) __atomic_add_fetch(&g_errors, 1, __ATOMIC_RELAXED);
        nap_ms(1 + id);
    }
    if (read_back(keep, 4 * MiB) != keep_sum || cuMemFree_v2(keep) != CUDA_SUCCESS)
        __atomic_add_fetch(&g_errors, 1, __ATOMIC_RELAXED);
    return NULL;
}

static void case_concurrency(void) {
    capture_stderr(); /* TESSERA_LOG_LEVEL=info: the swap lines are counted, not passed on */
    working_set w;
    make_set(&w); /* idle memory the workers never touch */
    pthread_t th[WORKERS];
    for (unsigned i = 0; i < WORKERS; i++)
        pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i);
    /* Swap-outs while the workers run: each needs the calls in flight to drain, and then the
     * next call of any worker swaps everything back in. */
    int outs = 0;
    for (int i = 0; i < 30 && outs < 5; i++) {
        command(i % 3 == 2 ? "in" : "out");
        nap_ms(120);
        outs = count_log("swapped out");
    }
    g_stop = 1;
    for (unsigned i = 0; i < WORKERS; i++) pthread_join(th[i], NULL);
    CHECK(outs >= 1, "at least one swap-out while the workers ran (%d)", outs);
    printf("# %d swap-outs while the workers ran\n", outs);
    CHECK_EQ_U64(g_errors, 0, "worker errors (allocation, checksum or free)");
    command("in");
    wait_swapped(getpid(), 0);
    for (int i = 0; i < RANGES; i++)
        CHECK_EQ_U64(read_back(w.d[i], w.size[i]), w.sum[i], "idle set kept");
    view v = look(getpid());
    CHECK_EQ_U64(v.used, w.total, "used: exactly the idle set");
    CHECK_EQ_U64(v.mine, w.total, "the slot agrees");
    CHECK_EQ_U64(tstub_used(0), w.total, "the driver agrees");
    CHECK_EQ_U64(tstub_host_used(), 0, "no host memory left");
    free_set(&w);
    CHECK_EQ_U64(look(getpid()).used, 0, "usage 0");
    CHECK_EQ_U64(tstub_used(0), 0, "driver 0");
    CHECK(count_log("swap-in (") == 0, "no swap-in failed");
}

/* Without the agent: idle for TESSERA_GPU_SWAP_IDLE_MS, the process swaps itself out; the next
 * copy brings it back. */
static void case_idle(void) {
    working_set w;
    make_set(&w);
    if (!wait_swapped(getpid(), w.total)) return;
    CHECK(none_accessible(&w), "idle: swapped out by itself");
    for (int i = 0; i < RANGES; i++)
        CHECK_EQ_U64(read_back(w.d[i], w.size[i]), w.sum[i], "back on the next copy");
    CHECK_EQ_U64(look(getpid()).swapped, 0, "all of it");
    free_set(&w);
}

/* TESSERA_GPU_SWAP unset: allocations are what they always were. */
static void case_off(void) {
    CUdeviceptr d = 0;
    CHECK_RC(cuMemAlloc_v2(&d, 8 * MiB), CUDA_SUCCESS);
    CHECK(!tstub_reserved(d), "an ordinary allocation");
    CHECK(look(getpid()).flags == 0, "no swap flag");
    CHECK_RC(cuMemFree_v2(d), CUDA_SUCCESS);
}

int main(int argc, char **argv) {
    struct {
        const char *name;
        void (*run)(void);
    } cases[] = {{"roundtrip", case_roundtrip}, {"usage", case_usage},
                 {"budget", case_budget},       {"launch", case_launch},
                 {"copy", case_copy},           {"exit", case_exit},
                 {"concurrency", case_concurrency}, {"idle", case_idle},
                 {"off", case_off}};
    CHECK_RC(cuInit(0), CUDA_SUCCESS);
    tstub_set_device(0);
    g_sum_kernel = tstub_kernel_sum();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (argc == 2 && strcmp(argv[1], cases[i].name) == 0) {
            cases[i].run();
            return finish(cases[i].name);
        }
    }
    printf("usage: t_swap <case>\n");
    return 2;
}
