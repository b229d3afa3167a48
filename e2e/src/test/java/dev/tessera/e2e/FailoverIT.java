package dev.tessera.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two extender replicas with leader election, as deploy/ runs them: the standby keeps its cache
 * warm and answers nothing; when the leader is killed (SIGKILL, no Lease released), the standby
 * takes the Lease once it expires and kube-scheduler's pods are placed again, none on GPUs taken.
 * {@link LeaderProxy} plays the Service that routes to the leader.
 */
class FailoverIT {
  private static final Duration TARGET = Duration.ofSeconds(15);

  @Test
  void aStandbyTakesOverWithinFifteenSecondsAndNothingIsDoubleBooked() throws Exception {
    Installation tessera = Installation.fresh();
    KubernetesClient api = tessera.admin();
    Workloads.gpuNode(api, "f-1", 4, Map.of());
    ExtenderProcess first = tessera.startReplica().awaitReady(Duration.ofSeconds(60));
    ExtenderProcess second = tessera.startReplica();
    try (LeaderProxy service = new LeaderProxy(tessera.extenderPort, List.of(first, second))) {
      Await.until("the standby to fill its cache", Duration.ofSeconds(60), () -> second.status("/syncedz") == 200);
      assertEquals(503, second.status("/readyz"), "the standby decides nothing while the leader leads");

      for (int i = 0; i < 2; i++) {
        api.resource(Workloads.wholeGpus("before-" + i, 1)).create();
      }
      Await.until("the leader to place two pods", Duration.ofSeconds(30),
          () -> ApiLedger.read(api).boundPods.size() == 2);

      long killed = System.nanoTime();
      first.kill();
      // Three pods of one GPU for the two GPUs left: one must stay Pending.
      for (int i = 0; i < 3; i++) {
        api.resource(Workloads.wholeGpus("after-" + i, 1)).create();
      }
      Await.until("a pod placed by the new leader", Duration.ofSeconds(60),
          () -> ApiLedger.read(api).boundPods.size() > 2,
          () -> "bound " + ApiLedger.read(api).boundPods + "; standby log " + second.log);
      double seconds = (System.nanoTime() - killed) / 1e9;
      System.out.printf("failover: leader killed to first pod bound by the new leader: %.1f s%n", seconds);
      assertTrue(seconds < TARGET.toSeconds(), "failover took " + seconds + " s; target " + TARGET);

      Await.until("the new leader to place what fits", Duration.ofSeconds(30),
          () -> ApiLedger.read(api).boundPods.size() == 4);
      Thread.sleep(2000); // a double-booking would show as a fifth bind
      ApiLedger ledger = ApiLedger.read(api);
      assertEquals(4, ledger.boundPods.size(), "four GPUs, four pods: " + ledger.boundPods);
      assertEquals(Map.of(), ledger.overCommitted(Workloads.L4_MIB), "no GPU handed out twice across the handover");
      Pod waiting = api.pods().inNamespace(Workloads.NAMESPACE).list().getItems().stream()
          .filter(p -> p.getSpec().getNodeName() == null).findFirst().orElseThrow();
      assertTrue(waiting.getMetadata().getName().startsWith("after-"), waiting.getMetadata().getName());
    } finally {
      first.kill();
      second.kill();
    }
  }
}
