package dev.tessera.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.WellKnown;
import dev.tessera.api.workloads.DistributedTrainingResource;
import dev.tessera.api.workloads.DistributedTrainingSpec;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.api.workloads.WorkloadStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An elastic DistributedTraining on the real control plane: it starts on its minimum, grows into
 * GPUs that become idle, and when a higher-priority gang needs GPUs, kube-scheduler's preemption
 * (through the extender's {@code /preempt}) takes its extra workers, never its master, so it runs
 * on at its minimum instead of being evicted whole.
 */
class ElasticIT {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String HIGH = "e2e-high";

  private Installation tessera;
  private KubernetesClient api;

  @BeforeEach
  void setUp() {
    tessera = Installation.fresh();
    api = tessera.admin();
    Workloads.gpuNode(api, "el-1", 4, Map.of());
    api.resource(new PriorityClassBuilder().withNewMetadata().withName(HIGH).endMetadata().withValue(1000)
        .withDescription("tessera e2e: a gang that preempts").build()).serverSideApply();
    tessera.startExtender().awaitReady(Duration.ofSeconds(60));
  }

  @Test
  void anElasticTrainingGrowsIntoIdleGpusAndShrinksBeforeAHigherPriorityGangNeedsThem() {
    // Two of the four GPUs are taken: the training starts on its minimum, a master and one worker.
    api.resource(Workloads.wholeGpus("busy", 2)).create();
    Await.until("busy to be bound", WAIT, () -> bound("busy"));
    api.resource(training("el", null, 1, 3, null)).create();
    WorkloadStatus started = awaitPhase("el", "Running");
    assertEquals(List.of("el-master-0", "el-worker-0"), boundPods("el"), "the minimum, the master first");
    assertTrue(started.phaseHistory().get(started.phaseHistory().size() - 1).message().contains("2 more join"),
        started.phaseHistory().toString());
    String master = api.pods().inNamespace(Workloads.NAMESPACE).withName("el-master-0").get().getMetadata().getUid();

    // The GPUs come free: the extra workers grow into them.
    api.pods().inNamespace(Workloads.NAMESPACE).withName("busy").delete();
    Await.until("el to grow to 4 pods", WAIT, () -> boundPods("el").size() == 4,
        () -> "el has " + boundPods("el") + " bound; extender log " + tessera.extender().log);
    awaitPhase("el", "Running");

    // A higher-priority gang of two needs two GPUs: two extra workers go, the training runs on.
    api.resource(training("hi", 1, null, null, HIGH)).create();
    awaitPhase("hi", "Running");
    assertEquals(2, boundPods("hi").size());
    List<String> left = boundPods("el");
    assertEquals(2, left.size(), "el keeps its minimum: " + left);
    assertTrue(left.contains("el-master-0"), "the master was never a victim: " + left);
    assertEquals(master, api.pods().inNamespace(Workloads.NAMESPACE).withName("el-master-0").get().getMetadata().getUid());
    assertEquals("Running", phase("el").phase(), "shrunk, not preempted whole: " + phase("el").phaseHistory());
    assertEquals(4, api.pods().inNamespace(Workloads.NAMESPACE).withLabel(WellKnown.WORKLOAD_LABEL, "el").list()
        .getItems().size(), "the workers that left wait to grow back");
  }

  private DistributedTrainingResource training(
      String name, Integer workers, Integer minWorkers, Integer maxWorkers, String priorityClass) {
    DistributedTrainingResource training = new DistributedTrainingResource();
    training.setMetadata(new ObjectMetaBuilder().withNamespace(Workloads.NAMESPACE).withName(name).build());
    training.setSpec(new DistributedTrainingSpec("registry.invalid/train:1", null, null, null,
        new WorkloadSpec.GpuSpec(1, null, null, null, null, null), "100m", null, null, null, null, priorityClass,
        null, null, null, null, DistributedTrainingSpec.PYTORCH, workers, null, minWorkers, maxWorkers));
    return training;
  }

  private boolean bound(String pod) {
    Pod current = api.pods().inNamespace(Workloads.NAMESPACE).withName(pod).get();
    return current != null && current.getSpec().getNodeName() != null;
  }

  /** The workload's pods bound to a node, by name. */
  private List<String> boundPods(String workload) {
    return api.pods().inNamespace(Workloads.NAMESPACE).withLabel(WellKnown.WORKLOAD_LABEL, workload).list().getItems()
        .stream()
        .filter(p -> p.getSpec().getNodeName() != null && p.getMetadata().getDeletionTimestamp() == null)
        .map(p -> p.getMetadata().getName())
        .sorted()
        .toList();
  }

  private WorkloadStatus awaitPhase(String name, String phase) {
    Await.until(name + " to be " + phase, WAIT, () -> phase.equals(phase(name).phase()),
        () -> name + " is " + phase(name).phase() + " (" + phase(name).reason() + "); pods bound " + boundPods(name)
            + "; pod events " + podEvents(name) + "; extender log " + tessera.extender().log);
    WorkloadStatus status = phase(name);
    assertNotNull(status.phaseHistory());
    return status;
  }

  /** The last events about the workload's pods: kube-scheduler's reasons, preemptions. */
  private List<String> podEvents(String workload) {
    return api.v1().events().inNamespace(Workloads.NAMESPACE).list().getItems().stream()
        .filter(e -> e.getInvolvedObject().getName() != null && e.getInvolvedObject().getName().startsWith(workload + "-"))
        .map(e -> e.getInvolvedObject().getName() + " " + e.getReason() + ": " + e.getMessage())
        .toList();
  }

  private WorkloadStatus phase(String name) {
    return Workloads.status(api, DistributedTrainingResource.class, name);
  }
}
