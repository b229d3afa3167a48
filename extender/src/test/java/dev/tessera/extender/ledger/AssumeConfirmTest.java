package dev.tessera.extender.ledger;

import static dev.tessera.extender.ledger.Fixtures.A100_MIB;
import static dev.tessera.extender.ledger.Fixtures.gfdNode;
import static dev.tessera.extender.ledger.Fixtures.pod;
import static dev.tessera.extender.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.extender.actions.BindResult;
import dev.tessera.extender.actions.RecordingPodEvents;
import dev.tessera.extender.controllers.AssumptionSweeper;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.scheduling.Allocation;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.testing.Await;
import dev.tessera.extender.testing.MutableClock;
import dev.tessera.extender.verbs.TestExtender;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The cache's pod state machine against a real API: assumed at bind, confirmed by the informer, or expired. */
class AssumeConfirmTest {
  private EmbeddedApiServer api;
  private KubernetesClient client;
  private final MutableClock clock = MutableClock.atEpochOfTests();
  private TestExtender extender;
  private AssumptionSweeper sweeper;

  @BeforeEach
  void start() {
    api = EmbeddedApiServer.start();
    client = api.client();
    client.nodes().resource(gfdNode("n1", 2, A100_MIB)).create();
    extender = new TestExtender(client, clock, Duration.ZERO).start();
    sweeper = new AssumptionSweeper(extender.cache, extender.events, extender.scheduler, Duration.ofMillis(20));
  }

  @AfterEach
  void stop() {
    sweeper.close();
    extender.close();
    api.close();
  }

  @Test
  void theInformerConfirmsAnAssumedPodAndItIsCountedOnce() {
    PodKey pod = createPending("p", "0.5");

    var assumed = assertInstanceOf(
        ClusterCache.AssumeResult.Assumed.class, extender.cache.assume(pod, "n1", GpuRequest.fraction(0.5, 1)));
    Allocation held = extender.cache.allocation(pod.uid());
    assertTrue(held.assumed());
    int gpu = assumed.assignment().shares().get(0).index();
    assertEquals(40960, extender.cache.snapshot().node("n1").usedMiB(gpu));

    assertTrue(extender.binder.bind(pod, "n1", assumed.assignment()).ok());

    Allocation confirmed = extender.awaitConfirmed(pod);
    assertEquals(assumed.assignment(), confirmed.assignment());
    NodeState node = extender.cache.snapshot().node("n1");
    assertEquals(1, node.allocations().size());
    assertEquals(1, node.sharedTenants(gpu));
    assertEquals(40960, node.usedMiB(gpu));
    assertEquals(0, extender.informers.reconcile());
    assertEquals(1, extender.cache.snapshot().node("n1").sharedTenants(gpu));
  }

  @Test
  void assumptionsExpireAfterTheirTtlAndThePodIsTold() {
    PodKey confirmed = createPending("kept", "0.5");
    extender.assumeAndBind(confirmed, "n1", GpuRequest.fraction(0.5, 1));
    extender.awaitConfirmed(confirmed);
    PodKey lost = createPending("lost", "0.5");
    extender.cache.assume(lost, "n1", GpuRequest.fraction(0.5, 1)); // the bind never happens

    clock.advance(TestExtender.ASSUME_TTL.minusSeconds(1));
    assertEquals(List.of(), sweeper.sweep());
    assertTrue(extender.cache.allocation(lost.uid()).assumed());

    clock.advance(Duration.ofSeconds(2));
    assertEquals(List.of(lost), sweeper.sweep());

    assertNull(extender.cache.allocation(lost.uid()));
    assertNotNull(extender.cache.allocation(confirmed.uid()), "confirmed pods never expire");
    List<RecordingPodEvents.Recorded> expired = extender.events.withReason(AssumptionSweeper.BINDING_EXPIRED);
    assertEquals(1, expired.size());
    assertEquals(lost, expired.get(0).pod());
    assertEquals("Warning", expired.get(0).type());
    Ledger.assertConsistent(extender.cache.snapshot());
  }

  @Test
  void theSweeperRunsOnItsScheduler() {
    PodKey lost = createPending("lost", "0.5");
    extender.cache.assume(lost, "n1", GpuRequest.fraction(0.5, 1));
    sweeper.start();
    clock.advance(TestExtender.ASSUME_TTL.plusSeconds(1));
    extender.awaitGone(lost);
    await("the expiry event", () -> !extender.events.withReason(AssumptionSweeper.BINDING_EXPIRED).isEmpty());
  }

  @Test
  void anAssumptionSurvivesReconciliation() {
    PodKey pod = createPending("p", "0.5");
    extender.cache.assume(pod, "n1", GpuRequest.fraction(0.5, 1));
    assertEquals(0, extender.informers.reconcile());
    assertTrue(extender.cache.allocation(pod.uid()).assumed());
  }

  @Test
  void aFailedBindIsForgotten() {
    PodKey pod = createPending("p", "0.5");
    var assumed = (ClusterCache.AssumeResult.Assumed) extender.cache.assume(pod, "n1", GpuRequest.fraction(0.5, 1));
    PodKey recreated = new PodKey(pod.namespace(), pod.name(), "some-older-uid");

    BindResult result = extender.binder.bind(recreated, "n1", assumed.assignment());
    assertEquals(BindResult.Outcome.UID_CHANGED, result.outcome());
    extender.cache.forget(pod.uid());

    assertNull(extender.cache.allocation(pod.uid()));
    assertEquals(2, extender.cache.snapshot().node("n1").freeWholeGpus());
  }

  @Test
  void concurrentBindsRacingTheInformerEndConfirmedAndCountedOnce() throws Exception {
    // 2 GPUs x 81920 MiB; 0.2 is 16384 MiB, so five fit each GPU: ten of twelve pods fit.
    List<PodKey> pods = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      pods.add(createPending("race-" + i, "0.2"));
    }
    ExecutorService binders = Executors.newFixedThreadPool(6);
    List<Future<GpuAssignment>> results = new ArrayList<>();
    for (PodKey pod : pods) {
      results.add(binders.submit(() -> {
        var result = extender.cache.assume(pod, "n1", GpuRequest.fraction(0.2, 1));
        if (!(result instanceof ClusterCache.AssumeResult.Assumed assumed)) {
          return null;
        }
        BindResult bound = extender.binder.bind(pod, "n1", assumed.assignment());
        if (!bound.ok()) {
          extender.cache.forget(pod.uid());
          return null;
        }
        return assumed.assignment();
      }));
    }
    List<PodKey> placed = new ArrayList<>();
    for (int i = 0; i < pods.size(); i++) {
      if (results.get(i).get() != null) {
        placed.add(pods.get(i));
      }
    }
    binders.shutdown();
    assertEquals(10, placed.size());
    for (PodKey pod : placed) {
      extender.awaitConfirmed(pod);
    }
    NodeState node = extender.cache.snapshot().node("n1");
    assertEquals(10, node.allocations().size());
    assertEquals(5, node.sharedTenants(0));
    assertEquals(5, node.sharedTenants(1));
    Ledger.assertConsistent(extender.cache.snapshot());
    assertEquals(0, extender.informers.reconcile());
  }

  private PodKey createPending(String name, String fraction) {
    PodKey pod = PodRequests.keyOf(client.pods().resource(pod("ml", name).fraction(fraction).obj()).create());
    Await.awaitValue("the informer to see " + pod, () -> extender.informers.pod("ml", name).orElse(null));
    return pod;
  }
}
