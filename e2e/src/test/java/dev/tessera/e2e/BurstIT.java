package dev.tessera.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** 200 mixed pods at once on 28 nodes, as a team submitting a sweep would. */
class BurstIT {
  private Installation tessera;
  private KubernetesClient api;

  @BeforeEach
  void setUp() {
    tessera = Installation.fresh();
    api = tessera.admin();
  }

  /**
   * kube-scheduler filters each next pod while earlier binds are in flight: no GPU ends up over
   * its capacity, every pod is bound with its assignment, the fractions fill the fewest GPUs they
   * can, and no bind is refused for room filter said was there.
   */
  @Test
  void aBurstOfMixedPodsIsPlacedWithoutOverCommitOrFragmentation() throws Exception {
    for (int i = 0; i < 28; i++) {
      Workloads.gpuNode(api, "b-" + i, 8, Map.of());
    }
    ExtenderProcess extender = tessera.startExtender().awaitReady(Duration.ofSeconds(60));
    List<Pod> pods = RestartIT.mixed("p", 200);
    double fractions = pods.stream().mapToDouble(p -> {
      String f = p.getMetadata().getAnnotations() == null ? null : p.getMetadata().getAnnotations().get("gpu-fraction");
      return f == null ? 0 : Double.parseDouble(f);
    }).sum();
    long start = System.nanoTime();
    ExecutorService creators = Executors.newFixedThreadPool(8);
    pods.forEach(p -> creators.submit(() -> api.resource(p).create()));
    creators.shutdown();
    creators.awaitTermination(60, TimeUnit.SECONDS);
    Await.until("all 200 pods bound", Duration.ofSeconds(120), () -> ApiLedger.read(api).boundPods.size() == 200,
        () -> ApiLedger.read(api).boundPods.size() + " bound; extender log " + extender.log);
    double seconds = (System.nanoTime() - start) / 1e9;

    ApiLedger ledger = ApiLedger.read(api);
    assertEquals(Map.of(), ledger.overCommitted(Workloads.L4_MIB), "GPUs over capacity");
    assertEquals(List.of(), ledger.boundWithoutAssignment);
    assertEquals((long) Math.ceil(fractions), ledger.sharedGpus(),
        "fractions adding up to " + fractions + " GPUs should share the fewest GPUs: " + ledger.gpus);
    double refusedForRoom = extender.metric("tessera_binds_total{outcome=\"no_room\"}");
    assertEquals(0, refusedForRoom, "binds refused for room filter promised");
    System.out.printf("burst: 200 mixed pods bound in %.1f s (%.0f pods/s), %d GPUs shared by fractions of %.2f GPUs%n",
        seconds, 200 / seconds, ledger.sharedGpus(), fractions);
  }
}
