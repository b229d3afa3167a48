package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.workloads.TrainingResource;
import dev.tessera.api.workloads.WorkloadStatus;
import dev.tessera.api.workloads.WorkloadStatus.PhaseChange;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code submit --wait}: another thread plays the workload controller, writing phases once the
 * workload exists; the command prints each and returns on Running, or fails on Failed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WaitTest {
  private EmbeddedApiServer api;
  private KubernetesClient client;
  private ExecutorService controller;

  @BeforeAll
  void start() {
    api = EmbeddedApiServer.start();
    client = api.client();
    TestProjects.create(client, "wait");
    controller = Executors.newSingleThreadExecutor();
  }

  @AfterAll
  void stop() {
    controller.shutdownNow();
    api.close();
  }

  /** Once the training exists, writes each phase in turn, each with the history so far. */
  private CompletableFuture<Void> playController(String project, String name, String reason, String... phases) {
    return CompletableFuture.runAsync(() -> {
      while (client.resources(TrainingResource.class).inNamespace(project).withName(name).get() == null) {
        Thread.onSpinWait();
      }
      List<PhaseChange> history = new ArrayList<>();
      for (String phase : phases) {
        history.add(new PhaseChange(phase, "2025-01-01T10:00:00Z", reason, phase + " now"));
        WorkloadStatus status = new WorkloadStatus(phase, null, List.copyOf(history), null, null, null, null, null,
            null, null, null, null, null, null, null, reason, null);
        client.resources(TrainingResource.class).inNamespace(project).withName(name).editStatus(t -> {
          t.setStatus(status);
          return t;
        });
      }
    }, controller);
  }

  @Test
  void returnsOnceRunningAfterPrintingEachPhase() throws Exception {
    CompletableFuture<Void> phases = playController("wait", "runs", "Progress", "Pending", "Initializing", "Running");
    CliRun.Result result = CliRun.against(api.url(), Clock.systemUTC(),
        "submit", "trn", "runs", "-p", "wait", "--image", "x", "--wait", "--timeout", "60");
    phases.get(10, TimeUnit.SECONDS);
    assertEquals(0, result.exit(), result::toString);
    List<String> lines = result.out().lines().toList();
    assertEquals(List.of("training 'runs' submitted to project 'wait'", "Pending  Progress: Pending now",
        "Initializing  Progress: Initializing now", "Running  Progress: Running now"), lines, result::toString);
  }

  @Test
  void exitsNonZeroWithTheReasonOnFailed() throws Exception {
    CompletableFuture<Void> phases = playController("wait", "fails", "PolicyViolation", "Pending", "Failed");
    CliRun.Result result = CliRun.against(api.url(), Clock.systemUTC(),
        "submit", "trn", "fails", "-p", "wait", "--image", "x", "--wait", "--timeout", "60");
    phases.get(10, TimeUnit.SECONDS);
    assertEquals(1, result.exit(), result::toString);
    assertTrue(result.out().contains("Failed  PolicyViolation: Failed now"), result::toString);
    assertTrue(result.err().contains("training 'fails' failed: PolicyViolation: Failed now"), result::toString);
  }

  @Test
  void givesUpAfterTheTimeout() {
    CliRun.Result result = CliRun.against(api.url(), Clock.systemUTC(),
        "submit", "trn", "stuck", "-p", "wait", "--image", "x", "--wait", "--timeout", "1");
    assertEquals(1, result.exit(), result::toString);
    assertTrue(result.err().contains("gave up waiting after 1s; training 'stuck' is without a phase yet"),
        result::toString);
  }
}
