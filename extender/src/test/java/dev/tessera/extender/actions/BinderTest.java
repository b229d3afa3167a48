package dev.tessera.extender.actions;

import static dev.tessera.extender.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.WellKnown;
import dev.tessera.api.assignment.AssignmentCodec;
import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.ledger.Fixtures;
import dev.tessera.extender.ledger.PodRequests;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.testing.Await;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.Binding;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BinderTest {
  private static EmbeddedApiServer api;
  private static KubernetesClient client;
  private static final AtomicInteger names = new AtomicInteger();

  private final Binder binder = new Binder(client);

  @BeforeAll
  static void startApi() {
    api = EmbeddedApiServer.start();
    client = api.client();
  }

  @AfterAll
  static void stopApi() {
    api.close();
  }

  @Test
  void bindingSetsNodeNameAndAssignmentInOneUpdate() {
    PodKey pod = createPending();
    List<Pod> seen = new CopyOnWriteArrayList<>();
    Watch watch = client.pods().inNamespace(pod.namespace()).withName(pod.name()).watch(collect(seen));
    try {
      GpuAssignment assignment =
          new GpuAssignment("gpu-a", false, List.of(new GpuShare(3, null, 40960, 0.5)));

      BindResult result = binder.bind(pod, "gpu-a", assignment);

      assertTrue(result.ok(), result.message());
      assertEquals("", result.errorOrEmpty());
      Pod bound = Await.awaitValue(
          "the pod to be seen bound",
          () -> seen.stream().filter(p -> p.getSpec().getNodeName() != null).findFirst().orElse(null));
      assertEquals("gpu-a", bound.getSpec().getNodeName());
      assertEquals(
          AssignmentCodec.encode(assignment),
          bound.getMetadata().getAnnotations().get(WellKnown.GPU_ASSIGNMENT),
          "the first update with nodeName must carry the assignment");
      assertTrue(
          bound.getStatus().getConditions().stream()
              .anyMatch(c -> c.getType().equals("PodScheduled") && c.getStatus().equals("True")));
      for (Pod p : seen) {
        boolean hasNode = p.getSpec().getNodeName() != null;
        boolean hasAnnotation =
            p.getMetadata().getAnnotations() != null
                && p.getMetadata().getAnnotations().containsKey(WellKnown.GPU_ASSIGNMENT);
        assertEquals(hasNode, hasAnnotation, "never one without the other: " + p.getMetadata());
      }
    } finally {
      watch.close();
    }
    Pod stored = client.pods().inNamespace(pod.namespace()).withName(pod.name()).get();
    assertEquals("gpu-a", stored.getSpec().getNodeName());
    assertEquals("keep", stored.getMetadata().getAnnotations().get("existing"), "other annotations stay");
  }

  @Test
  void aPodWithoutGpusIsBoundWithoutAnAssignment() {
    PodKey pod = createPending();
    assertTrue(binder.bind(pod, "cpu-1", null).ok());
    Pod stored = client.pods().inNamespace(pod.namespace()).withName(pod.name()).get();
    assertEquals("cpu-1", stored.getSpec().getNodeName());
    assertNull(stored.getMetadata().getAnnotations().get(WellKnown.GPU_ASSIGNMENT));
  }

  @Test
  void aMissingPodIsNotFound() {
    PodKey ghost = new PodKey("binder", "ghost-" + names.incrementAndGet(), "uid-ghost");
    BindResult result = binder.bind(ghost, "gpu-a", null);
    assertEquals(BindResult.Outcome.POD_NOT_FOUND, result.outcome());
    assertEquals(404, result.httpStatus());
    assertTrue(result.errorOrEmpty().contains(ghost.toString()), result.message());
  }

  @Test
  void aPodBoundElsewhereIsAlreadyBound() {
    Pod created = client.pods().resource(Fixtures.pod("binder", "taken-" + names.incrementAndGet()).node("other").obj()).create();
    PodKey pod = PodRequests.keyOf(created);

    BindResult result = binder.bind(pod, "gpu-a", whole("gpu-a"));

    assertEquals(BindResult.Outcome.ALREADY_BOUND, result.outcome());
    assertEquals("other", result.node());
    assertEquals(409, result.httpStatus());
    Pod stored = client.pods().inNamespace(pod.namespace()).withName(pod.name()).get();
    assertEquals("other", stored.getSpec().getNodeName());
    assertTrue(stored.getMetadata().getAnnotations() == null
        || !stored.getMetadata().getAnnotations().containsKey(WellKnown.GPU_ASSIGNMENT));
  }

  @Test
  void aSecondBindOfTheSamePodToAnotherNodeIsRefused() {
    PodKey pod = createPending();
    assertTrue(binder.bind(pod, "gpu-a", whole("gpu-a")).ok());
    BindResult again = binder.bind(pod, "gpu-b", whole("gpu-b"));
    assertEquals(BindResult.Outcome.ALREADY_BOUND, again.outcome());
    assertEquals("gpu-a", again.node());
  }

  @Test
  void repeatingTheSameBindIsDone() {
    // An earlier attempt succeeded but its answer was lost (timeout); kube-scheduler retries.
    PodKey pod = createPending();
    GpuAssignment assignment = whole("gpu-a");
    assertTrue(binder.bind(pod, "gpu-a", assignment).ok());
    assertTrue(binder.bind(pod, "gpu-a", assignment).ok());
    GpuAssignment other = new GpuAssignment("gpu-a", true, List.of(new GpuShare(5, null, 81920, 1.0)));
    assertEquals(BindResult.Outcome.ALREADY_BOUND, binder.bind(pod, "gpu-a", other).outcome());
  }

  @Test
  void aRecreatedPodIsNotBoundWithTheOldDecision() {
    PodKey pod = createPending();
    PodKey stale = new PodKey(pod.namespace(), pod.name(), "uid-of-the-deleted-pod");

    BindResult result = binder.bind(stale, "gpu-a", whole("gpu-a"));

    assertEquals(BindResult.Outcome.UID_CHANGED, result.outcome());
    assertEquals(409, result.httpStatus());
    assertNull(client.pods().inNamespace(pod.namespace()).withName(pod.name()).get().getSpec().getNodeName());
  }

  @Test
  void anUnreachableApiServerIsAnApiError() {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl("http://127.0.0.1:1") // nothing listens there: connection refused
            .withRequestRetryBackoffLimit(0)
            .withRequestTimeout(2_000)
            .build();
    try (KubernetesClient unreachable = new KubernetesClientBuilder().withConfig(config).build()) {
      BindResult result = new Binder(unreachable).bind(new PodKey("ns", "p", "u"), "n", null);
      assertEquals(BindResult.Outcome.API_ERROR, result.outcome());
      assertEquals(0, result.httpStatus());
      assertTrue(result.errorOrEmpty().contains("no answer from the API server"), result.message());
    }
  }

  @Test
  void anAssignmentForAnotherNodeIsACallerBug() {
    PodKey pod = createPending();
    assertThrows(IllegalArgumentException.class, () -> binder.bind(pod, "gpu-a", whole("gpu-b")));
  }

  @Test
  void theLegacyBindingsEndpointBindsToo() {
    PodKey pod = createPending();
    Binding binding = Binder.binding(pod, "gpu-legacy", whole("gpu-legacy"));
    client.bindings().inNamespace(pod.namespace()).resource(binding).create();
    Pod stored = client.pods().inNamespace(pod.namespace()).withName(pod.name()).get();
    assertEquals("gpu-legacy", stored.getSpec().getNodeName());
    assertTrue(stored.getMetadata().getAnnotations().containsKey(WellKnown.GPU_ASSIGNMENT));

    KubernetesClientException again =
        assertThrows(
            KubernetesClientException.class,
            () -> client.bindings().inNamespace(pod.namespace()).resource(binding).create());
    assertEquals(409, again.getCode());
  }

  @Test
  void otherRequestsStillWorkAsCrud() {
    PodKey pod = createPending();
    client.pods().inNamespace(pod.namespace()).withName(pod.name()).edit(p -> {
      p.getMetadata().getLabels().put("edited", "yes");
      return p;
    });
    await("the edit", () -> "yes".equals(
        client.pods().inNamespace(pod.namespace()).withName(pod.name()).get().getMetadata().getLabels().get("edited")));
    client.pods().inNamespace(pod.namespace()).withName(pod.name()).delete();
    await("the deletion", () -> client.pods().inNamespace(pod.namespace()).withName(pod.name()).get() == null);
  }

  private static GpuAssignment whole(String node) {
    return new GpuAssignment(node, true, List.of(new GpuShare(0, null, 81920, 1.0)));
  }

  private static PodKey createPending() {
    Pod pod =
        Fixtures.pod("binder", "pod-" + names.incrementAndGet())
            .gpus(1)
            .annotation("existing", "keep")
            .obj();
    pod.getMetadata().setLabels(new java.util.HashMap<>(java.util.Map.of("app", "test")));
    return PodRequests.keyOf(client.pods().resource(pod).create());
  }

  private static Watcher<Pod> collect(List<Pod> seen) {
    return new Watcher<>() {
      @Override
      public void eventReceived(Action action, Pod pod) {
        if (action == Action.MODIFIED || action == Action.ADDED) {
          seen.add(pod);
        }
      }

      @Override
      public void onClose(WatcherException cause) {}
    };
  }
}
