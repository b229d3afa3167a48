package dev.tessera.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.WellKnown;
import dev.tessera.api.workloads.DistributedTrainingResource;
import dev.tessera.api.workloads.DistributedTrainingSpec;
import dev.tessera.api.workloads.InferenceResource;
import dev.tessera.api.workloads.InferenceSpec;
import dev.tessera.api.workloads.TrainingResource;
import dev.tessera.api.workloads.WorkloadPhase;
import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.api.workloads.WorkloadStatus;
import dev.tessera.api.workloads.WorkspaceResource;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each workload kind through its lifecycle table ({@code Lifecycle}'s) row by row, on the real
 * control plane: kube-scheduler and the extender place the pods, kube-controller-manager makes the
 * Inference's ReplicaSet and pods, fills Services' endpoints and collects garbage, and the test
 * plays the kubelet ({@link Kubelet}), moving each pod from stage to stage only when the step
 * before was seen. Every step checks the phase, its reason, and the event the controller recorded
 * for the change ({@code "Running -> Degraded: ..."}, action {@code Reconciling}); at the end the
 * events tell the whole phase history in order, and nothing else changed phase on the way.
 *
 * <p>Rows this cluster cannot produce, and why:
 * <ul>
 *   <li>A workload that fails after {@code IMAGE_PULL_GRACE} (3 minutes) of {@code ErrImagePull}:
 *       the test sees the grace begin (the {@code ImagePullRetrying} warning, still Initializing)
 *       and the pull then succeed; waiting out three minutes is left to the unit test, whose
 *       clock moves. {@code InvalidImageName} fails at once and is covered here.
 *   <li>Initializing with {@code AwaitingEndpoints} is a reason within Initializing, not a phase
 *       change, and how long it lasts depends on the endpoints controller: not asserted.
 *   <li>Degraded for a Service without endpoints while every pod is ready: the endpoints
 *       controller lists every ready pod. Degraded for a detached volume: the protection
 *       controllers keep a claim in use, and its volume, Bound, and there is no storage driver
 *       here to lose one.
 *   <li>Completed with fewer pods than requested: a lost training pod is always created again.
 *   <li>Failed with ContainerCrashed while Initializing, and Failed from Degraded by a crash: the
 *       same failure rule as the crash of a running inference covered here; LifecycleTest has them.
 *   <li>Failed for a policy violation, an invalid spec or a refused object: not lifecycle rows of
 *       a running workload; {@code WorkloadsIT} covers a refused object.
 * </ul>
 *
 * <p>That Completed and Failed are final shows in the last check of each story: what happened to
 * the workload after it ended (its pods released, other pods placed) changed no phase.
 */
class LifecycleIT {
  private static final Duration PHASE_WAIT = Duration.ofSeconds(60);
  /** A finalizer of the test's own: it keeps a deleted workload readable, in Deleting, after the controller let go. */
  private static final String HOLD = "e2e.tessera.dev/hold";
  /** A phase change's event message: "Running -> Degraded: 1 of 1 pods not ready", or "Creating: submitted; ...". */
  private static final Pattern CHANGE = Pattern.compile("^(?:(" + labels() + ") -> )?(" + labels() + "): ");

  private Installation tessera;
  private KubernetesClient api;
  private Kubelet kubelet;

  @BeforeEach
  void setUp() {
    tessera = Installation.fresh(Installation.Kubelets.TEST_STARTS_PODS);
    api = tessera.admin();
    kubelet = new Kubelet(api);
  }

  private void start(String node, int gpus) {
    Workloads.gpuNode(api, node, gpus, Map.of());
    tessera.startExtender().awaitReady(Duration.ofSeconds(60));
  }

  private static WorkloadSpec spec(List<WorkloadSpec.Connection> connections) {
    return new WorkloadSpec("registry.invalid/lifecycle:1", null, null, null,
        new WorkloadSpec.GpuSpec(1, null, null, null, null, null), "100m", null, null, null, null, null, null, null,
        connections, null);
  }

  @Test
  void workspacesWaitForRoomRunDegradeStopRunAgainAndAreDeleted() {
    start("w-1", 1);
    occupy("blocker-1", 1);
    WorkspaceResource workspace = new WorkspaceResource();
    workspace.setMetadata(meta("ws"));
    workspace.setSpec(spec(List.of(new WorkloadSpec.Connection("jupyter", 8888, null))));
    api.resource(workspace).create();
    Story ws = new Story(WorkspaceResource.class, "ws");

    ws.then("Creating", "Submitted");
    String pending = ws.then("Pending", "Scheduling").message();
    assertTrue(pending.startsWith("0 of 1 pods scheduled"), "no room: its GPU is taken: " + pending);
    // kube-scheduler's own reason (its PodScheduled condition) reaches the status, as the Workloads
    // view shows it on hover.
    Await.until("kube-scheduler's reason in ws's Pending status", PHASE_WAIT, () -> {
      List<WorkloadStatus.PhaseChange> history = ws.status().phaseHistory();
      return history.get(history.size() - 1).message().contains("Insufficient nvidia.com/gpu");
    });
    free("blocker-1");
    ws.then("Initializing", "Initializing");
    kubelet.creating("ws-0");
    kubelet.running("ws-0", true);
    // Once the endpoints controller lists the pod behind ws-connect.
    WorkloadStatus running = ws.then("Running", "AllReady").status();
    assertEquals(List.of(1, 1.0), List.of(running.runningPods(), running.gpusAllocated()));
    assertEquals("ws-connect.e2e.svc:8888", running.connections().get(0).address());

    kubelet.running("ws-0", false); // its readiness probe fails
    // The message names what the controller saw first: the pod not ready, or ws-connect without
    // endpoints (the endpoints controller's update may reach it before the pod's own).
    ws.then("Degraded", "Degraded");
    kubelet.running("ws-0", true);
    ws.then("Running", "AllReady");

    ws.stopped(true);
    ws.then("Stopped", "Stopped");
    awaitGone("ws-0");
    assertEquals(0.0, ws.status().gpusAllocated());
    occupy("blocker-2", 1); // its GPU is free for others while it is stopped
    ws.stopped(false);
    ws.then("Creating", "RunRequested");
    ws.then("Pending", "Scheduling");
    free("blocker-2");
    ws.then("Initializing", "Initializing");
    kubelet.running("ws-0", true);
    ws.then("Running", "AllReady");

    ws.delete();
    ws.then("Deleting", "DeletionRequested");
    ws.release();
    assertNull(api.services().inNamespace(Workloads.NAMESPACE).withName("ws-connect").get(), "its Service is left");
    ws.toldWhole();

    // Stopped, and deleted without running again.
    WorkspaceResource idle = new WorkspaceResource();
    idle.setMetadata(meta("idle"));
    idle.setSpec(spec(null));
    api.resource(idle).create();
    Story second = new Story(WorkspaceResource.class, "idle");
    second.then("Creating", "Submitted");
    second.then("Pending", "Scheduling");
    second.then("Initializing", "Initializing");
    kubelet.running("idle-0", true);
    second.then("Running", "AllReady");
    second.stopped(true);
    second.then("Stopped", "Stopped");
    awaitGone("idle-0");
    second.delete();
    second.then("Deleting", "DeletionRequested");
    second.release();
    second.toldWhole();
  }

  @Test
  void aTrainingRidesOutAnImagePullRetryAndCompletesWhileDegraded() {
    start("w-1", 1);
    TrainingResource training = new TrainingResource();
    training.setMetadata(meta("train"));
    training.setSpec(spec(null));
    api.resource(training).create();
    Story train = new Story(TrainingResource.class, "train");

    train.then("Creating", "Submitted");
    train.then("Pending", "Scheduling");
    train.then("Initializing", "Initializing");
    kubelet.cannotPull("train-0", "ErrImagePull");
    // The kubelet retries a pull: the grace begins with a warning and the phase stays. Its end,
    // IMAGE_PULL_GRACE later, is WorkloadControllerTest's (a clock it moves); here the pull works.
    train.awaitEvent("ImagePullRetrying");
    train.unchanged();
    kubelet.running("train-0", true);
    train.then("Running", "AllReady");
    kubelet.running("train-0", false);
    train.then("Degraded", "Degraded");
    kubelet.exited("train-0", 0); // degraded, it still finishes its work
    WorkloadStatus completed = train.then("Completed", "Succeeded").status();
    assertNotNull(completed.completedAt());
    assertEquals(0.0, completed.gpusAllocated(), "a finished pod holds no GPU");
    assertEquals("Succeeded", pod("train-0").getStatus().getPhase(), "its pod stays for its logs");

    train.delete();
    train.then("Deleting", "DeletionRequested");
    train.release();
    train.toldWhole();
  }

  @Test
  void aTrainingWithAWrongImageFailsAtOnceAndOnePreemptedStartsOverThenFails() {
    start("w-1", 2);
    TrainingResource typo = new TrainingResource();
    typo.setMetadata(meta("typo"));
    typo.setSpec(spec(null));
    api.resource(typo).create();
    Story wrong = new Story(TrainingResource.class, "typo");
    wrong.then("Creating", "Submitted");
    wrong.then("Pending", "Scheduling");
    wrong.then("Initializing", "Initializing");
    kubelet.cannotPull("typo-0", "InvalidImageName"); // no retry makes a wrong name right
    assertEquals("pod typo-0 cannot get its image (InvalidImageName)", wrong.then("Failed", "ImagePullFailed").message());
    awaitGone("typo-0"); // a pod waiting for its image holds its GPU: the failed workload gives it back
    assertEquals(0.0, wrong.status().gpusAllocated());
    wrong.toldWhole();

    TrainingResource lost = new TrainingResource();
    lost.setMetadata(meta("lost"));
    lost.setSpec(spec(null));
    api.resource(lost).create();
    Story story = new Story(TrainingResource.class, "lost");
    story.then("Creating", "Submitted");
    story.then("Pending", "Scheduling");
    story.then("Initializing", "Initializing");
    kubelet.running("lost-0", true);
    story.then("Running", "AllReady");
    String first = pod("lost-0").getMetadata().getUid();
    assertTrue(api.pods().inNamespace(Workloads.NAMESPACE).withName("lost-0").evict(), "the Eviction API refused");
    String preempted = story.then("Pending", "Preempted").message();
    assertTrue(preempted.startsWith("1 pod(s) preempted"), preempted);
    story.awaitEvent("PodRestarted");
    story.then("Initializing", "Initializing"); // its new pod is placed
    assertTrue(!first.equals(pod("lost-0").getMetadata().getUid()), "the evicted pod was not created again");
    kubelet.running("lost-0", true);
    story.then("Running", "AllReady");
    kubelet.exited("lost-0", 1);
    assertEquals("pod lost-0 failed", story.then("Failed", "PodFailed").message());
    assertEquals("Failed", pod("lost-0").getStatus().getPhase(), "its finished pod stays for its logs");
    assertEquals(0.0, story.status().gpusAllocated());
    story.toldWhole();
  }

  @Test
  void aDistributedTrainingWaitsAsOneGangRunsDegradesAndAFailingWorkerReleasesEveryGpu() {
    start("w-1", 4);
    occupy("blocker", 2); // 2 GPUs free, the gang needs 3: none of it is placed
    Story ddp = distributed("ddp", 2);
    ddp.then("Creating", "Submitted");
    String pending = ddp.then("Pending", "Scheduling").message();
    assertTrue(pending.startsWith("0 of 3 pods scheduled"), pending);
    free("blocker");
    ddp.then("Initializing", "Initializing");
    kubelet.running("ddp-master-0", true);
    kubelet.running("ddp-worker-0", true);
    Await.until("2 of ddp's pods to run", PHASE_WAIT, () -> Integer.valueOf(2).equals(ddp.status().runningPods()));
    ddp.unchanged(); // one pod still starting: still Initializing
    kubelet.running("ddp-worker-1", true);
    ddp.then("Running", "AllReady");
    kubelet.running("ddp-worker-0", false);
    assertEquals("1 of 3 pods not ready", ddp.then("Degraded", "Degraded").message());
    kubelet.running("ddp-worker-0", true);
    ddp.then("Running", "AllReady");
    kubelet.running("ddp-master-0", false);
    ddp.then("Degraded", "Degraded");

    kubelet.exited("ddp-worker-1", 1); // degraded, and now a worker fails
    assertEquals("pod ddp-worker-1 failed", ddp.then("Failed", "PodFailed").message());
    // The peers cannot go on without it: their pods go, so no GPU stays held by a failed workload.
    awaitGone("ddp-master-0");
    awaitGone("ddp-worker-0");
    assertEquals("Failed", pod("ddp-worker-1").getStatus().getPhase());
    Await.until("ddp to hold no GPU", PHASE_WAIT, () -> Double.valueOf(0).equals(ddp.status().gpusAllocated()));
    // And the extender agrees: all four GPUs go to the next pod.
    api.resource(Workloads.wholeGpus("after", 4)).create();
    awaitBound("after");
    ddp.toldWhole();
  }

  @Test
  void aDistributedTrainingGetsALostWorkerBackStaysRunningWhileWorkersFinishAndCompletes() {
    start("w-1", 4);
    Story ddp = distributed("done", 2);
    ddp.then("Creating", "Submitted");
    ddp.then("Pending", "Scheduling");
    ddp.then("Initializing", "Initializing");
    for (String pod : List.of("done-master-0", "done-worker-0", "done-worker-1")) {
      kubelet.running(pod, true);
    }
    ddp.then("Running", "AllReady");
    // A worker is evicted: created again, it joins the two still running, which wait for it.
    assertTrue(api.pods().inNamespace(Workloads.NAMESPACE).withName("done-worker-1").evict(), "the Eviction API refused");
    ddp.then("Pending", "Preempted");
    ddp.then("Initializing", "Initializing");
    kubelet.running("done-worker-1", true);
    ddp.then("Running", "AllReady");
    kubelet.exited("done-worker-0", 0);
    kubelet.exited("done-worker-1", 0);
    Await.until("done's workers to finish", PHASE_WAIT, () -> Integer.valueOf(1).equals(ddp.status().runningPods()));
    ddp.unchanged(); // a finished worker did its part: neither Degraded nor Completed
    kubelet.exited("done-master-0", 0);
    assertEquals("all 3 pods finished without errors", ddp.then("Completed", "Succeeded").message());

    ddp.delete();
    ddp.then("Deleting", "DeletionRequested");
    ddp.release();
    assertNull(api.services().inNamespace(Workloads.NAMESPACE).withName("done").get(), "its headless Service is left");
    ddp.toldWhole();
  }

  @Test
  void anInferenceRunsThroughItsReplicaSetDegradesStopsRunsAgainAndACrashingReplicaFailsIt() {
    start("w-1", 2);
    InferenceResource inference = new InferenceResource();
    inference.setMetadata(meta("serve"));
    WorkloadSpec common = spec(List.of(new WorkloadSpec.Connection("http", 8000, null)));
    inference.setSpec(new InferenceSpec(common.image(), null, null, null, common.gpu(), common.cpu(), null, null, null,
        null, null, null, null, common.connections(), null, 2, 2, null));
    api.resource(inference).create();
    Story serve = new Story(InferenceResource.class, "serve");

    serve.then("Creating", "Submitted");
    serve.then("Pending", "Scheduling");
    serve.then("Initializing", "Initializing"); // the controller manager made both replicas; both are placed
    List<String> replicas = replicas("serve");
    ReplicaSet replicaSet = api.apps().replicaSets().inNamespace(Workloads.NAMESPACE)
        .withName(pod(replicas.get(0)).getMetadata().getOwnerReferences().get(0).getName()).get();
    assertEquals("serve", replicaSet.getMetadata().getOwnerReferences().get(0).getName(), "not the Deployment's");
    replicas.forEach(pod -> kubelet.running(pod, true));
    assertEquals(2.0, serve.then("Running", "AllReady").status().gpusAllocated());
    kubelet.running(replicas.get(1), false);
    assertEquals("1 of 2 pods not ready", serve.then("Degraded", "Degraded").message());
    kubelet.running(replicas.get(1), true);
    serve.then("Running", "AllReady");

    // Its node is drained (kubectl drain: cordon, then evict through the Eviction API): the
    // ReplicaSet's new replica waits, and the inference with it, as a preempted workload does.
    cordon("w-1", true);
    assertTrue(api.pods().inNamespace(Workloads.NAMESPACE).withName(replicas.get(0)).evict(), "the Eviction API refused");
    String preempted = serve.then("Pending", "Preempted").message();
    assertTrue(preempted.startsWith("1 pod(s) preempted"), preempted);
    cordon("w-1", false);
    serve.then("Initializing", "Initializing");
    String survivor = replicas.get(1);
    replicas = replicas("serve");
    kubelet.running(replicas.stream().filter(p -> !p.equals(survivor)).findFirst().orElseThrow(), true);
    serve.then("Running", "AllReady");

    serve.stopped(true);
    serve.then("Stopped", "Stopped");
    awaitNothingServes("serve");
    assertEquals(0.0, serve.status().gpusAllocated());
    occupy("blocker", 1); // one of its two GPUs is taken while it is stopped
    serve.stopped(false);
    serve.then("Creating", "RunRequested");
    serve.then("Pending", "Scheduling"); // one replica placed, the other waiting for the GPU
    free("blocker");
    serve.then("Initializing", "Initializing");
    replicas = replicas("serve");
    replicas.forEach(pod -> kubelet.running(pod, true));
    serve.then("Running", "AllReady");

    kubelet.crashLooping(replicas.get(0));
    assertEquals("pod " + replicas.get(0) + " crashes on start (CrashLoopBackOff)",
        serve.then("Failed", "ContainerCrashed").message());
    // Failed, it gives its GPUs back: the Deployment goes, and the controller manager's copies of
    // the replicas with it.
    awaitNothingServes("serve");
    assertEquals(0.0, serve.status().gpusAllocated());

    serve.delete();
    serve.then("Deleting", "DeletionRequested");
    serve.release();
    serve.toldWhole();
  }

  private Story distributed(String name, int workers) {
    DistributedTrainingResource job = new DistributedTrainingResource();
    job.setMetadata(meta(name));
    WorkloadSpec s = spec(null);
    job.setSpec(new DistributedTrainingSpec(s.image(), null, null, null, s.gpu(), s.cpu(), null, null, null, null, null,
        null, null, null, null, "pytorch", workers, null, null, null));
    api.resource(job).create();
    return new Story(DistributedTrainingResource.class, name);
  }

  private static io.fabric8.kubernetes.api.model.ObjectMeta meta(String name) {
    return new ObjectMetaBuilder().withNamespace(Workloads.NAMESPACE).withName(name).build();
  }

  /** A plain pod of another user taking {@code gpus} GPUs, placed before the test goes on. */
  private void occupy(String name, int gpus) {
    api.resource(Workloads.wholeGpus(name, gpus)).create();
    awaitBound(name);
  }

  private void free(String name) {
    api.pods().inNamespace(Workloads.NAMESPACE).withName(name).delete();
    awaitGone(name);
  }

  private void cordon(String node, boolean unschedulable) {
    api.nodes().withName(node).patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"spec\":{\"unschedulable\":" + unschedulable + "}}");
  }

  private Pod pod(String name) {
    return api.pods().inNamespace(Workloads.NAMESPACE).withName(name).get();
  }

  private void awaitBound(String name) {
    Await.until(name + " to be bound", PHASE_WAIT,
        () -> pod(name) != null && pod(name).getSpec().getNodeName() != null,
        () -> "extender log " + tessera.extender().log);
  }

  private void awaitGone(String name) {
    Await.until(name + " to be gone", PHASE_WAIT, () -> pod(name) == null);
  }

  /** The inference's replicas that are not being deleted, by name. */
  private List<String> replicas(String inference) {
    return api.pods().inNamespace(Workloads.NAMESPACE).withLabel(WellKnown.WORKLOAD_LABEL, inference).list().getItems()
        .stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).map(p -> p.getMetadata().getName())
        .sorted().toList();
  }

  /** Waits until the inference has no Deployment, no ReplicaSet and no pod left. */
  private void awaitNothingServes(String inference) {
    Await.until(inference + "'s Deployment, ReplicaSet and pods to be gone", PHASE_WAIT,
        () -> api.apps().deployments().inNamespace(Workloads.NAMESPACE).withName(inference).get() == null
            && api.apps().replicaSets().inNamespace(Workloads.NAMESPACE).withLabel(WellKnown.WORKLOAD_LABEL, inference)
                .list().getItems().isEmpty()
            && api.pods().inNamespace(Workloads.NAMESPACE).withLabel(WellKnown.WORKLOAD_LABEL, inference).list()
                .getItems().isEmpty(),
        () -> "pods " + replicas(inference));
  }

  private static String labels() {
    return String.join("|", Arrays.stream(WorkloadPhase.values()).map(WorkloadPhase::label).toList());
  }

  /** A phase change as the status and the events tell it: "Running -> Degraded (Degraded)". */
  private static String change(String from, String to, String reason) {
    return (from == null ? "" : from + " -> ") + to + " (" + reason + ")";
  }

  /** The history's last entry with the status it was read from. */
  record Step(WorkloadStatus status, WorkloadStatus.PhaseChange change) {
    String message() {
      return change.message();
    }
  }

  /**
   * One workload's phase changes as the test expects them, checked step by step against its
   * status history and its events: a change that was not expected fails the test at once.
   */
  private final class Story {
    private final Class<? extends WorkloadResource<?>> type;
    private final String kind;
    private final String name;
    private final List<String> expected = new ArrayList<>();
    private String phase;
    /** Its status as last read before it went; null while it exists. */
    private WorkloadStatus gone;

    Story(Class<? extends WorkloadResource<?>> type, String name) {
      this.type = type;
      this.name = name;
      this.kind = type.getSimpleName().replace("Resource", "");
    }

    /**
     * Waits for the next phase change, {@code to} with {@code reason}, in its history and in its
     * events. A change the test does not hold back (a placement) may be followed by the next one
     * before it looks: then the history says it was the phase.
     */
    Step then(String to, String reason) {
      expected.add(change(phase, to, reason));
      phase = to;
      WorkloadStatus[] seen = {WorkloadStatus.EMPTY};
      Await.until(name + " to go " + expected.get(expected.size() - 1), PHASE_WAIT,
          () -> reached(happened(seen[0] = status())),
          () -> name + " is " + status().phase() + " (" + status().reason() + "), its history " + history()
              + ", expected " + expected + "; extender log " + tessera.extender().log);
      List<WorkloadStatus.PhaseChange> history = seen[0].phaseHistory();
      if (history.size() == expected.size()) {
        assertEquals(to, seen[0].phase(), "the phase with its history " + history);
      }
      Await.until("the event of " + name + "'s change to " + to, PHASE_WAIT, () -> reached(told()),
          () -> name + "'s events tell " + told() + ", expected " + expected);
      return new Step(seen[0], history.get(expected.size() - 1));
    }

    /**
     * Whether every expected change happened (and perhaps more since), failing at once when one
     * that happened is not the one expected.
     */
    private boolean reached(List<String> happened) {
      int common = Math.min(happened.size(), expected.size());
      if (!expected.subList(0, common).equals(happened.subList(0, common))) {
        throw new AssertionError(name + " went " + happened + ", expected " + expected);
      }
      return happened.size() >= expected.size();
    }

    /** Asserts the phase has not changed since the last step. */
    void unchanged() {
      assertEquals(expected, history(), name + " changed phase");
      assertEquals(phase, status().phase());
    }

    /** Waits for an event of this reason on the workload. */
    void awaitEvent(String reason) {
      Await.until(name + " to have a " + reason + " event", PHASE_WAIT,
          () -> events().stream().anyMatch(e -> reason.equals(e.getReason())),
          () -> "its events: " + events().stream().map(Event::getReason).toList());
    }

    /** The events and the history tell the same story, the one expected, in order. */
    void toldWhole() {
      assertEquals(expected, told(), name + "'s events");
      assertEquals(expected, history(), name + "'s phase history");
      for (Event event : events()) {
        assertEquals("Reconciling", event.getAction(), event.getMessage());
        if (CHANGE.matcher(event.getMessage()).find()) {
          assertEquals(event.getMessage().matches("^(\\w+ -> )?Failed: .*") ? "Warning" : "Normal", event.getType(),
              event.getMessage());
        }
      }
    }

    void stopped(boolean stopped) {
      resource().patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"stopped\":" + stopped + "}}");
    }

    /** Deletes it, holding it with the test's finalizer so that its Deleting status can still be read. */
    void delete() {
      resource().patch(PatchContext.of(PatchType.JSON),
          "[{\"op\":\"add\",\"path\":\"/metadata/finalizers/-\",\"value\":\"" + HOLD + "\"}]");
      resource().delete();
    }

    /**
     * Waits for the controller to let go (its finalizer off, every pod gone), then lets go too and
     * waits for the workload to be gone.
     */
    void release() {
      Await.until(name + "'s controller to let go", PHASE_WAIT,
          () -> List.of(HOLD).equals(resource().get().getMetadata().getFinalizers())
              && api.pods().inNamespace(Workloads.NAMESPACE).withLabel(WellKnown.WORKLOAD_LABEL, name).list()
                  .getItems().isEmpty(),
          () -> "finalizers " + resource().get().getMetadata().getFinalizers());
      WorkloadStatus last = status();
      resource().patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"finalizers\":null}}");
      Await.until(name + " to be gone", PHASE_WAIT, () -> resource().get() == null);
      gone = last;
    }

    WorkloadStatus status() {
      return Workloads.status(api, type, name);
    }

    private Resource<? extends WorkloadResource<?>> resource() {
      return api.resources(type).inNamespace(Workloads.NAMESPACE).withName(name);
    }

    private List<String> history() {
      return happened(gone != null ? gone : status());
    }

    /** The status history as changes. */
    private List<String> happened(WorkloadStatus status) {
      List<String> changes = new ArrayList<>();
      String from = null;
      for (WorkloadStatus.PhaseChange change : status.phaseHistory() == null
          ? List.<WorkloadStatus.PhaseChange>of() : status.phaseHistory()) {
        changes.add(change(from, change.phase(), change.reason()));
        from = change.phase();
      }
      return changes;
    }

    /** The phase changes its events tell, oldest first. */
    private List<String> told() {
      List<String> changes = new ArrayList<>();
      for (Event event : events()) {
        Matcher m = CHANGE.matcher(event.getMessage());
        if (m.find()) {
          changes.add(change(m.group(1), m.group(2), event.getReason()));
        }
      }
      return changes;
    }

    /** The events recorded on the workload, oldest first (names are unique and rising per extender). */
    private List<Event> events() {
      return api.v1().events().inNamespace(Workloads.NAMESPACE).list().getItems().stream()
          .filter(e -> name.equals(e.getInvolvedObject().getName()) && kind.equals(e.getInvolvedObject().getKind()))
          .sorted(Comparator.comparing((Event e) -> e.getEventTime().getTime()).thenComparing(e -> e.getMetadata().getName()))
          .toList();
    }
  }
}
