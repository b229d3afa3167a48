package dev.tessera.extender.informers;

import static dev.tessera.extender.ledger.Fixtures.A100_MIB;
import static dev.tessera.extender.ledger.Fixtures.gfdNode;
import static dev.tessera.extender.ledger.Fixtures.pod;
import static dev.tessera.extender.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.WellKnown;
import dev.tessera.api.assignment.AssignmentCodec;
import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.actions.PodEvents;
import dev.tessera.extender.actions.RecordingPodEvents;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.ledger.DoubleBookings;
import dev.tessera.extender.ledger.Fixtures;
import dev.tessera.extender.ledger.Ledger;
import dev.tessera.extender.ledger.PodRequests;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.scheduling.Allocation;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.testing.Await;
import dev.tessera.extender.verbs.TestExtender;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ClusterInformersTest {
  private EmbeddedApiServer api;
  private KubernetesClient client;
  private TestExtender extender;

  @BeforeEach
  void startApi() {
    api = EmbeddedApiServer.start();
    client = api.client();
  }

  @AfterEach
  void stopAll() {
    if (extender != null) {
      extender.close();
    }
    api.close();
  }

  @Test
  void startFillsTheCacheWithExactlyTheBoundPodsAllocations() {
    client.nodes().resource(gfdNode("gpu-a100-01", 8, A100_MIB)).create();
    client.nodes().resource(gfdNode("gpu-a100-02", 8, A100_MIB)).create();
    PodKey train = create(pod("ml", "train").gpus(2).node("gpu-a100-01")
        .annotation(WellKnown.GPU_ASSIGNMENT, json(exclusive("gpu-a100-01", 0, 1))));
    PodKey half = create(pod("ml", "half").fraction("0.5").node("gpu-a100-01")
        .annotation(WellKnown.GPU_ASSIGNMENT, json(shared("gpu-a100-01", 0.5, 2))));
    PodKey quarter = create(pod("ml", "quarter").fraction("0.25").node("gpu-a100-01")
        .annotation(WellKnown.GPU_ASSIGNMENT, json(shared("gpu-a100-01", 0.25, 2))));
    PodKey other = create(pod("nlp", "other").fraction("0.5").node("gpu-a100-02")
        .annotation(WellKnown.GPU_ASSIGNMENT, json(shared("gpu-a100-02", 0.5, 0))));
    create(pod("ml", "pending").fraction("0.5")); // not bound: holds nothing yet
    create(pod("ml", "cpu-only").node("gpu-a100-02")); // bound, no GPU: ignored
    create(pod("ml", "done").gpus(1).node("gpu-a100-02").phase("Succeeded")
        .annotation(WellKnown.GPU_ASSIGNMENT, json(exclusive("gpu-a100-02", 7))));

    extender = new TestExtender(client).start();

    assertTrue(extender.cache.synced());
    Ledger ledger = Ledger.of(extender.cache.snapshot());
    assertEquals(List.of(train.uid(), half.uid(), quarter.uid(), other.uid()).stream().sorted().toList(),
        List.copyOf(ledger.allocations().keySet()));
    assertEquals(0, ledger.assumed());
    NodeState one = extender.cache.snapshot().node("gpu-a100-01");
    assertTrue(one.heldWhole(0) && one.heldWhole(1));
    assertEquals(40960 + 20480, one.usedMiB(2));
    assertEquals(2, one.sharedTenants(2));
    assertEquals(5, one.freeWholeGpus());
    NodeState two = extender.cache.snapshot().node("gpu-a100-02");
    assertEquals(40960, two.usedMiB(0));
    assertEquals(0, two.usedMiB(7), "a finished pod holds nothing");
    assertEquals(7, two.freeWholeGpus());
    Ledger.assertConsistent(extender.cache.snapshot());
    assertTrue(extender.events.events.isEmpty(), extender.events.events.toString());
  }

  @Test
  void deletingAPodReleasesItsGpus() {
    client.nodes().resource(gfdNode("n1", 8, A100_MIB)).create();
    PodKey pod = create(pod("ml", "train").gpus(1).node("n1")
        .annotation(WellKnown.GPU_ASSIGNMENT, json(exclusive("n1", 4))));
    extender = new TestExtender(client).start();
    assertNotNull(extender.cache.allocation(pod.uid()));

    client.pods().inNamespace("ml").withName("train").delete();

    extender.awaitGone(pod);
    assertEquals(8, extender.cache.snapshot().node("n1").freeWholeGpus());
  }

  @Test
  void aFinishedPodReleasesItsGpus() {
    client.nodes().resource(gfdNode("n1", 8, A100_MIB)).create();
    PodKey pod = create(pod("ml", "job").fraction("0.5").node("n1").phase("Running")
        .annotation(WellKnown.GPU_ASSIGNMENT, json(shared("n1", 0.5, 0))));
    extender = new TestExtender(client).start();
    assertEquals(40960, extender.cache.snapshot().node("n1").usedMiB(0));

    client.pods().inNamespace("ml").withName("job").editStatus(p -> {
      p.getStatus().setPhase("Succeeded");
      return p;
    });

    extender.awaitGone(pod);
    assertEquals(0, extender.cache.snapshot().node("n1").usedMiB(0));
  }

  @Test
  void aNodeLabelChangeUpdatesTheInventoryAndKeepsAllocations() {
    client.nodes().resource(gfdNode("n1", 8, A100_MIB)).create();
    PodKey pod = create(pod("ml", "job").fraction("0.5").node("n1")
        .annotation(WellKnown.GPU_ASSIGNMENT, json(shared("n1", 0.5, 3))));
    extender = new TestExtender(client).start();

    client.nodes().withName("n1").edit(n -> {
      n.getMetadata().getLabels().put(WellKnown.PLACEMENT_STRATEGY_LABEL, "spread");
      n.getMetadata().getLabels().put(WellKnown.GFD_PRODUCT, "NVIDIA-H100-80GB-HBM3");
      return n;
    });

    await("the new product to reach the cache",
        () -> extender.cache.snapshot().node("n1").gpu(0).model().equals("NVIDIA-H100-80GB-HBM3"));
    NodeState node = extender.cache.snapshot().node("n1");
    assertEquals(dev.tessera.extender.model.PlacementStrategy.SPREAD, node.node().strategy());
    assertNotNull(node.allocations().get(pod.uid()));
    assertEquals(40960, node.usedMiB(3));
  }

  @Test
  void aNodeWithBadLabelsHasNoGpusAndNothingBreaks() {
    Node bad = gfdNode("n-bad", 8, A100_MIB);
    bad.getStatus().getAllocatable().put(WellKnown.GPU_RESOURCE, new Quantity("eight"));
    bad.getMetadata().getLabels().put(WellKnown.GFD_MEMORY_MIB, "lots");
    bad.getMetadata().getLabels().put(WellKnown.PLACEMENT_STRATEGY_LABEL, "sideways");
    client.nodes().resource(bad).create();
    client.nodes().resource(gfdNode("n-good", 2, A100_MIB)).create();
    extender = new TestExtender(client).start();

    assertEquals(0, extender.cache.snapshot().node("n-bad").gpuCount());
    assertEquals(2, extender.cache.snapshot().node("n-good").gpuCount());

    client.nodes().withName("n-bad").edit(n -> {
      n.getStatus().getAllocatable().put(WellKnown.GPU_RESOURCE, new Quantity("4"));
      return n;
    });
    await("the corrected node", () -> extender.cache.snapshot().node("n-bad").gpuCount() == 4);
    assertFalse(extender.cache.snapshot().node("n-bad").gpu(0).memoryKnown());
  }

  @Test
  void aMalformedAssignmentIsReportedAndAccountedAsWithoutOne() {
    client.nodes().resource(gfdNode("n1", 8, A100_MIB)).create();
    extender = new TestExtender(client).start();

    PodKey broken = create(pod("ml", "broken").gpus(1).node("n1").annotation(WellKnown.GPU_ASSIGNMENT, "{not json"));
    PodKey elsewhere = create(pod("ml", "elsewhere").gpus(1).node("n1")
        .annotation(WellKnown.GPU_ASSIGNMENT, json(exclusive("n2", 0))));

    Allocation brokenHeld = extender.awaitConfirmed(broken);
    Allocation elsewhereHeld = extender.awaitConfirmed(elsewhere);
    assertEquals("n1", brokenHeld.node());
    assertTrue(brokenHeld.assignment().exclusive());
    assertEquals("n1", elsewhereHeld.node());
    assertEquals(6, extender.cache.snapshot().node("n1").freeWholeGpus());
    await("the warning events", () -> extender.events.withReason(ClusterInformers.INVALID_ASSIGNMENT).size() >= 2);
    List<RecordingPodEvents.Recorded> warnings = extender.events.withReason(ClusterInformers.INVALID_ASSIGNMENT);
    assertTrue(warnings.stream().anyMatch(e -> e.pod().equals(broken) && e.message().contains("not valid JSON")), warnings.toString());
    assertTrue(warnings.stream().anyMatch(e -> e.pod().equals(elsewhere) && e.message().contains("names node n2")), warnings.toString());
    assertTrue(warnings.stream().allMatch(e -> e.type().equals("Warning")));
    Ledger.assertConsistent(extender.cache.snapshot());
  }

  @Test
  void aBoundWholeGpuPodWithoutAnnotationIsHeld() {
    client.nodes().resource(gfdNode("n1", 4, A100_MIB)).create();
    PodKey before = create(pod("ml", "foreign-1").gpus(2).node("n1")); // there before the extender
    extender = new TestExtender(client).start();
    assertEquals(2, extender.cache.allocation(before.uid()).assignment().shares().size());

    PodKey after = create(pod("ml", "foreign-2").gpus(1).node("n1")); // placed by someone else later
    Allocation held = extender.awaitConfirmed(after);
    assertTrue(held.assignment().exclusive());
    assertEquals(1, extender.cache.snapshot().node("n1").freeWholeGpus());
    Ledger.assertConsistent(extender.cache.snapshot());
    assertEquals(0, extender.informers.reconcile(), "a reconciliation keeps what the handlers chose");
  }

  @Test
  void pendingPodsCanBeLookedUp() {
    extender = new TestExtender(client).start();
    create(pod("ml", "waiting").fraction("0.5"));
    Pod found = Await.awaitValue("the pending pod", () -> extender.informers.pod("ml", "waiting").orElse(null));
    assertNull(found.getSpec().getNodeName());
    assertTrue(extender.informers.pod("ml", "nobody").isEmpty());
  }

  @Test
  void deletingANodeRemovesIt() {
    client.nodes().resource(gfdNode("n1", 8, A100_MIB)).create();
    extender = new TestExtender(client).start();
    assertNotNull(extender.cache.snapshot().node("n1"));
    client.nodes().withName("n1").delete();
    await("the node to leave the cache", () -> extender.cache.snapshot().node("n1") == null);
  }

  @Test
  void reconciliationFindsNothingInStepAndRepairsDrift() {
    client.nodes().resource(gfdNode("n1", 8, A100_MIB)).create();
    PodKey pod = create(pod("ml", "job").gpus(1).node("n1")
        .annotation(WellKnown.GPU_ASSIGNMENT, json(exclusive("n1", 2))));
    extender = new TestExtender(client).start();
    assertEquals(0, extender.informers.reconcile());

    extender.cache.podGone(pod.uid()); // as if a deletion event had been mis-applied

    assertEquals(1, extender.informers.reconcile());
    assertTrue(extender.cache.snapshot().node("n1").heldWhole(2));
    assertEquals(0, extender.informers.reconcile());
  }

  @Test
  void theResyncPeriodReconcilesOnTheScheduler() {
    client.nodes().resource(gfdNode("n1", 8, A100_MIB)).create();
    PodKey pod = create(pod("ml", "job").gpus(1).node("n1")
        .annotation(WellKnown.GPU_ASSIGNMENT, json(exclusive("n1", 2))));
    extender = new TestExtender(client, java.time.Clock.systemUTC(), Duration.ofMillis(50)).start();
    extender.cache.podGone(pod.uid());
    extender.awaitConfirmed(pod);
  }

  @Test
  void startFailsClearlyWhenTheApiServerIsUnreachable() {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl("http://127.0.0.1:1")
            .withRequestRetryBackoffLimit(0)
            .withRequestTimeout(1_000)
            .build();
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    try (KubernetesClient unreachable = new KubernetesClientBuilder().withConfig(config).build()) {
      ClusterCache cache = new ClusterCache(java.time.Clock.systemUTC(), Duration.ofSeconds(30),
          new dev.tessera.extender.scheduling.Placement(dev.tessera.extender.model.PlacementStrategy.BINPACK));
      ClusterInformers informers = new ClusterInformers(unreachable, cache, PodEvents.NOOP,
          new DoubleBookings(PodEvents.NOOP, new io.micrometer.core.instrument.simple.SimpleMeterRegistry()), Duration.ZERO, scheduler);
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> informers.start(Duration.ofSeconds(3)));
      assertTrue(e.getMessage().contains("nodes") && e.getMessage().contains("pods"), e.getMessage());
      assertFalse(cache.synced());
      informers.close();
    } finally {
      scheduler.shutdownNow();
    }
  }

  // --- helpers ---

  private PodKey create(Fixtures.MakePod pod) {
    return PodRequests.keyOf(client.pods().resource(pod.obj()).create());
  }

  static GpuAssignment exclusive(String node, int... indices) {
    List<GpuShare> shares = new java.util.ArrayList<>();
    for (int i : indices) {
      shares.add(new GpuShare(i, null, A100_MIB, 1.0));
    }
    return new GpuAssignment(node, true, shares);
  }

  static GpuAssignment shared(String node, double fraction, int index) {
    return new GpuAssignment(node, false, List.of(new GpuShare(index, null, (long) Math.floor(fraction * A100_MIB), fraction)));
  }

  static String json(GpuAssignment assignment) {
    return AssignmentCodec.encode(assignment);
  }
}
