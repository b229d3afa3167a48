package dev.tessera.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.WellKnown;
import dev.tessera.api.workloads.InferenceResource;
import dev.tessera.api.workloads.InferenceSpec;
import dev.tessera.api.workloads.TrainingResource;
import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.api.workloads.WorkloadStatus;
import dev.tessera.api.workloads.WorkspaceResource;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The workload controller on a real API server and controller manager: what it creates is
 * validated for real (the Inference's Deployment, its pods' environment), its events are stored,
 * and kube-controller-manager makes the Inference's ReplicaSet and pods. fakelet.py marks bound
 * pods Running and Ready, as kubelets would.
 */
class WorkloadsIT {
  private static final Duration PHASE_WAIT = Duration.ofSeconds(60);

  private Installation tessera;
  private KubernetesClient api;

  @BeforeEach
  void setUp() {
    tessera = Installation.fresh();
    api = tessera.admin();
    Workloads.gpuNode(api, "w-1", 4, Map.of());
    tessera.startExtender().awaitReady(Duration.ofSeconds(60));
  }

  private static WorkloadSpec spec(Map<String, String> env, List<WorkloadSpec.Connection> connections) {
    return new WorkloadSpec("registry.invalid/serve:1", null, null, env,
        new WorkloadSpec.GpuSpec(1, null, null, null, null, null), "100m", null, null, null, null, null, null, null,
        connections, null);
  }

  @Test
  void anInferenceRunsItsReplicasThroughItsDeploymentAndEveryPhaseChangeIsAnEvent() {
    InferenceResource inference = new InferenceResource();
    inference.setMetadata(new ObjectMetaBuilder().withNamespace(Workloads.NAMESPACE).withName("i1").build());
    WorkloadSpec common = spec(null, List.of(new WorkloadSpec.Connection("http", 8000, null)));
    inference.setSpec(new InferenceSpec(common.image(), null, null, null, common.gpu(), common.cpu(), null, null, null,
        null, null, null, null, common.connections(), null, 2, 2, null));
    api.resource(inference).create();

    WorkloadStatus running = awaitPhase(InferenceResource.class, "i1", "Running");
    assertEquals(2, running.runningPods());
    assertEquals(2.0, running.gpusAllocated());
    List<Pod> replicas = api.pods().inNamespace(Workloads.NAMESPACE).withLabel(WellKnown.WORKLOAD_LABEL, "i1").list()
        .getItems();
    assertEquals(2, replicas.size());
    replicas.forEach(pod -> assertNotNull(pod.getMetadata().getAnnotations().get("tessera.dev/gpu-assignment"),
        pod.getMetadata().getName() + " has no GPU assignment"));

    List<String> phases = running.phaseHistory().stream().map(WorkloadStatus.PhaseChange::phase).toList();
    // Events are written on the extender's event thread, after the status.
    Await.until("an event per phase change", PHASE_WAIT, () -> events("i1").size() >= phases.size(),
        () -> "phases " + phases + ", events " + reasons(events("i1")));
    List<Event> events = events("i1");
    assertTrue(events.size() >= phases.size(), "one event per phase change " + phases + ", got " + reasons(events));
    events.forEach(e -> assertEquals("Reconciling", e.getAction()));
    List<String> history = running.phaseHistory().stream().map(WorkloadStatus.PhaseChange::reason).toList();
    assertEquals(history, reasons(events).stream().filter(history::contains).toList(),
        "the events tell the phase history " + phases + " in order");
  }

  @Test
  void whatTheApiServerRefusesBecomesTheWorkloadsReason() {
    TrainingResource training = new TrainingResource();
    training.setMetadata(new ObjectMetaBuilder().withNamespace(Workloads.NAMESPACE).withName("badenv").build());
    training.setSpec(spec(Map.of("A=B", "1"), null)); // the API server takes no '=' in a variable's name
    api.resource(training).create();

    WorkloadStatus failed = awaitPhase(TrainingResource.class, "badenv", "Failed");
    assertEquals("InvalidObject", failed.reason());
    String message = failed.phaseHistory().get(failed.phaseHistory().size() - 1).message();
    assertTrue(message.startsWith("the API server refused Pod badenv-0 (HTTP 422)"), message);
    Await.until("the InvalidObject event", PHASE_WAIT, () -> reasons(events("badenv")).contains("InvalidObject"),
        () -> reasons(events("badenv")).toString());
  }

  @Test
  void aSecondKindOfOneNameFailsAndDeletingItLeavesTheFirstAlone() {
    WorkspaceResource workspace = new WorkspaceResource();
    workspace.setMetadata(new ObjectMetaBuilder().withNamespace(Workloads.NAMESPACE).withName("same").build());
    workspace.setSpec(spec(null, null));
    api.resource(workspace).create();
    awaitPhase(WorkspaceResource.class, "same", "Running");
    String workspacePod = api.pods().inNamespace(Workloads.NAMESPACE).withName("same-0").get().getMetadata().getUid();

    TrainingResource training = new TrainingResource();
    training.setMetadata(new ObjectMetaBuilder().withNamespace(Workloads.NAMESPACE).withName("same").build());
    training.setSpec(spec(null, null));
    api.resource(training).create();
    WorkloadStatus failed = awaitPhase(TrainingResource.class, "same", "Failed");
    assertEquals("NameTaken", failed.reason());

    api.resources(TrainingResource.class).inNamespace(Workloads.NAMESPACE).withName("same").delete();
    Await.until("the training to be gone", PHASE_WAIT,
        () -> api.resources(TrainingResource.class).inNamespace(Workloads.NAMESPACE).withName("same").get() == null);
    Pod pod = api.pods().inNamespace(Workloads.NAMESPACE).withName("same-0").get();
    assertNotNull(pod, "the workspace's pod was deleted with the training");
    assertEquals(workspacePod, pod.getMetadata().getUid());
    assertEquals("Running", phase(WorkspaceResource.class, "same").phase());
  }

  private <T extends WorkloadResource<?>> WorkloadStatus awaitPhase(Class<T> type, String name, String phase) {
    Await.until(name + " to be " + phase, PHASE_WAIT, () -> phase.equals(phase(type, name).phase()),
        () -> name + " is " + phase(type, name).phase() + " (" + phase(type, name).reason() + "); extender log "
            + tessera.extender().log);
    return phase(type, name);
  }

  private <T extends WorkloadResource<?>> WorkloadStatus phase(Class<T> type, String name) {
    return Workloads.status(api, type, name);
  }

  /** The events recorded on the workload, oldest first. */
  private List<Event> events(String workload) {
    return api.v1().events().inNamespace(Workloads.NAMESPACE).list().getItems().stream()
        .filter(e -> workload.equals(e.getInvolvedObject().getName())
            && e.getInvolvedObject().getApiVersion() != null && e.getInvolvedObject().getApiVersion().startsWith("tessera.dev"))
        .sorted(java.util.Comparator.comparing((Event e) -> e.getEventTime().getTime()).thenComparing(e -> e.getMetadata().getName()))
        .toList();
  }

  private static List<String> reasons(List<Event> events) {
    return events.stream().map(Event::getReason).toList();
  }
}
