package dev.tessera.agent.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.agent.Await;
import dev.tessera.agent.deviceplugin.ClaimRecord;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guard against the real native library: processes with it preloaded over the stub driver,
 * whose 1 GiB of "physical" memory they share through a file. A loan is taken back for real (the
 * guard finds the borrower in /proc and kills it), and a refusal the library counts becomes an
 * event. Only the Kubernetes events are recorded in memory (KubePodEventsTest sends one to an API
 * server).
 */
class LoanEndToEndTest {
  private static final long MIB = 1L << 20;
  private static final Path NATIVE = Path.of("..", "native", "target").toAbsolutePath().normalize();
  private static final Path LIBRARY = NATIVE.resolve("libtessera-cuda.so");
  private static final Path TEST_BIN = NATIVE.resolve("test");

  @TempDir Path dir;

  private final List<Process> started = new ArrayList<>();
  private final Map<Process, Path> stderr = new HashMap<>();
  private final List<String> events = Collections.synchronizedList(new ArrayList<>());
  private final ScheduledExecutorService guardThread = Executors.newSingleThreadScheduledExecutor();

  @BeforeAll
  static void nativeBuildIsThere() {
    for (Path p : List.of(LIBRARY, TEST_BIN.resolve("libcuda.so.1"), TEST_BIN.resolve("t_loan"))) {
      assertTrue(Files.isExecutable(p) || Files.isRegularFile(p),
          p + " is missing: build the native library first (mvn -pl native verify; the full build does it"
              + " before the node agent)");
    }
  }

  @AfterEach
  void stop() throws InterruptedException {
    guardThread.shutdownNow();
    guardThread.awaitTermination(10, TimeUnit.SECONDS);
    started.forEach(Process::destroyForcibly);
  }

  @Test
  void aTenantWithinItsRequestGetsItsMemoryBackFromABorrower() throws Exception {
    Path usage = Files.createDirectories(dir.resolve("usage"));
    Path borrowerDir = UsageFileWriter.pod(usage, "team", "borrower", "uid-borrower", "GPU-1");
    Path claimantDir = UsageFileWriter.pod(usage, "team", "claimant", "uid-claimant", "GPU-1");

    // Placed by 256 MiB, may use 768: holds 700, all but 188 MiB of the GPU.
    Process borrower = start(borrowerDir, 256 * MIB, 768 * MIB, "hold", 700 * MIB);
    assertEquals("held " + 700 * MIB, firstLine(borrower));
    try (GpuMemoryGuard guard = new GpuMemoryGuard(new UsageFiles(usage), new ProcFs(Path.of("/proc")),
        (ClaimRecord pod, String reason, String message) -> events.add(pod.pod() + " " + reason + ": " + message),
        new SimpleMeterRegistry(), Clock.systemUTC()).start(guardThread)) {

      // Placed by 512 MiB: 400 of them do not fit beside the loan until the guard takes it back.
      Process claimant = start(claimantDir, 512 * MIB, 512 * MIB, "alloc", 400 * MIB);

      assertTrue(claimant.waitFor(60, TimeUnit.SECONDS), "the claimant finishes");
      assertEquals("allocated " + 400 * MIB, firstLine(claimant), stderr(claimant));
      assertEquals(0, claimant.exitValue());
      assertTrue(borrower.waitFor(10, TimeUnit.SECONDS), "the borrower was killed");
      Await.until(() -> !events.isEmpty(), "the guard's event"); // sent just after the kill
    }
    assertEquals(1, events.size(), events.toString());
    assertTrue(events.get(0).startsWith("borrower GpuMemoryLoanReclaimed: process " + borrower.pid() + " was killed"),
        events.get(0));
    assertTrue(events.get(0).contains("444 MiB above its request of 256 MiB"), events.get(0));
  }

  @Test
  void aRefusalAtTheLimitBecomesAnEventOnThePod() throws Exception {
    Path usage = Files.createDirectories(dir.resolve("usage"));
    Path podDir = UsageFileWriter.pod(usage, "team", "greedy", "uid-greedy", "GPU-1");

    // 600 MiB asked of a 512 MiB limit: the library refuses it and counts it in the slot.
    Process greedy = start(podDir, 512 * MIB, 512 * MIB, "stay", 600 * MIB);
    assertEquals("oom 2", firstLine(greedy), "CUDA_ERROR_OUT_OF_MEMORY, as the driver would say");
    try (GpuMemoryGuard guard = new GpuMemoryGuard(new UsageFiles(usage), new ProcFs(Path.of("/proc")),
        (ClaimRecord pod, String reason, String message) -> events.add(pod.pod() + " " + reason + ": " + message),
        new SimpleMeterRegistry(), Clock.systemUTC()).start(guardThread)) {
      Await.until(() -> !events.isEmpty(), "the guard's event");
    }

    assertEquals(1, events.size(), events.toString());
    assertTrue(events.get(0).startsWith("greedy GpuOutOfMemory: process " + greedy.pid()
        + " was refused GPU memory on GPU GPU-1 (1 time): the container's limit is 512 MiB"), events.get(0));
    assertTrue(greedy.isAlive(), "refused, not killed");
  }

  private Process start(Path usageDir, long request, long limit, String mode, long bytes) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(TEST_BIN.resolve("t_loan").toString(), mode, Long.toString(bytes));
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(k -> k.startsWith("TESSERA_") || k.startsWith("TSTUB_"));
    env.put("LD_PRELOAD", LIBRARY.toString());
    env.put("LD_LIBRARY_PATH", TEST_BIN.toString());
    env.put("TSTUB_TOTAL_BYTES", Long.toString(1024 * MIB));
    env.put("TSTUB_SHARED_FILE", dir.resolve("physical").toString());
    env.put("TESSERA_GPU_MEMORY_LIMITS", Long.toString(limit));
    env.put("TESSERA_GPU_MEMORY_REQUESTS", Long.toString(request));
    env.put("TESSERA_USAGE_DIR", usageDir.toString());
    env.put("TESSERA_LOAN_WAIT_MS", "30000");
    Path err = dir.resolve(mode + ".err");
    builder.redirectError(err.toFile());
    Process process = builder.start();
    started.add(process);
    stderr.put(process, err);
    return process;
  }

  private static String firstLine(Process process) throws IOException {
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    return line == null ? "(nothing)" : line;
  }

  private String stderr(Process process) throws IOException {
    return "its stderr: " + Files.readString(stderr.get(process));
  }
}
