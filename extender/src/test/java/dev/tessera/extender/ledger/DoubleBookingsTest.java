package dev.tessera.extender.ledger;

import static dev.tessera.extender.ledger.Fixtures.A100_MIB;
import static dev.tessera.extender.ledger.Fixtures.gfdNode;
import static dev.tessera.extender.ledger.Fixtures.pod;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.WellKnown;
import dev.tessera.api.assignment.AssignmentCodec;
import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.actions.RecordingPodEvents;
import dev.tessera.extender.testing.Await;
import dev.tessera.extender.verbs.TestExtender;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two pods whose assignments claim the same GPU capacity (what a restart answered from a
 * half-filled cache used to leave behind) are reported when the ledger is rebuilt and when such a
 * pod is confirmed: a WARN, an event on each pod, a counter; the ledger counts every claim.
 */
class DoubleBookingsTest {
  private EmbeddedApiServer api;
  private KubernetesClient client;

  @BeforeEach
  void startApi() {
    api = EmbeddedApiServer.start();
    client = api.client();
    client.nodes().resource(gfdNode("node-a", 2, A100_MIB)).create();
  }

  @AfterEach
  void stopApi() {
    api.close();
  }

  @Test
  void overlappingAssignmentsFoundOnRebuildAreReportedOnBothPods() {
    createBound("first", whole(0));
    createBound("second", whole(0));
    createBound("alone", whole(1));
    try (TestExtender extender = new TestExtender(client).start()) {
      List<RecordingPodEvents.Recorded> events = extender.events.withReason(DoubleBookings.REASON);
      assertEquals(Set.of("first", "second"), events.stream().map(e -> e.pod().name()).collect(Collectors.toSet()),
          events.toString());
      assertTrue(events.get(0).message().startsWith("GPU 0 of node node-a is claimed by 2 pods for "), events.toString());
      assertEquals(1, extender.cache.snapshot().node("node-a").overcommittedGpus());
      assertEquals(1.0, extender.registry.get("tessera.gpu.double.bookings").counter().count());
      assertEquals(0, extender.cache.snapshot().node("node-a").freeWholeGpus(), "every claim is counted");
    }
  }

  @Test
  void aPodConfirmedOnCapacityAnotherHoldsIsReportedOnce() {
    try (TestExtender extender = new TestExtender(client).start()) {
      createBound("first", shared(0, A100_MIB * 3 / 4));
      createBound("late", shared(0, A100_MIB / 2));
      Await.await("the overlap to be reported", () -> extender.events.withReason(DoubleBookings.REASON).size() == 2);
      client.pods().inNamespace("ml").withName("late").edit(p -> {
        p.getMetadata().getLabels().put("touched", "yes");
        return p;
      });
      Await.await("the informer to see the edit",
          () -> client.pods().inNamespace("ml").withName("late").get().getMetadata().getLabels().containsKey("touched"));
      extender.informers.reconcile();
      assertEquals(2, extender.events.withReason(DoubleBookings.REASON).size(), "once per overlap, not per event");
    }
  }

  private void createBound(String name, GpuAssignment assignment) {
    var pending = assignment.exclusive() ? pod("ml", name).gpus(1) : pod("ml", name).fraction("0.5");
    pending.annotation(WellKnown.GPU_ASSIGNMENT, AssignmentCodec.encode(assignment)).node("node-a").phase("Running");
    var created = pending.obj();
    created.getMetadata().setLabels(new java.util.HashMap<>());
    client.pods().resource(created).create();
  }

  private static GpuAssignment whole(int gpu) {
    return new GpuAssignment("node-a", true, List.of(new GpuShare(gpu, null, A100_MIB, 1.0)));
  }

  private static GpuAssignment shared(int gpu, long mib) {
    return new GpuAssignment("node-a", false, List.of(new GpuShare(gpu, null, mib, (double) mib / A100_MIB)));
  }
}
