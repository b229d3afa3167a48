package dev.tessera.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Pods created while no extender answers kube-scheduler. */
class OutageIT {
  private Installation tessera;
  private KubernetesClient api;

  @BeforeEach
  void setUp() {
    tessera = Installation.fresh();
    api = tessera.admin();
  }

  /**
   * kube-scheduler fails each pod once against the closed port and parks it for up to five
   * minutes; the extender, once ready, must have them tried again within seconds.
   */
  @Test
  void podsCreatedDuringAnOutageAreBoundSoonAfterTheExtenderIsReady() {
    Workloads.gpuNode(api, "o-1", 8, Map.of());
    for (int i = 0; i < 6; i++) {
      api.resource(i % 2 == 0 ? Workloads.wholeGpus("o-" + i, 1) : Workloads.fraction("o-" + i, "0.5")).create();
    }
    Await.until("kube-scheduler to have failed every pod once", Duration.ofSeconds(30), () ->
        api.pods().inNamespace(Workloads.NAMESPACE).list().getItems().stream().allMatch(p ->
            p.getStatus().getConditions().stream().anyMatch(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()))));
    ExtenderProcess extender = tessera.startExtender().awaitReady(Duration.ofSeconds(60));
    long ready = System.nanoTime();
    Await.until("the 6 pods to be bound", Duration.ofSeconds(15), () -> ApiLedger.read(api).boundPods.size() == 6,
        () -> "bound: " + ApiLedger.read(api).boundPods + "; extender log " + extender.log);
    double seconds = (System.nanoTime() - ready) / 1e9;
    System.out.printf("outage: 6 pods bound %.1f s after the extender was ready%n", seconds);
    assertTrue(seconds < 15);
  }
}
