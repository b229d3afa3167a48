/*
 * Processes that end while their threads allocate and free: whatever moment exit() or SIGKILL
 * lands on - a reservation made but the driver not yet answered, a free between its steps -
 * the usage file's total comes back to exactly what live processes hold, and the slots add up
 * to it. The parent never calls CUDA: it forks the racers (each loads its own state of the
 * library, the parent having none), a holder that keeps some memory throughout (so "back to
 * exact" cannot be a reset of an empty file), and probes that attach to the file (attaching
 * reaps dead processes' slots) and leave.
 * Env as for t_link, plus TSTUB_CALL_DELAY_US so that driver calls take time, as real ones do.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stub_cuda.h"
#include "tcheck.h"
#include "usage_view.h"

#define MiB (1024ull * 1024ull)
#define ROUNDS 100
#define THREADS 4
#define HELD (8 * MiB)

static uint64_t next_random(uint64_t *state) {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

/* ---- children ----------------------------------------------------------------------------- */

static void *churn(void *arg) {
    uint64_t rng = (uint64_t)(uintptr_t)arg * 0x9E3779B97F4A7C15ull + 1;
    CUdeviceptr held[4] = {0};
    tstub_set_device(0);
    for (;;) {
        int k = (int)(next_random(&rng) % 4);
        if (held[k] != 0) {
            cuMemFree_v2(held[k]);
            held[k] = 0;
        } else if (cuMemAlloc_v2(&held[k], 1 + next_random(&rng) % (4 * MiB)) != CUDA_SUCCESS) {
            held[k] = 0;
        }
    }
    return NULL;
}

/* Threads churn; the main thread waits a random moment, signals the parent and exits without
 * freeing anything or stopping its threads - or, to be killed (`wait_for_kill`), churns on
 * until the parent's SIGKILL lands. */
static void racer(int round, int ready, int wait_for_kill) {
    pthread_t th[THREADS];
    uint64_t rng = (uint64_t)round * 7919 + (uint64_t)getpid();
    for (long i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, churn, (void *)(i + 1 + round * 16));
    struct timespec ts = {0, (long)(200000 + next_random(&rng) % 3000000)}; /* 0.2 - 3.2 ms */
    nanosleep(&ts, NULL);
    char c = 1;
    if (write(ready, &c, 1) != 1) _exit(9);
    while (wait_for_kill) pause();
    nanosleep(&ts, NULL);
    exit(0);
}

/* Holds HELD bytes until its stdin pipe closes, then frees them and exits. */
static void holder(int in, int ready) {
    CUdeviceptr p = 0;
    char c = cuMemAlloc_v2(&p, HELD) == CUDA_SUCCESS;
    if (write(ready, &c, 1) != 1) _exit(9);
    while (read(in, &c, 1) > 0) {
    }
    cuMemFree_v2(p);
    exit(0);
}

/* Attaches (which reaps dead processes' slots) and leaves. */
static void probe(void) {
    size_t f, t;
    tstub_set_device(0);
    exit(cuMemGetInfo_v2(&f, &t) == CUDA_SUCCESS ? 0 : 3);
}

/* ---- parent ------------------------------------------------------------------------------- */

static int wait_status(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
    }
    return status;
}

static void run_probe(void) {
    pid_t pid = fork();
    if (pid == 0) probe();
    int st = wait_status(pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "probe status %d", st);
}

/* One round: a racer that ends by exit() or, with `kill_it`, by SIGKILL mid-churn. */
static void round_once(const tessera_usage_header *h, int round, int kill_it, uint64_t *worst) {
    int ready[2];
    if (pipe(ready) != 0) exit(2);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(ready[0]);
        racer(round, ready[1], kill_it);
    }
    close(ready[1]);
    char c;
    CHECK(read(ready[0], &c, 1) == 1, "round %d: racer started", round);
    close(ready[0]);
    if (kill_it) kill(pid, SIGKILL);
    int st = wait_status(pid);
    if (kill_it) {
        CHECK(WIFSIGNALED(st), "round %d: racer killed (status %d)", round, st);
        run_probe(); /* reaps the killed racer's slot */
    } else {
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "round %d: racer status %d", round, st);
    }
    uint64_t total = usage_total(h);
    uint64_t off = total > HELD ? total - HELD : HELD - total;
    if (off > *worst) *worst = off;
    CHECK_EQ_U64(total, HELD, kill_it ? "total after a killed racer is reaped"
                                      : "total after a racer's exit()");
    CHECK_EQ_U64(usage_slot_sum(h), total, "slots add up to the total");
    CHECK(usage_slot_of(h, pid) == NULL, "round %d: racer's slot gone", round);
}

int main(void) {
    int to_holder[2], from_holder[2];
    if (pipe(to_holder) != 0 || pipe(from_holder) != 0) return 2;
    fflush(stdout);
    pid_t hold = fork();
    if (hold == 0) {
        close(to_holder[1]);
        close(from_holder[0]);
        tstub_set_device(0);
        holder(to_holder[0], from_holder[1]);
    }
    close(to_holder[0]);
    close(from_holder[1]);
    char ok = 0;
    CHECK(read(from_holder[0], &ok, 1) == 1 && ok == 1, "holder allocated");
    const tessera_usage_header *h = usage_map(0);
    CHECK(h != NULL, "usage file exists");
    if (h == NULL) return finish("t_exitrace");
    CHECK_EQ_U64(usage_total(h), HELD, "holder counted");

    uint64_t worst_exit = 0, worst_kill = 0;
    for (int i = 0; i < ROUNDS && g_failures < 10; i++) round_once(h, i, 0, &worst_exit);
    for (int i = 0; i < ROUNDS && g_failures < 10; i++) round_once(h, ROUNDS + i, 1, &worst_kill);

    close(to_holder[1]); /* the holder frees and exits */
    int st = wait_status(hold);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "holder status %d", st);
    CHECK_EQ_U64(usage_total(h), 0, "total once everyone has gone");
    CHECK_EQ_U64(usage_slot_sum(h), 0, "no slot holds anything");
    printf("exit race: %d exit() and %d SIGKILL rounds of %d churning threads; worst error %llu "
           "and %llu bytes\n", ROUNDS, ROUNDS, THREADS, (unsigned long long)worst_exit,
           (unsigned long long)worst_kill);
    return finish("t_exitrace");
}
