package dev.tessera.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The extender killed with SIGKILL and started again, while kube-scheduler keeps calling it. */
class RestartIT {
  private Installation tessera;
  private KubernetesClient api;

  @BeforeEach
  void setUp() {
    tessera = Installation.fresh();
    api = tessera.admin();
  }

  /**
   * The repro: a full node, the extender restarted, and filter asked about that node for a
   * pending pod while the new process is still listing. No answer may say the node has room.
   */
  @Test
  void aRestartedExtenderNeverSaysAFullNodeHasRoom() {
    Workloads.gpuNode(api, "full-1", 4, Map.of());
    ExtenderProcess extender = tessera.startExtender().awaitReady(Duration.ofSeconds(60));
    for (int i = 0; i < 4; i++) {
      api.resource(Workloads.wholeGpus("hold-" + i, 1)).create();
    }
    Await.until("4 pods bound to full-1", Duration.ofSeconds(30), () -> ApiLedger.read(api).boundPods.size() == 4);
    // A pod kube-scheduler would ask about: it never reaches the scheduler (no schedulerName of ours).
    Pod waiting = new io.fabric8.kubernetes.api.model.PodBuilder(Workloads.wholeGpus("waiting", 1))
        .editSpec().withSchedulerName("nobody").endSpec().build();
    waiting = api.resource(waiting).create();
    String body = "{\"Pod\":" + Serialization.asJson(waiting) + ",\"Nodes\":null,\"NodeNames\":[\"full-1\"]}";

    extender.kill();
    extender = tessera.startExtender();
    List<String> answers = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (extender.status("/readyz") != 200 && System.nanoTime() < deadline) {
      try {
        HttpResponse<String> answer = extender.post("/filter", body);
        answers.add(answer.statusCode() + " " + answer.body());
      } catch (IllegalStateException notListening) {
        Await.sleep(Duration.ofMillis(20)); // the new process has not opened its port yet
      }
    }
    answers.add(extender.post("/filter", body).body());
    for (String answer : answers) {
      assertTrue(!answer.contains("\"NodeNames\":[\"full-1\"]"),
          "a filter answer passed the full node during the restart: " + answer);
    }
  }

  /**
   * kill -9 in the middle of a burst, a restart, and 40 more pods: whatever kube-scheduler did
   * meanwhile, no GPU capacity is held twice and the restarted extender's ledger is the one the
   * API server records.
   */
  @Test
  void noGpuIsDoubleBookedAcrossAKillDuringABurst() {
    for (int i = 0; i < 6; i++) {
      Workloads.gpuNode(api, "r-" + i, 4, Map.of());
    }
    ExtenderProcess extender = tessera.startExtender().awaitReady(Duration.ofSeconds(60));
    List<Pod> burst = mixed("a", 30);
    Thread creator = new Thread(() -> burst.forEach(p -> api.resource(p).create()));
    creator.start();
    Await.until("a third of the burst bound", Duration.ofSeconds(60), () -> ApiLedger.read(api).boundPods.size() >= 10);
    extender.kill();
    join(creator);
    extender = tessera.startExtender().awaitReady(Duration.ofSeconds(60));
    mixed("b", 40).forEach(p -> api.resource(p).create());

    awaitSettled(Duration.ofSeconds(120));
    ApiLedger ledger = ApiLedger.read(api);
    assertEquals(Map.of(), ledger.overCommitted(Workloads.L4_MIB), "GPUs held twice");
    assertEquals(List.of(), ledger.boundWithoutAssignment, "pods bound without an assignment");
    ExtenderProcess running = extender;
    Await.until("the extender's ledger to equal the API server's", Duration.ofSeconds(30),
        () -> running.metric("tessera_pods_placed") == ledger.boundPods.size()
            && Math.abs(running.metric("tessera_gpus_allocated") - ledger.allocatedGpus(Workloads.L4_MIB)) < 0.01,
        () -> "extender: " + running.metric("tessera_pods_placed") + " pods, " + running.metric("tessera_gpus_allocated")
            + " GPUs; API server: " + ledger.boundPods.size() + " pods, " + ledger.allocatedGpus(Workloads.L4_MIB) + " GPUs");
    assertTrue(ledger.allocatedGpus(Workloads.L4_MIB) > 23, "the cluster should be (nearly) full: " + ledger.gpus);
  }

  /** Mixed requests: whole GPUs, halves and quarters, 1.7 GPUs every 3 pods on average. */
  static List<Pod> mixed(String prefix, int count) {
    List<Pod> pods = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String name = prefix + "-" + i;
      pods.add(switch (i % 3) {
        case 0 -> Workloads.wholeGpus(name, 1);
        case 1 -> Workloads.fraction(name, "0.5");
        default -> Workloads.fraction(name, "0.25");
      });
    }
    return pods;
  }

  /** Waits until no pod has been bound for 5 s. */
  private void awaitSettled(Duration timeout) {
    int[] last = {-1};
    long[] since = {System.nanoTime()};
    Await.until("binding to settle", timeout, () -> {
      int bound = ApiLedger.read(api).boundPods.size();
      if (bound != last[0]) {
        last[0] = bound;
        since[0] = System.nanoTime();
        return false;
      }
      return System.nanoTime() - since[0] > Duration.ofSeconds(5).toNanos();
    });
  }

  private static void join(Thread thread) {
    try {
      thread.join(60_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
