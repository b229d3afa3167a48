package dev.tessera.extender.ledger;

import static dev.tessera.extender.ledger.Fixtures.A100_MIB;
import static dev.tessera.extender.ledger.Fixtures.gfdNode;
import static dev.tessera.extender.ledger.Fixtures.pod;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.verbs.TestExtender;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An extender that restarts rebuilds the same GPU ledger from the pods' assignment annotations:
 * nothing double-booked, nothing lost.
 */
class LedgerRestartTest {
  private EmbeddedApiServer api;
  private KubernetesClient client;

  @BeforeEach
  void startApi() {
    api = EmbeddedApiServer.start();
    client = api.client();
    client.nodes().resource(gfdNode("node-a", 8, A100_MIB)).create();
    client.nodes().resource(gfdNode("node-b", 4, 40960)).create();
  }

  @AfterEach
  void stopApi() {
    api.close();
  }

  @Test
  void aNewExtenderRebuildsTheSameLedger() {
    Map<PodKey, String> bound = new LinkedHashMap<>();
    try (TestExtender first = new TestExtender(client).start()) {
      // Placed by another scheduler: held by both extenders although it has no assignment.
      PodKey foreign = create(pod("ops", "foreign").gpus(1).node("node-b"));
      first.awaitConfirmed(foreign);

      bind(first, bound, pod("ml", "whole-1").gpus(1), "node-a");
      bind(first, bound, pod("ml", "whole-2").gpus(2), "node-a");
      for (int i = 1; i <= 4; i++) {
        bind(first, bound, pod("ml", "tenth-" + i).fraction("0.3"), "node-a");
      }
      bind(first, bound, pod("nlp", "half").fraction("0.5"), "node-b");
      bind(first, bound, pod("nlp", "sharded").annotation(WellKnown.GPU_MEMORY, "10000")
          .annotation(WellKnown.GPU_FRACTION_NUM_DEVICES, "2"), "node-b");
      bind(first, bound, pod("nlp", "quarter").fraction("0.25"), "node-b");
      // A dynamic fraction: its limit lives only in the annotation, and must come back from it.
      bind(first, bound, pod("nlp", "bursty").fraction("0.25").annotation(WellKnown.GPU_FRACTION_LIMIT, "0.75"), "node-b");

      for (PodKey pod : bound.keySet()) {
        first.awaitConfirmed(pod);
      }
      // Some work ends before the restart.
      PodKey whole1 = key(bound, "whole-1");
      client.pods().inNamespace("ml").withName("whole-1").delete();
      first.awaitGone(whole1);
      PodKey tenth2 = key(bound, "tenth-2");
      client.pods().inNamespace("ml").withName("tenth-2").editStatus(p -> {
        p.getStatus().setPhase("Succeeded");
        return p;
      });
      first.awaitGone(tenth2);

      Ledger before = Ledger.of(first.cache.snapshot());
      assertEquals(0, before.assumed());
      assertEquals(bound.size() - 2 + 1, before.allocations().size());
      Ledger.assertConsistent(first.cache.snapshot());

      try (TestExtender second = new TestExtender(api.newClient()).start()) {
        Ledger after = Ledger.of(second.cache.snapshot());
        assertEquals(before.gpus(), after.gpus(), "per node, per GPU: used MiB, held whole, tenants");
        assertEquals(before.allocations(), after.allocations(), "which pod holds what");
        Ledger.assertConsistent(second.cache.snapshot());
        assertNotNull(after.allocations().get(foreign.uid()));
        assertFalse(after.allocations().containsKey(whole1.uid()));
        assertFalse(after.allocations().containsKey(tenth2.uid()));
        assertEquals(0, second.informers.reconcile());
        var bursty = after.allocations().get(key(bound, "bursty").uid()).assignment().shares().get(0);
        assertEquals(10240, bursty.memoryMiB(), "0.25 of 40960 MiB, all the ledger counts");
        assertEquals(30720, bursty.limitMiB(), "0.75 of 40960 MiB, what the agent lets it borrow up to");
      }
    }
  }

  @Test
  void fractionsThatFillAGpuStayFullAfterTheRestart() {
    List<PodKey> pods = new ArrayList<>();
    try (TestExtender first = new TestExtender(client).start()) {
      // 0.3 of an 81920 MiB GPU is 24576 MiB: three fit one GPU, the fourth goes to the next.
      for (int i = 0; i < 3 * 8; i++) {
        PodKey pod = create(pod("ml", "f-" + i).fraction("0.3"));
        first.assumeAndBind(pod, "node-a", GpuRequest.fraction(0.3, 1));
        pods.add(pod);
      }
      for (PodKey pod : pods) {
        first.awaitConfirmed(pod);
      }
      Ledger before = Ledger.of(first.cache.snapshot());
      try (TestExtender second = new TestExtender(api.newClient()).start()) {
        assertEquals(before, Ledger.of(second.cache.snapshot()));
        var node = second.cache.snapshot().node("node-a");
        for (int gpu = 0; gpu < 8; gpu++) {
          assertEquals(3, node.sharedTenants(gpu));
          assertEquals(3 * 24576, node.usedMiB(gpu));
        }
        var refused = second.cache.assume(new PodKey("ml", "one-more", "uid-one-more"), "node-a", GpuRequest.fraction(0.3, 1));
        assertTrue(refused instanceof ClusterCache.AssumeResult.Refused, refused.toString());
      }
    }
  }

  private void bind(TestExtender extender, Map<PodKey, String> bound, Fixtures.MakePod pending, String node) {
    var created = client.pods().resource(pending.obj()).create();
    PodKey pod = PodRequests.keyOf(created);
    extender.assumeAndBind(pod, node, PodRequests.of(created));
    bound.put(pod, node);
  }

  private PodKey create(Fixtures.MakePod pod) {
    return PodRequests.keyOf(client.pods().resource(pod.obj()).create());
  }

  private static PodKey key(Map<PodKey, String> bound, String name) {
    return bound.keySet().stream().filter(k -> k.name().equals(name)).findFirst().orElseThrow();
  }
}
