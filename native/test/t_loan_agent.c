/*
 * Memory loans between containers on one GPU, with this program playing the node agent: it
 * starts tenants that share the stub's 1 GiB GPU (TSTUB_SHARED_FILE), each with its own usage
 * directory, limit and request; watches their usage files read-only; and kills a borrower
 * when a tenant within its request waits (wanted_bytes > 0). Tenants are t_loan (the program
 * the Java tests use too) and, where a process must be looked at after its allocation
 * failed, copies of this program in a worker mode. Env as run_tests.sh gives every test: the
 * library preloaded and a fresh TESSERA_USAGE_DIR, used here as scratch space.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stub_cuda.h"
#include "tcheck.h"
#include "usage_view.h"

#define MiB (1024ull * 1024ull)
#define PHYSICAL (1024 * MiB)

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- workers ---------------------------------------------------------------------------- */
/* t_loan_agent <mode> <bytes>...: stdout lines for the parent, then they wait for their stdin
 * to close, so the parent can look at a process that is still attached. */

static void wait_for_parent(void) {
    char c;
    while (read(STDIN_FILENO, &c, 1) > 0 || errno == EINTR) {
    }
}

/* try <bytes>...: cuMemAlloc_v2 each size in turn (keeping what succeeds); one line per
 * allocation, "rc <CUresult> <milliseconds>". */
static int worker_try(int argc, char **argv) {
    CUdeviceptr p;
    for (int i = 2; i < argc; i++) {
        double start = now_ms();
        CUresult rc = cuMemAlloc_v2(&p, strtoull(argv[i], NULL, 10));
        printf("rc %d %.0f\n", (int)rc, now_ms() - start);
        fflush(stdout);
    }
    wait_for_parent();
    return 0;
}

typedef struct storm {
    pthread_barrier_t *go;
    size_t bytes;
    CUresult rc;
} storm;

static void *storm_thread(void *arg) {
    storm *s = arg;
    CUdeviceptr p;
    pthread_barrier_wait(s->go);
    s->rc = cuMemAlloc_v2(&p, s->bytes);
    return NULL;
}

/* storm <first> <threads> <each>: allocates <first>, then <threads> threads allocate <each>
 * at once; prints "ooms <how many threads got CUDA_ERROR_OUT_OF_MEMORY>". */
static int worker_storm(char **argv) {
    CUdeviceptr first;
    int n = atoi(argv[3]);
    storm s[64];
    pthread_t th[64];
    pthread_barrier_t go;
    if (n < 1 || n > 64 || cuMemAlloc_v2(&first, strtoull(argv[2], NULL, 10)) != CUDA_SUCCESS)
        return 4;
    pthread_barrier_init(&go, NULL, (unsigned)n);
    for (int i = 0; i < n; i++) {
        s[i] = (storm){&go, strtoull(argv[4], NULL, 10), CUDA_SUCCESS};
        pthread_create(&th[i], NULL, storm_thread, &s[i]);
    }
    int ooms = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        ooms += s[i].rc == CUDA_ERROR_OUT_OF_MEMORY;
    }
    printf("ooms %d\n", ooms);
    fflush(stdout);
    wait_for_parent();
    return 0;
}

/* ---- tenants ------------------------------------------------------------------------------ */

static char g_root[PATH_MAX];  /* scratch: $TESSERA_USAGE_DIR of this process */
static char g_bin[PATH_MAX];   /* directory of this program and t_loan */

typedef struct tenant {
    pid_t pid;
    int out;                   /* its stdout */
    int in;                    /* its stdin (workers wait for it to close) */
    char dir[PATH_MAX];        /* its usage directory */
    char err[PATH_MAX];        /* its stderr, at info level */
    const tessera_usage_header *usage;
} tenant;

typedef struct contract {
    uint64_t limit, request, wait_ms;
} contract;

static void env_u64(const char *name, uint64_t value) {
    char text[32];
    snprintf(text, sizeof text, "%llu", (unsigned long long)value);
    setenv(name, text, 1);
}

/*
 * Starts `argv` (argv[0]: "t_loan" or "worker") as a container named `name` on the GPU shared
 * through the file `gpu` (one per scenario). Its Tessera environment is only what the
 * contract says; its usage directory and stderr are <gpu>-<name> and <gpu>-<name>.err.
 */
static tenant start(const char *gpu, const char *name, contract c, char *const *argv) {
    tenant t = {0};
    if (snprintf(t.dir, sizeof t.dir, "%s/%s-%s", g_root, gpu, name) >= (int)sizeof t.dir ||
        snprintf(t.err, sizeof t.err, "%s/%s-%s.err", g_root, gpu, name) >= (int)sizeof t.err)
        exit(2);
    mkdir(t.dir, 0777);
    int down[2], up[2];
    /* Close-on-exec: a later tenant must not hold an earlier one's stdin open. */
    if (pipe2(down, O_CLOEXEC) != 0 || pipe2(up, O_CLOEXEC) != 0) { perror("pipe"); exit(2); }
    fflush(stdout);
    t.pid = fork();
    if (t.pid == 0) {
        char path[PATH_MAX + 16], shared[PATH_MAX + 16];
        int err = open(t.err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(down[0], STDIN_FILENO);
        dup2(up[1], STDOUT_FILENO);
        if (err >= 0) dup2(err, STDERR_FILENO);
        snprintf(shared, sizeof shared, "%s/%s", g_root, gpu);
        setenv("TSTUB_SHARED_FILE", shared, 1);
        env_u64("TSTUB_TOTAL_BYTES", PHYSICAL);
        setenv("TESSERA_USAGE_DIR", t.dir, 1);
        env_u64("TESSERA_GPU_MEMORY_LIMITS", c.limit);
        env_u64("TESSERA_GPU_MEMORY_REQUESTS", c.request);
        env_u64("TESSERA_LOAN_WAIT_MS", c.wait_ms);
        setenv("TESSERA_LOG_LEVEL", "info", 1);
        if (strcmp(argv[0], "t_loan") == 0) snprintf(path, sizeof path, "%s/t_loan", g_bin);
        else snprintf(path, sizeof path, "/proc/self/exe");
        execv(path, argv);
        _exit(127);
    }
    close(down[0]);
    close(up[1]);
    t.in = down[1];
    t.out = up[0];
    return t;
}

/* One line of the tenant's stdout, waiting at most timeout_ms; "" on timeout or EOF. */
static const char *line_of(tenant *t, int timeout_ms, char *buf, size_t size) {
    size_t n = 0;
    double deadline = now_ms() + timeout_ms;
    while (n + 1 < size) {
        struct pollfd p = {t->out, POLLIN, 0};
        int left = (int)(deadline - now_ms());
        if (left < 0 || poll(&p, 1, left) <= 0 || read(t->out, &buf[n], 1) != 1) break;
        if (buf[n] == '\n') break;
        n++;
    }
    buf[n] = '\0';
    return buf;
}

/* The tenant's usage file once its header is valid; NULL after timeout_ms. */
static const tessera_usage_header *usage_of(tenant *t, int timeout_ms) {
    for (double deadline = now_ms() + timeout_ms; t->usage == NULL && now_ms() < deadline;) {
        const tessera_usage_header *h = usage_map_in(t->dir, 0);
        if (h != NULL && __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) == TESSERA_USAGE_MAGIC)
            t->usage = h;
        else if (h != NULL)
            munmap((void *)h, TESSERA_USAGE_FILE_SIZE);
        if (t->usage == NULL) usleep(1000);
    }
    return t->usage;
}

static int finish_tenant(tenant *t) {
    int status = 0;
    close(t->in);
    waitpid(t->pid, &status, 0);
    close(t->out);
    return status;
}

static void kill_tenant(tenant *t) {
    kill(t->pid, SIGKILL);
    finish_tenant(t);
}

/* Lines of the tenant's stderr containing `text`. */
static int err_lines(const tenant *t, const char *text) {
    char line[1024];
    int n = 0;
    FILE *f = fopen(t->err, "r");
    while (f != NULL && fgets(line, sizeof line, f) != NULL) n += strstr(line, text) != NULL;
    if (f != NULL) fclose(f);
    return n;
}

static uint64_t oom_count(tenant *t) {
    const tessera_usage_slot *s = t->usage ? usage_slot_of(t->usage, t->pid) : NULL;
    return s ? __atomic_load_n(&s->oom_count, __ATOMIC_ACQUIRE) : UINT64_MAX;
}

/* The agent's poll: the largest wanted_bytes seen before it is non-zero or timeout_ms ends. */
static uint64_t await_wanted(tenant *t, int timeout_ms) {
    double deadline = now_ms() + timeout_ms;
    if (usage_of(t, timeout_ms) == NULL) return 0;
    uint64_t w;
    while ((w = usage_wanted(t->usage)) == 0 && now_ms() < deadline) usleep(500);
    return w;
}

static const contract BORROWER = {768 * MiB, 256 * MiB, 5000};

/* The borrower holds 700 MiB of the 1 GiB GPU: 444 MiB above its 256 MiB request. */
static tenant start_borrower(const char *gpu) {
    char bytes[32], line[128];
    snprintf(bytes, sizeof bytes, "%llu", 700 * MiB);
    tenant b = start(gpu, "borrower", BORROWER, (char *[]){"t_loan", "hold", bytes, NULL});
    snprintf(bytes, sizeof bytes, "held %llu", 700 * MiB);
    CHECK(strcmp(line_of(&b, 5000, line, sizeof line), bytes) == 0, "borrower says \"%s\"", line);
    const tessera_usage_header *h = usage_of(&b, 5000);
    CHECK(h != NULL, "borrower's usage file");
    if (h != NULL) {
        CHECK_EQ_U64(h->request_bytes, BORROWER.request, "borrower's request in its usage file");
        CHECK_EQ_U64(h->limit_bytes, BORROWER.limit, "borrower's limit in its usage file");
        CHECK(usage_total(h) > h->request_bytes, "the borrower is above its request");
    }
    return b;
}

/* ---- scenarios ---------------------------------------------------------------------------- */

/* (a) A tenant within its request waits; the agent kills the borrower; the allocation goes
 * through. The borrower is left a zombie, whose memory the driver has freed all the same. */
static void test_reclaim(void) {
    char bytes[32], line[128], want[64];
    tenant b = start_borrower("gpu-reclaim");
    contract claim = {512 * MiB, 512 * MiB, 5000};
    snprintf(bytes, sizeof bytes, "%llu", 400 * MiB);
    tenant c = start("gpu-reclaim", "claimant", claim, (char *[]){"t_loan", "alloc", bytes, NULL});
    uint64_t wanted = await_wanted(&c, 4000);
    CHECK_EQ_U64(wanted, 400 * MiB, "claimant's wanted_bytes while it waits");
    CHECK(c.usage != NULL && c.usage->request_bytes == 512 * MiB, "claimant's request recorded");
    const tessera_usage_slot *waiter = c.usage != NULL ? usage_slot_of(c.usage, c.pid) : NULL;
    CHECK(waiter != NULL && usage_slot_wanted(waiter) == 400 * MiB, "the waiter's slot names what it waits for");
    double killed = now_ms();
    kill(b.pid, SIGKILL); /* the agent reclaims the loan */
    snprintf(want, sizeof want, "allocated %llu", 400 * MiB);
    CHECK(strcmp(line_of(&c, 5000, line, sizeof line), want) == 0, "claimant says \"%s\"", line);
    double took = now_ms() - killed;
    CHECK(took < 2000, "allocated %.0f ms after the borrower died", took);
    int st = finish_tenant(&c);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "claimant status %d", st);
    CHECK(c.usage != NULL && usage_wanted(c.usage) == 0, "wanted_bytes back to 0");
    CHECK_EQ_U64(err_lines(&c, "waiting up to 5000 ms for loans"), 1, "wait start logged");
    CHECK_EQ_U64(err_lines(&c, "ms: allocated"), 1, "wait end logged");
    st = finish_tenant(&b);
    CHECK(WIFSIGNALED(st), "borrower killed");
    printf("reclaim: wanted %llu bytes, allocated %.0f ms after the borrower was killed\n",
           (unsigned long long)wanted, took);
}

/* (b) Nobody reclaims: the claimant gets the driver's out-of-memory once its wait is over,
 * counted as a refusal, and its bytes are no longer wanted or reserved. */
static void test_wait_times_out(void) {
    char bytes[32], line[128];
    tenant b = start_borrower("gpu-timeout");
    contract claim = {512 * MiB, 512 * MiB, 200};
    snprintf(bytes, sizeof bytes, "%llu", 400 * MiB);
    tenant c = start("gpu-timeout", "claimant", claim, (char *[]){"worker", "try", bytes, NULL});
    uint64_t wanted = await_wanted(&c, 4000);
    CHECK_EQ_U64(wanted, 400 * MiB, "claimant's wanted_bytes while it waits");
    int rc = -1;
    double ms = -1;
    sscanf(line_of(&c, 5000, line, sizeof line), "rc %d %lf", &rc, &ms);
    CHECK_EQ_U64(rc, CUDA_ERROR_OUT_OF_MEMORY, "claimant's allocation after the wait");
    CHECK(ms >= 195 && ms < 1500, "refused after %.0f ms, want about 200", ms);
    CHECK_EQ_U64(oom_count(&c), 1, "claimant's oom_count");
    CHECK(c.usage != NULL && usage_wanted(c.usage) == 0, "wanted_bytes back to 0");
    CHECK(c.usage != NULL && usage_total(c.usage) == 0, "the reservation was given back");
    CHECK_EQ_U64(err_lines(&c, "still out of memory, refused"), 1, "timeout logged");
    finish_tenant(&c);
    kill_tenant(&b);
    printf("timeout: refused after %.0f ms of a 200 ms wait\n", ms);
}

/* (c) A tenant above its request is a borrower itself: the driver's out-of-memory comes back
 * at once, however long a wait is configured, and is not the library's refusal. Its limit
 * still is: that refusal is counted. */
static void test_above_request_never_waits(void) {
    char small[32], big[32], over[32], line[128];
    tenant b = start_borrower("gpu-above");
    contract burst = {512 * MiB, 128 * MiB, 600000};
    snprintf(small, sizeof small, "%llu", 100 * MiB); /* within the request: fits */
    snprintf(big, sizeof big, "%llu", 300 * MiB);     /* 400 MiB in all: above the request */
    snprintf(over, sizeof over, "%llu", 500 * MiB);   /* above the limit */
    tenant d = start("gpu-above", "burster", burst,
                     (char *[]){"worker", "try", small, big, over, NULL});
    int rc[3] = {-1, -1, -1};
    double ms[3] = {-1, -1, -1};
    for (int i = 0; i < 3; i++)
        sscanf(line_of(&d, 5000, line, sizeof line), "rc %d %lf", &rc[i], &ms[i]);
    CHECK_EQ_U64(rc[0], CUDA_SUCCESS, "allocation within the request");
    CHECK_EQ_U64(rc[1], CUDA_ERROR_OUT_OF_MEMORY, "allocation above the request, GPU full");
    CHECK(ms[1] < 500, "above the request refused after %.0f ms: it must not wait", ms[1]);
    CHECK_EQ_U64(rc[2], CUDA_ERROR_OUT_OF_MEMORY, "allocation above the limit");
    CHECK(usage_of(&d, 1000) != NULL && usage_wanted(d.usage) == 0, "nothing wanted");
    CHECK_EQ_U64(oom_count(&d), 1, "only the limit's refusal counted");
    CHECK_EQ_U64(err_lines(&d, "waiting"), 0, "no wait logged");
    finish_tenant(&d);
    kill_tenant(&b);
    printf("above request: refused in %.0f ms with a 600000 ms wait configured\n", ms[1]);
}

/* Many allocations within the request waiting at once: each is counted and wanted, the
 * stderr gets one start and one end line, not one per allocation. */
static void test_storm(void) {
    char first[32], each[32], line[128];
    tenant b = start_borrower("gpu-storm");
    contract claim = {512 * MiB, 512 * MiB, 300};
    snprintf(first, sizeof first, "%llu", 320 * MiB); /* leaves 4 MiB of the GPU */
    snprintf(each, sizeof each, "%llu", 8 * MiB);     /* 16 x 8 MiB: 448 MiB in all, within */
    tenant c = start("gpu-storm", "storm", claim,
                     (char *[]){"worker", "storm", first, "16", each, NULL});
    uint64_t peak = await_wanted(&c, 4000), w;
    for (double end = now_ms() + 100; now_ms() < end; usleep(200))
        if ((w = usage_wanted(c.usage)) > peak) peak = w;
    int ooms = -1;
    sscanf(line_of(&c, 5000, line, sizeof line), "ooms %d", &ooms);
    CHECK_EQ_U64(ooms, 16, "every thread of the storm refused after its wait");
    CHECK_EQ_U64(oom_count(&c), 16, "storm's oom_count");
    CHECK(peak >= 8 * MiB && peak <= 16 * 8 * MiB, "wanted peaked at %llu", (unsigned long long)peak);
    CHECK(c.usage != NULL && usage_wanted(c.usage) == 0, "wanted_bytes back to 0");
    CHECK(c.usage != NULL && usage_total(c.usage) == 320 * MiB, "only the first allocation held");
    CHECK_EQ_U64(err_lines(&c, "waiting up to"), 1, "wait start lines");
    CHECK_EQ_U64(err_lines(&c, "loan wait for"), 1, "wait end lines");
    finish_tenant(&c);
    kill_tenant(&b);
    printf("storm: 16 waits, wanted peaked at %llu bytes, 2 log lines\n", (unsigned long long)peak);
}

/* What the Java tests rely on: the failure line and status, and nothing else on stdout. */
static void test_t_loan_failures(void) {
    char bytes[32], line[128];
    contract small = {512 * MiB, 512 * MiB, 0};
    snprintf(bytes, sizeof bytes, "%llu", 600 * MiB);
    const char *modes[] = {"hold", "alloc"};
    for (int i = 0; i < 2; i++) {
        tenant t = start("gpu-cli", modes[i], small,
                         (char *[]){"t_loan", (char *)modes[i], bytes, NULL});
        CHECK(strcmp(line_of(&t, 5000, line, sizeof line), "oom 2") == 0, "t_loan %s says \"%s\"",
              modes[i], line);
        CHECK(strcmp(line_of(&t, 5000, line, sizeof line), "") == 0, "then nothing: \"%s\"", line);
        int st = finish_tenant(&t);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3, "t_loan %s over its limit: status %d", modes[i], st);
    }
    tenant t = start("gpu-cli", "usage", small, (char *[]){"t_loan", "alloc", "12x", NULL});
    CHECK(strcmp(line_of(&t, 5000, line, sizeof line), "") == 0, "bad arguments: \"%s\"", line);
    int st = finish_tenant(&t);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2, "t_loan with bad arguments: status %d", st);
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "try") == 0) return worker_try(argc, argv);
    if (argc == 5 && strcmp(argv[1], "storm") == 0) return worker_storm(argv);
    const char *root = getenv("TESSERA_USAGE_DIR");
    ssize_t n = readlink("/proc/self/exe", g_bin, sizeof g_bin - 1);
    if (root == NULL || n <= 0) return 2;
    g_bin[n] = '\0';
    *strrchr(g_bin, '/') = '\0';
    snprintf(g_root, sizeof g_root, "%s", root);
    signal(SIGPIPE, SIG_IGN);
    test_reclaim();
    test_wait_times_out();
    test_above_request_never_waits();
    test_storm();
    test_t_loan_failures();
    return finish("t_loan_agent");
}
