package dev.tessera.controller.external;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tessera.api.WellKnown;
import dev.tessera.api.policy.PodGroupResource;
import dev.tessera.api.workloads.ExternalWorkloadResource;
import dev.tessera.api.workloads.WorkloadStatus;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The external-workload controller against the in-process API server: grouped pods become one
 * ExternalWorkload (and PodGroup) owned by their top owner, whose status follows the pods through
 * the lifecycle. What the real control plane decides (owner references, the webhook, gangs) is in
 * the end-to-end suite.
 */
class ExternalWorkloadsTest {
  private EmbeddedApiServer api;
  private KubernetesClient client;
  private ExternalWorkloads controller;
  private final Map<String, Map<String, Object>> owners = new java.util.HashMap<>();

  @BeforeEach
  void setUp() throws Exception {
    api = EmbeddedApiServer.start();
    client = api.client();
    controller = new ExternalWorkloads(client, Clock.systemUTC(),
        (namespace, apiVersion, kind, name) -> Optional.ofNullable(owners.get(kind + "/" + name)));
    controller.start(Duration.ofSeconds(10));
  }

  @AfterEach
  void tearDown() {
    controller.close();
    api.close();
  }

  @Test
  void anIndexedJobsPodsAreOneGangWorkloadThatCompletesWhenTheyDo() {
    owners.put("Job/sweep", Map.of("spec", Map.of("completionMode", "Indexed", "parallelism", 2)));
    Pod first = client.resource(pod("sweep-0", "job-sweep", "batch/v1/Job/sweep/uid-j")).create();
    Pod second = client.resource(pod("sweep-1", "job-sweep", "batch/v1/Job/sweep/uid-j")).create();

    await(() -> workload("job-sweep") != null && workload("job-sweep").getStatus() != null);
    ExternalWorkloadResource workload = workload("job-sweep");
    assertEquals("Job", workload.getSpec().owner().kind());
    assertEquals(2, workload.getSpec().minMember());
    assertEquals("uid-j", workload.getMetadata().getOwnerReferences().get(0).getUid());
    PodGroupResource group = client.resources(PodGroupResource.class).inNamespace("team-a").withName("job-sweep").get();
    assertNotNull(group);
    assertEquals(2, group.getSpec().minMember());
    assertEquals("Pending", workload.getStatus().phase());

    for (Pod pod : List.of(first, second)) {
      pod.getSpec().setNodeName("node-0");
      pod.getStatus().setPhase("Running");
      pod.getStatus().setContainerStatuses(List.of(new io.fabric8.kubernetes.api.model.ContainerStatusBuilder()
          .withName("main").withReady(true).withNewState().withNewRunning().endRunning().endState().build()));
      client.resource(pod).update();
    }
    await(() -> "Running".equals(status("job-sweep").phase()));
    assertEquals(2, status("job-sweep").runningPods());
    assertEquals(4.0, status("job-sweep").gpusAllocated());

    for (String name : List.of("sweep-0", "sweep-1")) {
      Pod pod = client.pods().inNamespace("team-a").withName(name).get();
      pod.getStatus().setPhase("Succeeded");
      client.resource(pod).update();
    }
    await(() -> "Completed".equals(status("job-sweep").phase()));
    assertNotNull(status("job-sweep").completedAt());
    List<String> phases = status("job-sweep").phaseHistory().stream().map(WorkloadStatus.PhaseChange::phase).toList();
    assertEquals(List.of("Pending", "Running", "Completed"),
        phases.stream().filter(p -> !p.equals("Initializing")).toList(), "its story: " + phases);
  }

  @Test
  void aDeploymentsReplicasAreOneWorkloadWithNoGang() {
    owners.put("Deployment/web", Map.of("spec", Map.of("replicas", 2)));
    client.resource(pod("web-a", "deployment-web", "apps/v1/Deployment/web/uid-d")).create();
    client.resource(pod("web-b", "deployment-web", "apps/v1/Deployment/web/uid-d")).create();

    await(() -> workload("deployment-web") != null && workload("deployment-web").getStatus() != null
        && Integer.valueOf(2).equals(workload("deployment-web").getStatus().requestedPods()));
    assertEquals(1, workload("deployment-web").getSpec().minMember());
    assertNull(workload("deployment-web").getSpec().podGroup());
    assertNull(client.resources(PodGroupResource.class).inNamespace("team-a").withName("deployment-web").get());
    assertEquals(1, client.resources(ExternalWorkloadResource.class).inNamespace("team-a").list().getItems().size());

    // Scaled to zero: after the grace a replacement would have needed, it is Stopped, not Pending.
    client.pods().inNamespace("team-a").withLabel(WellKnown.WORKLOAD_LABEL, "deployment-web").delete();
    await(() -> "Stopped".equals(status("deployment-web").phase()));
    assertEquals("NoPods", status("deployment-web").reason());
    assertEquals(0, status("deployment-web").runningPods());
  }

  @Test
  void anOwnerOfAKindTesseraDoesNotReadIsTrackedUnreadAndAGoneOwnerIsNotTrackedAtAll() {
    client.resource(pod("t-0", "trainer-t", "example.com/v1/Trainer/t/uid-t")).create();
    client.resource(pod("gone-0", "job-gone", "batch/v1/Job/gone/uid-g")).create();

    await(() -> workload("trainer-t") != null);
    assertEquals(1, workload("trainer-t").getSpec().minMember());
    assertEquals("Trainer (not known to Tessera): no size in its spec, so each pod is placed alone",
        workload("trainer-t").getSpec().grouping());
    assertNull(workload("job-gone"), "its Job is gone (the reader finds none): its pods go with it");
  }

  private static Pod pod(String name, String workload, String topOwner) {
    return new PodBuilder()
        .withNewMetadata().withNamespace("team-a").withName(name)
            .addToLabels(WellKnown.WORKLOAD_LABEL, workload).addToLabels(WellKnown.WORKLOAD_KIND_LABEL, "external")
            .addToAnnotations(WellKnown.TOP_OWNER_ANNOTATION, topOwner).endMetadata()
        .withNewSpec().withSchedulerName(WellKnown.SCHEDULER_NAME)
            .addNewContainer().withName("main").withImage("registry.invalid/x:1").withNewResources()
            .addToLimits(WellKnown.GPU_RESOURCE, new Quantity("2")).endResources().endContainer()
        .endSpec()
        .withNewStatus().withPhase("Pending").endStatus()
        .build();
  }

  private ExternalWorkloadResource workload(String name) {
    return client.resources(ExternalWorkloadResource.class).inNamespace("team-a").withName(name).get();
  }

  private WorkloadStatus status(String name) {
    ExternalWorkloadResource workload = workload(name);
    return workload == null ? WorkloadStatus.EMPTY : workload.statusOrEmpty();
  }

  private static void await(BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
