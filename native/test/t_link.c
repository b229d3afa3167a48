/*
 * An application linked against libcuda (here the stub) with the library preloaded: every
 * intercepted entry point, called the ordinary way.
 * Env: TESSERA_GPU_MEMORY_LIMITS="<L>,<more than the stub's size>", TSTUB_TOTAL_BYTES.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stub_cuda.h"
#include "tcheck.h"
#include "usage_view.h"

#define MiB (1024ull * 1024ull)

static uint64_t L;

static uint64_t free_bytes(void) {
    size_t f = 0, t = 0;
    CHECK_RC(cuMemGetInfo_v2(&f, &t), CUDA_SUCCESS);
    return f;
}

/* Bytes the library counts as used on the current device. */
static uint64_t used(void) {
    size_t f = 0, t = 0;
    cuMemGetInfo_v2(&f, &t);
    return t - f;
}

/* This process's slot's count of allocations the library refused. */
static uint64_t ooms(void) {
    static const tessera_usage_header *h;
    if (h == NULL) h = usage_map(0);
    const tessera_usage_slot *s = h ? usage_slot_of(h, getpid()) : NULL;
    return s ? __atomic_load_n(&s->oom_count, __ATOMIC_ACQUIRE) : UINT64_MAX;
}

static void expect_clean(const char *where) {
    CHECK_EQ_U64(free_bytes(), L, where);
    CHECK_EQ_U64(tstub_used(0), 0, where);
}

static void test_exact_limit(void) {
    size_t f = 0, t = 0;
    CHECK_RC(cuMemGetInfo_v2(&f, &t), CUDA_SUCCESS);
    CHECK_EQ_U64(t, L, "total is the limit");
    CHECK_EQ_U64(f, L, "all free");

    CUdeviceptr a = 0, b = 0, c = 0;
    CHECK_RC(cuMemAlloc_v2(&a, L - 4096), CUDA_SUCCESS);
    CHECK_RC(cuMemAlloc_v2(&b, 4096), CUDA_SUCCESS);
    CHECK_RC(cuMemAlloc_v2(&c, 1), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_EQ_U64(tstub_used(0), L, "driver holds exactly the limit");
    CHECK_EQ_U64(free_bytes(), 0, "nothing free at the limit");

    CHECK_RC(cuMemFree_v2(b), CUDA_SUCCESS);
    CHECK_EQ_U64(free_bytes(), 4096, "free counted");
    CHECK_RC(cuMemAlloc_v2(&c, 4097), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_RC(cuMemAlloc_v2(&c, 4096), CUDA_SUCCESS);
    CHECK_RC(cuMemFree_v2(c), CUDA_SUCCESS);
    CHECK_RC(cuMemFree_v2(a), CUDA_SUCCESS);
    CHECK_RC(cuMemAlloc_v2(&a, L + 1), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_RC(cuMemAlloc_v2(&a, 0), CUDA_ERROR_INVALID_VALUE); /* the driver's own answer */
    expect_clean("exact limit");
}

static void test_devices(void) {
    size_t bytes = 0, f = 0, t = 0;
    uint64_t physical = env_u64_or("TSTUB_TOTAL_BYTES", 0);
    CHECK_RC(cuDeviceTotalMem_v2(&bytes, 0), CUDA_SUCCESS);
    CHECK_EQ_U64(bytes, L, "device 0 total memory is its limit");
    CHECK_RC(cuDeviceTotalMem_v2(&bytes, 1), CUDA_SUCCESS);
    CHECK_EQ_U64(bytes, physical, "a limit above the physical size reports the physical size");

    tstub_set_device(1);
    CUdeviceptr p = 0;
    CHECK_RC(cuMemAlloc_v2(&p, 2 * L), CUDA_SUCCESS); /* device 1's limit is larger */
    CHECK_RC(cuMemGetInfo_v2(&f, &t), CUDA_SUCCESS);
    CHECK_EQ_U64(t, physical, "device 1 total");
    CHECK_EQ_U64(f, physical - 2 * L, "device 1 free");
    tstub_set_device(0);
    CHECK_EQ_U64(free_bytes(), L, "device 1's allocation is not charged to device 0");
    tstub_set_device(1);
    CHECK_RC(cuMemFree_v2(p), CUDA_SUCCESS);
    CHECK_EQ_U64(tstub_used(1), 0, "device 1 clean");
    tstub_set_device(0);
}

static void test_pitch(void) {
    CUdeviceptr p = 0, q = 0;
    size_t pitch = 0;
    setenv("TSTUB_PITCH_ALIGN", "1024", 1); /* wider than our 512-byte estimate */
    CHECK_RC(cuMemAllocPitch_v2(&p, &pitch, 100, 1000, 4), CUDA_SUCCESS);
    CHECK_EQ_U64(pitch, 1024, "stub pitch");
    CHECK_EQ_U64(used(), 1024 * 1000, "pitch * height charged (estimate raised)");
    setenv("TSTUB_PITCH_ALIGN", "256", 1); /* narrower than the estimate */
    CHECK_RC(cuMemAllocPitch_v2(&q, &pitch, 600, 1000, 4), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 1024 * 1000 + 768 * 1000, "pitch * height charged (estimate lowered)");
    CHECK_RC(cuMemFree_v2(q), CUDA_SUCCESS);

    /* The estimate fits, the real pitch does not: undone and refused. */
    setenv("TSTUB_PITCH_ALIGN", "1024", 1);
    uint64_t room = L - used();
    uint64_t height = room / 1024 + 1; /* 512 * height fits, 1024 * height does not */
    uint64_t before = tstub_used(0), refused = ooms();
    CHECK_RC(cuMemAllocPitch_v2(&q, &pitch, 100, height, 4), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_EQ_U64(ooms(), refused + 1, "the refusal after the driver picked the pitch is counted");
    CHECK_EQ_U64(tstub_used(0), before, "the over-limit pitched allocation was freed");
    CHECK_EQ_U64(used(), 1024 * 1000, "nothing charged for it");
    CHECK_RC(cuMemFree_v2(p), CUDA_SUCCESS);
    unsetenv("TSTUB_PITCH_ALIGN");
    expect_clean("pitch");
}

static void test_managed(void) {
    CUdeviceptr p = 0, q = 0;
    CHECK_RC(cuMemAllocManaged(&p, 3 * MiB, 1), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 3 * MiB, "managed charged");
    CHECK_RC(cuMemAllocManaged(&q, L, 1), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_RC(cuMemFree_v2(p), CUDA_SUCCESS);
    expect_clean("managed");
}

static void test_vmm(void) {
    CUmemAllocationProp dev = {0}, host = {0};
    dev.type = 1;
    dev.location.type = TESSERA_CU_MEM_LOCATION_TYPE_DEVICE;
    dev.location.id = 0;
    host.type = 1;
    host.location.type = 2; /* CU_MEM_LOCATION_TYPE_HOST */
    CUmemGenericAllocationHandle h1 = 0, h2 = 0, h3 = 0;
    CHECK_RC(cuMemCreate(&h1, 2 * MiB, &dev, 0), CUDA_SUCCESS);
    CHECK_RC(cuMemCreate(&h2, 2 * MiB, &host, 0), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 2 * MiB, "only the device-located handle is charged");
    CHECK_RC(cuMemCreate(&h3, L - 2 * MiB + 1, &dev, 0), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_RC(cuMemCreate(&h3, L - 2 * MiB, &dev, 0), CUDA_SUCCESS);
    CHECK_RC(cuMemRelease(h3), CUDA_SUCCESS);
    CHECK_RC(cuMemRelease(h2), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 2 * MiB, "host handle release changes nothing");
    CHECK_RC(cuMemRelease(h1), CUDA_SUCCESS);
    expect_clean("vmm");

    dev.location.id = 1; /* charged to the device it names, not the current one */
    CHECK_RC(cuMemCreate(&h1, 2 * L, &dev, 0), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 0, "device 0 untouched");
    CHECK_RC(cuMemRelease(h1), CUDA_SUCCESS);
}

static void test_arrays(void) {
    CUarray a2 = NULL, a3 = NULL, sparse = NULL, big = NULL;
    CUmipmappedArray mm = NULL;
    CUDA_ARRAY_DESCRIPTOR d2 = {.Width = 256, .Height = 256, .Format = 0x20, .NumChannels = 4};
    CUDA_ARRAY3D_DESCRIPTOR d3 = {.Width = 64, .Height = 64, .Depth = 64, .Format = 0x01, .NumChannels = 1};
    CUDA_ARRAY3D_DESCRIPTOR dm = {.Width = 256, .Height = 256, .Format = 0x10, .NumChannels = 2};
    CUDA_ARRAY3D_DESCRIPTOR ds = {.Width = 64, .Height = 64, .Depth = 64, .Format = 0x01,
                                  .NumChannels = 1, .Flags = 0x40 /* sparse */};
    CHECK_RC(cuArrayCreate_v2(&a2, &d2), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 256 * 256 * 16, "2D float4 array");
    CHECK_RC(cuArray3DCreate_v2(&a3, &d3), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 256 * 256 * 16 + 64 * 64 * 64, "+ 3D uchar array");
    CHECK_RC(cuMipmappedArrayCreate(&mm, &dm, 3), CUDA_SUCCESS);
    uint64_t mip = (256 * 256 + 128 * 128 + 64 * 64) * 4;
    CHECK_EQ_U64(used(), 256 * 256 * 16 + 64 * 64 * 64 + mip, "+ 3-level half2 mipmap");
    CHECK_RC(cuArray3DCreate_v2(&sparse, &ds), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 256 * 256 * 16 + 64 * 64 * 64 + mip, "sparse array charged nothing");
    CUDA_ARRAY_DESCRIPTOR huge = {.Width = L / 4, .Height = 1, .Format = 0x20, .NumChannels = 1};
    CHECK_RC(cuArrayCreate_v2(&big, &huge), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_RC(cuArrayDestroy(sparse), CUDA_SUCCESS);
    CHECK_RC(cuMipmappedArrayDestroy(mm), CUDA_SUCCESS);
    CHECK_RC(cuArrayDestroy(a3), CUDA_SUCCESS);
    CHECK_RC(cuArrayDestroy(a2), CUDA_SUCCESS);
    expect_clean("arrays");
}

/* Pools are charged by what they hold (the stub's grow in 2 MiB steps), and give memory back
 * at a synchronisation (release threshold 0, the default). */
static void test_async_and_pools(void) {
    CUdeviceptr p[4] = {0}, q = 0;
    CUmemoryPool pool = NULL;
    CHECK_RC(cuDeviceGetDefaultMemPool(&pool, 0), CUDA_SUCCESS);
    CHECK_RC(cuMemAllocAsync(&p[0], MiB, NULL), CUDA_SUCCESS);
    CHECK_RC(cuMemAllocAsync_ptsz(&p[1], MiB, NULL), CUDA_SUCCESS);
    CHECK_RC(cuMemAllocFromPoolAsync(&p[2], MiB, pool, NULL), CUDA_SUCCESS);
    CHECK_RC(cuMemAllocFromPoolAsync_ptsz(&p[3], MiB, pool, NULL), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), 4 * MiB, "async and pooled allocations charged");
    CHECK_RC(cuMemAllocFromPoolAsync(&q, L - 4 * MiB + 1, pool, NULL), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_RC(cuMemAllocAsync(&q, L - 4 * MiB, NULL), CUDA_SUCCESS);
    CHECK_RC(cuMemAllocAsync_ptsz(&q, 1, NULL), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_EQ_U64(tstub_used(0), L, "the driver never held more than the limit");
    CHECK_RC(cuMemFreeAsync(q, NULL), CUDA_SUCCESS);
    CHECK_RC(cuMemFreeAsync(p[0], NULL), CUDA_SUCCESS);
    CHECK_RC(cuMemFreeAsync_ptsz(p[1], NULL), CUDA_SUCCESS);
    CHECK_RC(cuMemFree_v2(p[2]), CUDA_SUCCESS); /* cuMemFree may free pool memory too */
    CHECK_RC(cuMemFreeAsync(p[3], NULL), CUDA_SUCCESS);
    CHECK_EQ_U64(used(), L, "still held by the pool until a synchronisation");
    CHECK_RC(cuCtxSynchronize(), CUDA_SUCCESS);
    expect_clean("async and pools");
}

static void test_failed_free(void) {
    CUdeviceptr p = 0;
    CHECK_RC(cuMemAlloc_v2(&p, MiB), CUDA_SUCCESS);
    tstub_fail_next_free();
    CHECK_RC(cuMemFree_v2(p), CUDA_ERROR_INVALID_VALUE);
    CHECK_EQ_U64(used(), MiB, "a failed free releases nothing");
    CHECK_RC(cuMemFree_v2(p + 1), CUDA_ERROR_INVALID_VALUE); /* not an allocation */
    CHECK_EQ_U64(used(), MiB, "freeing garbage releases nothing");
    CHECK_RC(cuMemFree_v2(p), CUDA_SUCCESS);
    expect_clean("failed free");
}

static void test_usage_file(void) {
    const tessera_usage_header *h = usage_map(0);
    CHECK(h != NULL, "usage file gpu-0.usage is mapped");
    if (h == NULL) return;
    CHECK_EQ_U64(h->magic, TESSERA_USAGE_MAGIC, "magic");
    CHECK_EQ_U64(h->version, TESSERA_USAGE_VERSION, "version");
    CHECK_EQ_U64(h->header_size, 64, "header size");
    CHECK_EQ_U64(h->slot_size, 64, "slot size");
    CHECK_EQ_U64(h->slot_count, TESSERA_USAGE_SLOTS, "slot count");
    CHECK_EQ_U64(h->device_ordinal, 0, "ordinal");
    CHECK_EQ_U64(h->limit_bytes, L, "limit");
    CHECK_EQ_U64(h->request_bytes, L, "request (no TESSERA_GPU_MEMORY_REQUESTS: the limit)");
    CHECK_EQ_U64(usage_wanted(h), 0, "nothing wanted");
    CUdeviceptr p = 0, q = 0;
    CHECK_RC(cuMemAlloc_v2(&p, 3 * MiB), CUDA_SUCCESS);
    const tessera_usage_slot *s = usage_slot_of(h, getpid());
    CHECK(s != NULL, "own slot present");
    CHECK_EQ_U64(usage_total(h), 3 * MiB, "header total");
    if (s != NULL) {
        CHECK_EQ_U64(s->used_bytes, 3 * MiB, "own slot");
        CHECK(s->peak_bytes >= 3 * MiB, "peak %llu", (unsigned long long)s->peak_bytes);
        CHECK(s->start_time != 0 && s->pid_ns != 0, "identity recorded");
        /* Refusals over the limit count, whatever the entry point. */
        uint64_t refused = s->oom_count;
        CHECK(refused > 0, "earlier refusals counted: %llu", (unsigned long long)refused);
        CHECK_RC(cuMemAlloc_v2(&q, L), CUDA_ERROR_OUT_OF_MEMORY);
        CHECK_RC(cuMemAllocAsync(&q, L, NULL), CUDA_ERROR_OUT_OF_MEMORY);
        CHECK_EQ_U64(s->oom_count, refused + 2, "oom_count");
        CHECK_RC(cuMemAlloc_v2(&q, MiB), CUDA_SUCCESS);
        CHECK_RC(cuMemFree_v2(q), CUDA_SUCCESS);
        CHECK_EQ_U64(s->oom_count, refused + 2, "a success counts nothing");
        CHECK(s->flags == 0 && s->swapped_bytes == 0, "without swap, flags and swapped bytes stay 0");
    }
    CHECK_RC(cuMemFree_v2(p), CUDA_SUCCESS);
    CHECK_EQ_U64(usage_total(h), 0, "header total after free");
}

/* ---- threads racing at the limit -------------------------------------------------------- */

#define THREADS 8
#define ROUNDS 3000
#define HOLD 4

static int g_stop_sampler;
static uint64_t g_over_limit_samples;
static uint64_t g_ooms;

static uint64_t next_random(uint64_t *state) {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

static void *racer(void *arg) {
    uint64_t rng = (uintptr_t)arg * 0x9E3779B97F4A7C15ull + 1;
    CUdeviceptr held[HOLD] = {0};
    for (int i = 0; i < ROUNDS; i++) {
        int k = (int)(next_random(&rng) % HOLD);
        if (held[k] != 0) {
            if (cuMemFree_v2(held[k]) != CUDA_SUCCESS) __atomic_add_fetch(&g_failures, 1, __ATOMIC_RELAXED);
            held[k] = 0;
            continue;
        }
        size_t size = 1 + next_random(&rng) % (L / 6); /* demand well over the limit */
        CUresult rc = cuMemAlloc_v2(&held[k], size);
        if (rc == CUDA_ERROR_OUT_OF_MEMORY) {
            held[k] = 0;
            __atomic_add_fetch(&g_ooms, 1, __ATOMIC_RELAXED);
        } else if (rc != CUDA_SUCCESS) {
            __atomic_add_fetch(&g_failures, 1, __ATOMIC_RELAXED);
        }
    }
    for (int k = 0; k < HOLD; k++) if (held[k]) cuMemFree_v2(held[k]);
    return NULL;
}

/* Watches the shared total the way the agent would while the racers run. */
static void *sampler(void *arg) {
    const tessera_usage_header *h = arg;
    while (!__atomic_load_n(&g_stop_sampler, __ATOMIC_ACQUIRE)) {
        if (usage_total(h) > L) __atomic_add_fetch(&g_over_limit_samples, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void test_threads(void) {
    const tessera_usage_header *h = usage_map(0);
    if (h == NULL) { CHECK(0, "no usage file"); return; }
    tstub_reset_peak(0);
    pthread_t th[THREADS], watch;
    pthread_create(&watch, NULL, sampler, (void *)h);
    for (long i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, racer, (void *)(i + 1));
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    __atomic_store_n(&g_stop_sampler, 1, __ATOMIC_RELEASE);
    pthread_join(watch, NULL);
    CHECK(tstub_peak(0) <= L, "driver peak %llu exceeds the limit %llu",
          (unsigned long long)tstub_peak(0), (unsigned long long)L);
    CHECK(g_ooms > 0, "the race never reached the limit");
    CHECK_EQ_U64(g_over_limit_samples, 0, "samples of the shared total above the limit");
    expect_clean("threads");
    CHECK_EQ_U64(usage_total(h), 0, "shared total after threads");
    printf("threads: %d x %d rounds, %llu refused at the limit, driver peak %llu of %llu\n",
           THREADS, ROUNDS, (unsigned long long)g_ooms, (unsigned long long)tstub_peak(0),
           (unsigned long long)L);
}

/* ---- fork ------------------------------------------------------------------------------- */

static void test_fork(void) {
    const tessera_usage_header *h = usage_map(0);
    if (h == NULL) { CHECK(0, "no usage file"); return; }
    CUdeviceptr parent = 0;
    CHECK_RC(cuMemAlloc_v2(&parent, 2 * MiB), CUDA_SUCCESS);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        /* A fresh slot, and the parent's bytes still count against the shared limit. */
        CUdeviceptr p = 0, q = 0;
        int ok = cuMemAlloc_v2(&p, L - 2 * MiB) == CUDA_SUCCESS &&
                 cuMemAlloc_v2(&q, 1) == CUDA_ERROR_OUT_OF_MEMORY &&
                 usage_slot_of(h, getpid()) != NULL &&
                 usage_slot_of(h, getpid())->used_bytes == L - 2 * MiB;
        exit(ok ? 0 : 3); /* exit without freeing: the slot goes back at exit */
    }
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    CHECK(usage_slot_of(h, child) == NULL, "child's slot returned at exit");
    CHECK_EQ_U64(usage_total(h), 2 * MiB, "only the parent's bytes remain");
    CHECK_RC(cuMemFree_v2(parent), CUDA_SUCCESS);
    expect_clean("fork");
}

int main(void) {
    L = limit0();
    CHECK(L > 16 * MiB, "TESSERA_GPU_MEMORY_LIMITS must give device 0 more than 16 MiB");
    CHECK_RC(cuInit(0), CUDA_SUCCESS);
    tstub_set_device(0);
    test_exact_limit();
    test_usage_file();
    test_devices();
    test_pitch();
    test_managed();
    test_vmm();
    test_arrays();
    test_async_and_pools();
    test_failed_free();
    test_threads();
    test_fork();
    return finish("t_link");
}
