/*
 * Several processes of one container sharing a GPU's usage file: together they never pass
 * the limit, and a dead process's bytes come back. The parent never calls CUDA; it spawns
 * copies of itself (fork + exec, so each loads the library afresh) and watches the usage
 * file read-only, as the node agent does. Env as for t_link.
 */
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stub_cuda.h"
#include "tcheck.h"
#include "usage_view.h"

#define MiB (1024ull * 1024ull)
#define RACERS 4

static uint64_t L;

/* ---- workers (argv: mode, read fd, write fd) ---------------------------------------------- */

static void put_u64(int fd, uint64_t v) {
    if (write(fd, &v, sizeof v) != sizeof v) _exit(10);
}

static uint64_t get_u64(int fd) {
    uint64_t v = 0;
    if (read(fd, &v, sizeof v) != sizeof v) return UINT64_MAX;
    return v;
}

/* Attaches (first CUDA call), says ready, waits for "go", allocates odd-sized chunks until
 * refused, reports what it holds, waits for "done", frees everything. */
static int worker_race(int in, int out, int id) {
    CUdeviceptr held[4096];
    int n = 0;
    uint64_t total = 0, chunk = MiB / 4 + 4097u * (unsigned)id;
    size_t f, t;
    cuMemGetInfo_v2(&f, &t);
    put_u64(out, 0);
    get_u64(in);
    while (n < 4096 && cuMemAlloc_v2(&held[n], chunk) == CUDA_SUCCESS) total += chunk, n++;
    put_u64(out, total);
    get_u64(in);
    while (n > 0) cuMemFree_v2(held[--n]);
    return 0;
}

/* Allocates and frees random sizes with demand well over the limit; reports refusals. */
static int worker_churn(int in, int out, int id) {
    CUdeviceptr held[4] = {0};
    uint64_t rng = (uint64_t)id * 0x9E3779B97F4A7C15ull + 7, refused = 0;
    size_t f, t;
    cuMemGetInfo_v2(&f, &t);
    /* Every worker fills its four places before any churns, and the parent starts the churn only
     * once all have: four workers wanting 2/3 of the limit each reach it however the machine
     * schedules them, so the test never depends on the processes happening to overlap. */
    for (int k = 0; k < 4; k++) {
        if (cuMemAlloc_v2(&held[k], L / 6) != CUDA_SUCCESS) {
            held[k] = 0;
            refused++;
        }
    }
    put_u64(out, 0);
    get_u64(in);
    for (int i = 0; i < 4000; i++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        int k = (int)(rng % 4);
        if (held[k]) {
            cuMemFree_v2(held[k]);
            held[k] = 0;
        } else if (cuMemAlloc_v2(&held[k], 1 + (rng >> 8) % (L / 6)) != CUDA_SUCCESS) {
            held[k] = 0;
            refused++;
        }
    }
    for (int k = 0; k < 4; k++) if (held[k]) cuMemFree_v2(held[k]);
    put_u64(out, refused);
    return 0;
}

static int worker_hold_and_die(int out) {
    CUdeviceptr p;
    put_u64(out, cuMemAlloc_v2(&p, L / 2) == CUDA_SUCCESS ? L / 2 : 0);
    raise(SIGKILL);
    return 1;
}

static int worker_fill(int out) {
    CUdeviceptr p;
    CUresult rc = cuMemAlloc_v2(&p, L);
    put_u64(out, rc);
    if (rc == CUDA_SUCCESS) cuMemFree_v2(p);
    return 0;
}

/* Exits without freeing: the exit path must hand the slot back. */
static int worker_leak_and_exit(int out) {
    CUdeviceptr p;
    put_u64(out, cuMemAlloc_v2(&p, MiB));
    return 0;
}

static int run_worker(char **argv) {
    int in = atoi(argv[2]), out = atoi(argv[3]);
    if (strcmp(argv[1], "race") == 0) return worker_race(in, out, atoi(argv[4]));
    if (strcmp(argv[1], "churn") == 0) return worker_churn(in, out, atoi(argv[4]));
    if (strcmp(argv[1], "die") == 0) return worker_hold_and_die(out);
    if (strcmp(argv[1], "fill") == 0) return worker_fill(out);
    if (strcmp(argv[1], "leak") == 0) return worker_leak_and_exit(out);
    return 2;
}

/* ---- parent ------------------------------------------------------------------------------- */

typedef struct worker {
    pid_t pid;
    int to, from; /* parent's ends */
} worker;

static worker spawn(const char *mode, int id) {
    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0) { perror("pipe"); exit(2); }
    worker w = {0, down[1], up[0]};
    fflush(stdout);
    w.pid = fork();
    if (w.pid == 0) {
        char in[16], out[16], num[16];
        snprintf(in, sizeof in, "%d", down[0]);
        snprintf(out, sizeof out, "%d", up[1]);
        snprintf(num, sizeof num, "%d", id);
        close(down[1]);
        close(up[0]);
        execl("/proc/self/exe", "t_multiproc", mode, in, out, num, (char *)NULL);
        _exit(127);
    }
    close(down[0]);
    close(up[1]);
    return w;
}

static int reap(worker *w) {
    int status = 0;
    waitpid(w->pid, &status, 0);
    close(w->to);
    close(w->from);
    return status;
}

static void test_race(const tessera_usage_header *h) {
    worker w[RACERS];
    for (int i = 0; i < RACERS; i++) w[i] = spawn("race", i);
    for (int i = 0; i < RACERS; i++) get_u64(w[i].from); /* ready */
    for (int i = 0; i < RACERS; i++) put_u64(w[i].to, 1); /* go */
    uint64_t sum = 0, biggest = MiB / 4 + 4097u * (RACERS - 1);
    for (int i = 0; i < RACERS; i++) sum += get_u64(w[i].from);
    CHECK(sum <= L, "processes together hold %llu > limit %llu", (unsigned long long)sum,
          (unsigned long long)L);
    CHECK(sum + biggest > L, "limit not reached: %llu of %llu", (unsigned long long)sum,
          (unsigned long long)L);
    CHECK_EQ_U64(usage_total(h), sum, "shared total = what the processes hold");
    CHECK_EQ_U64(usage_slot_sum(h), sum, "slots add up to the total");
    for (int i = 0; i < RACERS; i++) {
        const tessera_usage_slot *s = usage_slot_of(h, w[i].pid);
        CHECK(s != NULL, "racer %d has a slot", i);
        printf("racer %d holds %llu\n", i, s ? (unsigned long long)s->used_bytes : 0ull);
    }
    for (int i = 0; i < RACERS; i++) put_u64(w[i].to, 1); /* done */
    for (int i = 0; i < RACERS; i++) {
        int st = reap(&w[i]);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "racer %d status %d", i, st);
        CHECK(usage_slot_of(h, w[i].pid) == NULL, "racer %d's slot released", i);
    }
    CHECK_EQ_U64(usage_total(h), 0, "total after the race");
    printf("race: %d processes hold %llu of %llu bytes\n", RACERS, (unsigned long long)sum,
           (unsigned long long)L);
}

/* Processes allocating and freeing at once: the shared total, sampled the way the agent
 * reads it, never passes the limit, and returns to zero. */
static void test_churn(const tessera_usage_header *h) {
    worker w[RACERS];
    for (int i = 0; i < RACERS; i++) w[i] = spawn("churn", i + 1);
    for (int i = 0; i < RACERS; i++) get_u64(w[i].from); /* ready */
    for (int i = 0; i < RACERS; i++) put_u64(w[i].to, 1); /* go */
    uint64_t samples = 0, over = 0, peak = 0, refused = 0;
    int running = RACERS;
    while (running > 0) {
        uint64_t now = usage_total(h);
        samples++;
        if (now > L) over++;
        if (now > peak) peak = now;
        running = 0;
        for (int i = 0; i < RACERS; i++) running += waitpid(w[i].pid, NULL, WNOHANG) == 0;
    }
    for (int i = 0; i < RACERS; i++) {
        refused += get_u64(w[i].from);
        close(w[i].to);
        close(w[i].from);
    }
    CHECK_EQ_U64(over, 0, "samples of the shared total above the limit");
    CHECK(refused > 0, "the churn never reached the limit");
    CHECK_EQ_U64(usage_total(h), 0, "total after the churn");
    printf("churn: %d processes, %llu refusals, shared total peaked at %llu of %llu (%llu samples)\n",
           RACERS, (unsigned long long)refused, (unsigned long long)peak, (unsigned long long)L,
           (unsigned long long)samples);
}

/* Plants a slot as another process would have left it, bytes included. */
static tessera_usage_slot *plant(tessera_usage_header *h, int32_t pid, uint64_t start_time,
                                 uint64_t pid_ns, uint64_t bytes) {
    tessera_usage_slot *s = (tessera_usage_slot *)(h + 1) + (TESSERA_USAGE_SLOTS - 1);
    s->used_bytes = bytes;
    s->start_time = start_time;
    s->pid_ns = pid_ns;
    __atomic_store_n(&s->pid, pid, __ATOMIC_RELEASE);
    __atomic_add_fetch(&h->used_bytes, bytes, __ATOMIC_ACQ_REL);
    return s;
}

/* A live pid whose start time differs is a reused pid: reclaimed. A dead pid from another
 * pid namespace cannot be judged from here: left alone. */
static void test_identity(void) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/gpu-0.usage", getenv("TESSERA_USAGE_DIR"));
    int fd = open(path, O_RDWR);
    tessera_usage_header *h = fd < 0 ? NULL : mmap(NULL, TESSERA_USAGE_FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (fd >= 0) close(fd);
    CHECK(h != NULL && h != MAP_FAILED, "usage file writable");
    if (h == NULL || h == MAP_FAILED) return;
    struct stat ns;
    uint64_t own_ns = stat("/proc/self/ns/pid", &ns) == 0 ? (uint64_t)ns.st_ino : 0;

    tessera_usage_slot *s = plant(h, (int32_t)getpid(), 1, own_ns, L / 2);
    worker fill = spawn("fill", 0);
    CHECK_EQ_U64(get_u64(fill.from), CUDA_SUCCESS, "reused pid's bytes reclaimed");
    reap(&fill);
    CHECK(__atomic_load_n(&s->pid, __ATOMIC_ACQUIRE) == 0, "reused pid's slot freed");

    s = plant(h, 4000000, 1, own_ns + 1, L / 2);
    fill = spawn("fill", 0);
    CHECK_EQ_U64(get_u64(fill.from), CUDA_ERROR_OUT_OF_MEMORY, "foreign namespace's slot kept");
    reap(&fill);
    CHECK(__atomic_load_n(&s->pid, __ATOMIC_ACQUIRE) == 4000000, "foreign slot untouched");
    __atomic_store_n(&s->pid, 0, __ATOMIC_RELEASE);
    __atomic_sub_fetch(&h->used_bytes, L / 2, __ATOMIC_ACQ_REL);
    s->used_bytes = 0;
    CHECK_EQ_U64(usage_total(h), 0, "total after identity checks");

    /* A process killed while claiming a slot (inside the usage lock) leaves it half-claimed:
     * the next process to open the file frees it and recounts the total without it. */
    s = plant(h, TESSERA_SLOT_CLAIMING, 0, 0, L / 2);
    fill = spawn("fill", 0);
    CHECK_EQ_U64(get_u64(fill.from), CUDA_SUCCESS, "a half-claimed slot's bytes recounted");
    reap(&fill);
    CHECK(__atomic_load_n(&s->pid, __ATOMIC_ACQUIRE) == TESSERA_SLOT_FREE,
          "half-claimed slot freed");
    CHECK_EQ_U64(usage_total(h), 0, "total after the half-claimed slot");
    munmap(h, TESSERA_USAGE_FILE_SIZE);
}

static int wait_zombie(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    for (int i = 0; i < 5000; i++) {
        FILE *f = fopen(path, "r");
        int zombie = f != NULL && fgets(buf, sizeof buf, f) != NULL && strstr(buf, ") Z ") != NULL;
        if (f != NULL) fclose(f);
        if (zombie) return 1;
        usleep(1000);
    }
    return 0;
}

/* A SIGKILLed process's bytes are reclaimed when another process runs short. `zombie`: the
 * dead process is not waited for yet (kill(pid, 0) still succeeds on a zombie). */
static void test_reap(const tessera_usage_header *h, int zombie) {
    worker dead = spawn("die", 0);
    CHECK_EQ_U64(get_u64(dead.from), L / 2, "victim allocated half");
    int st = 0;
    if (!zombie) {
        st = reap(&dead);
        CHECK(WIFSIGNALED(st), "victim killed");
    } else {
        CHECK(wait_zombie(dead.pid), "victim became a zombie");
    }
    CHECK_EQ_U64(usage_total(h), L / 2, "dead process's bytes still counted");
    CHECK(usage_slot_of(h, dead.pid) != NULL, "dead process's slot still there");
    worker fill = spawn("fill", 0);
    CHECK_EQ_U64(get_u64(fill.from), CUDA_SUCCESS, "the whole limit is available again");
    st = reap(&fill);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fill status %d", st);
    CHECK(usage_slot_of(h, dead.pid) == NULL, "dead process's slot reclaimed");
    CHECK_EQ_U64(usage_total(h), 0, "total after reaping");
    if (zombie) reap(&dead);
}

static void test_exit_releases(const tessera_usage_header *h) {
    worker w = spawn("leak", 0);
    CHECK_EQ_U64(get_u64(w.from), CUDA_SUCCESS, "leaker allocated");
    int st = reap(&w);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "leaker status %d", st);
    CHECK_EQ_U64(usage_total(h), 0, "exit handed the bytes back");
    CHECK(usage_slot_of(h, w.pid) == NULL, "exit handed the slot back");
}

int main(int argc, char **argv) {
    L = limit0();
    if (argc >= 4) return run_worker(argv);
    /* The usage file appears when the first worker opens it. */
    worker w = spawn("leak", 0);
    get_u64(w.from);
    reap(&w);
    const tessera_usage_header *h = usage_map(0);
    CHECK(h != NULL, "usage file exists");
    if (h == NULL) return finish("t_multiproc");
    test_race(h);
    test_churn(h);
    test_reap(h, 0);
    test_reap(h, 1);
    test_exit_releases(h);
    test_identity();
    return finish("t_multiproc");
}
