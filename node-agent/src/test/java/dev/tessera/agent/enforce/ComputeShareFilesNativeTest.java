package dev.tessera.agent.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.agent.Await;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's side of dynamic compute shares against the real native library: tenants of the stub
 * GPU ({@code t_compute tenant}, the program the library's own compute-share test runs) in pod
 * directories of their own, sharing one GPU timeline. What each gets of the GPU is read the way
 * the agent's scheduler reads it, from the time the library charged to its launches, over windows
 * of wall time; the share is changed the way the scheduler changes it, through {@link
 * ComputeShareFiles#set}, while the tenants run.
 */
class ComputeShareFilesNativeTest {
  private static final Path NATIVE = Path.of("..", "native", "target").toAbsolutePath().normalize();
  private static final Path LIBRARY = NATIVE.resolve("libtessera-cuda.so");
  private static final Path T_COMPUTE = NATIVE.resolve("test").resolve("t_compute");
  private static final long KERNEL_US = 2000;
  private static final long RUN_MS = 4000;
  /** The host runs other builds: a run it disturbed says nothing about the library, so it is repeated. */
  private static final int TRIES = 3;

  @TempDir Path dir;

  private final List<Process> started = new ArrayList<>();

  @BeforeAll
  static void nativeBuildIsThere() {
    for (Path p : List.of(LIBRARY, NATIVE.resolve("test").resolve("libcuda.so.1"), T_COMPUTE)) {
      assertTrue(Files.exists(p),
          p + " is missing: build the native library first (mvn -pl native verify; the full build does it"
              + " before the node agent)");
    }
  }

  @AfterEach
  void stop() {
    started.forEach(Process::destroyForcibly);
  }

  @Test
  void theLibraryFollowsTheShareTheAgentWritesWhileItRuns() throws Exception {
    String failures = "";
    for (int attempt = 1; attempt <= TRIES; attempt++) {
      String failure = oneRun(attempt);
      if (failure == null) {
        return;
      }
      failures += "\n  run " + attempt + ": " + failure;
    }
    throw new AssertionError("the library did not follow the agent's share in " + TRIES + " runs:" + failures);
  }

  /**
   * The whole loop, with the real scheduler on its own thread and the system clock: an owner whose
   * process ran and ended leaves its 70% idle, the scheduler lends it to the busy borrower; the
   * owner's next process gets its share back within the bound, measured by what it is charged.
   */
  @Test
  void theSchedulerLendsAnIdleShareAndGivesItBackWhenItsOwnerRunsAgain() throws Exception {
    String failures = "";
    for (int attempt = 1; attempt <= TRIES; attempt++) {
      String failure = schedulerRun(attempt);
      if (failure == null) {
        return;
      }
      failures += "\n  run " + attempt + ": " + failure;
    }
    throw new AssertionError("the owner did not get its share back in " + TRIES + " runs:" + failures);
  }

  private String schedulerRun(int attempt) throws Exception {
    Path usage = Files.createDirectories(dir.resolve("loop-" + attempt));
    Path gpu = usage.resolve("gpu-timeline");
    Path borrowerDir = UsageFileWriter.pod(usage, "team", "borrower", "uid-borrower", "GPU-1");
    Path ownerDir = UsageFileWriter.pod(usage, "team", "owner", "uid-owner", "GPU-1");
    ComputeShareFiles files = new ComputeShareFiles(usage);
    java.util.List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
    io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    java.util.concurrent.ScheduledExecutorService thread = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    ComputeShareScheduler scheduler = new ComputeShareScheduler(files, new PodEvents() {
      @Override
      public void warning(dev.tessera.agent.deviceplugin.ClaimRecord pod, String reason, String message) {}

      @Override
      public void normal(dev.tessera.agent.deviceplugin.ClaimRecord pod, String reason, String message) {
        events.add(pod.pod() + " " + reason + ": " + message);
      }
    }, registry, java.time.Clock.systemUTC(), ComputeShareSettings.DEFAULT);
    try {
      // The owner's first process runs briefly (its compute file stays), the borrower for the whole test.
      Tenant borrower = start(borrowerDir, gpu, 30, 7000);
      Tenant firstOwner = start(ownerDir, gpu, 70, 200);
      borrower.awaitReady();
      firstOwner.awaitReady();
      borrower.go();
      firstOwner.go();
      firstOwner.report();
      scheduler.start(thread);
      Await.until(() -> lentTo(files, "borrower") == 90, "the owner's idle share lent to the borrower, but its headroom");

      Tenant owner = start(ownerDir, gpu, 70, 4000);
      owner.awaitReady();
      long busy = System.nanoTime();
      owner.go();
      Await.until(() -> lentTo(files, "borrower") == 30, "the borrower back to its own 30%");
      double tookSeconds = (System.nanoTime() - busy) / 1e9;
      TimeUnit.MILLISECONDS.sleep(600);
      Window window = Window.open(files);
      TimeUnit.MILLISECONDS.sleep(1500);
      double[] shares = window.close(files);
      owner.report();
      borrower.report();

      String shown = String.format("written back %.2f s after the owner's process started; then borrower %.0f%%,"
          + " owner %.0f%%; reclaim histogram max %.2f s; events %s", tookSeconds, shares[0] * 100, shares[1] * 100,
          registry.get("tessera.gpu.compute.share.reclaim").timer().max(TimeUnit.SECONDS), events);
      System.out.println("loop " + attempt + ": " + shown);
      boolean told = events.stream().anyMatch(e -> e.startsWith("borrower GpuComputeShareLent"))
          && events.stream().anyMatch(e -> e.startsWith("borrower GpuComputeShareReclaimed"));
      // The bound is 0.62 s; this machine runs other builds, which can delay a tick or a process start.
      return told && tookSeconds <= 1.5 && shares[1] >= 0.6 && shares[0] <= 0.4 ? null : shown;
    } finally {
      scheduler.close();
      thread.shutdownNow();
    }
  }

  private static int lentTo(ComputeShareFiles files, String pod) {
    return files.read().stream().filter(t -> t.claim().pod().equals(pod)).mapToInt(ComputeTenant::effectivePercent)
        .findFirst().orElse(-1);
  }

  /** Null when the run showed the shares followed; otherwise what it showed. */
  private String oneRun(int attempt) throws Exception {
    Path usage = Files.createDirectories(dir.resolve("run-" + attempt));
    Path gpu = usage.resolve("gpu-timeline");
    Path lenderDir = UsageFileWriter.pod(usage, "team", "borrower", "uid-borrower", "GPU-1");
    Path otherDir = UsageFileWriter.pod(usage, "team", "other", "uid-other", "GPU-1");
    Tenant borrower = start(lenderDir, gpu, 30, RUN_MS);
    Tenant other = start(otherDir, gpu, 30, RUN_MS);
    borrower.awaitReady();
    other.awaitReady();
    ComputeShareFiles files = new ComputeShareFiles(usage);
    borrower.go();
    other.go();
    long t0 = System.nanoTime();
    Await.until(() -> files.read().size() == 2, "both tenants' compute files (made at their first launch)");

    // Both held to their own 30%: the GPU idles for the rest.
    sleepUntil(t0, 500);
    Window before = Window.open(files);
    sleepUntil(t0, 1700);
    double[] ownShares = before.close(files);

    // The agent lends the borrower 40 points of the idle GPU; the library looks within 100 ms.
    ComputeTenant lent = files.read().stream().filter(t -> t.claim().pod().equals("borrower")).findFirst().orElseThrow();
    assertEquals(30, lent.guaranteedPercent(), "the library wrote the container's own share");
    assertTrue(files.set(lent, 70, Instant.now().plusSeconds(30)));
    sleepUntil(t0, 2100);
    Window after = Window.open(files);
    sleepUntil(t0, 3500);
    double[] lentShares = after.close(files);
    long[] borrowerRun = borrower.report();
    other.report();

    String shown = String.format(
        "own shares: borrower %.0f%%, other %.0f%%; borrower lent 70%%: borrower %.0f%%, other %.0f%%",
        ownShares[0] * 100, ownShares[1] * 100, lentShares[0] * 100, lentShares[1] * 100);
    System.out.println("run " + attempt + ": " + shown + " (borrower's whole run " + borrowerRun[0] / 1e4
        + "% of the GPU, held " + borrowerRun[1] / 1e4 + "%)");
    boolean heldToOwn = ownShares[0] <= 0.40 && ownShares[1] <= 0.40 && ownShares[0] >= 0.15;
    boolean followed = lentShares[0] >= 0.55 && lentShares[1] <= 0.40;
    return heldToOwn && followed ? null : shown;
  }

  private static void sleepUntil(long t0, long ms) throws InterruptedException {
    long left = t0 + TimeUnit.MILLISECONDS.toNanos(ms) - System.nanoTime();
    if (left > 0) {
      TimeUnit.NANOSECONDS.sleep(left);
    }
  }

  /** GPU time charged to each tenant (borrower first) over a window of wall time, as the scheduler reads it. */
  private record Window(long startNanos, long[] charged) {
    static Window open(ComputeShareFiles files) {
      return new Window(System.nanoTime(), charged(files));
    }

    double[] close(ComputeShareFiles files) {
      long[] now = charged(files);
      double wall = System.nanoTime() - startNanos;
      return new double[] {(now[0] - charged[0]) / wall, (now[1] - charged[1]) / wall};
    }

    private static long[] charged(ComputeShareFiles files) {
      long[] out = new long[2];
      for (ComputeTenant t : files.read()) {
        out[t.claim().pod().equals("borrower") ? 0 : 1] = t.chargedNanos();
      }
      return out;
    }
  }

  private Tenant start(Path podDir, Path gpuTimeline, int share, long runMillis) throws IOException {
    // t_compute tenant <kernel us> <run ms> <in fd> <out fd>: ready byte out, go byte in, run, report.
    ProcessBuilder builder = new ProcessBuilder(
        T_COMPUTE.toString(), "tenant", Long.toString(KERNEL_US), Long.toString(runMillis), "0", "1");
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(k -> k.startsWith("TESSERA_") || k.startsWith("TSTUB_"));
    env.put("LD_PRELOAD", LIBRARY.toString());
    env.put("LD_LIBRARY_PATH", T_COMPUTE.getParent().toString());
    env.put("TSTUB_GPU_FILE", gpuTimeline.toString());
    env.put("TESSERA_GPU_MEMORY_LIMITS", Long.toString(64L << 20));
    env.put("TESSERA_GPU_COMPUTE_SHARES", Integer.toString(share));
    env.put("TESSERA_USAGE_DIR", podDir.toString());
    builder.redirectError(ProcessBuilder.Redirect.appendTo(podDir.resolve("stderr").toFile()));
    Process process = builder.start();
    started.add(process);
    return new Tenant(process, podDir);
  }

  /** One tenant process and its pipes. */
  private record Tenant(Process process, Path podDir) {
    void awaitReady() throws IOException {
      assertEquals(1, process.getInputStream().read(), () -> "the tenant did not start: " + stderr());
    }

    void go() throws IOException {
      OutputStream in = process.getOutputStream();
      in.write(1);
      in.flush();
    }

    /** The stub GPU's busy time and the library's held time over the run, in parts per million. */
    long[] report() throws IOException, InterruptedException {
      InputStream out = process.getInputStream();
      byte[] bytes = out.readNBytes(16);
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the tenant ends");
      assertEquals(0, process.exitValue(), () -> "tenant exit status; " + stderr());
      ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
      return new long[] {b.getLong(0), b.getLong(8)};
    }

    String stderr() {
      try {
        return "its stderr: " + Files.readString(podDir.resolve("stderr"));
      } catch (IOException e) {
        return "no stderr: " + e;
      }
    }
  }
}
