package dev.tessera.controller.workloads.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.api.workloads.WorkloadPhase;
import dev.tessera.controller.workloads.lifecycle.Observation.PodView;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every row of the phase table, entry and exit, with the reason each transition gives. */
class LifecycleTest {
  private static PodView pending(String name) {
    return new PodView(name, false, false, "Pending", null, false);
  }

  private static PodView scheduled(String name) {
    return new PodView(name, true, false, "Pending", null, false);
  }

  private static PodView ready(String name) {
    return new PodView(name, true, true, "Running", null, false);
  }

  private static PodView notReady(String name) {
    return new PodView(name, true, false, "Running", null, false);
  }

  private static PodView waiting(String name, String reason) {
    return new PodView(name, true, false, "Pending", reason, false);
  }

  private static PodView succeeded(String name) {
    return new PodView(name, true, false, "Succeeded", null, false);
  }

  private static PodView failed(String name) {
    return new PodView(name, true, false, "Failed", null, false);
  }

  private static PodView preempted(String name) {
    return new PodView(name, true, false, "Failed", null, true);
  }

  /** A training of {@code requested} pods with these pods, pod group created. */
  private static Observation training(int requested, PodView... pods) {
    return new Observation(false, false, true, requested, List.of(pods), 0, 0, true);
  }

  private static Observation workspace(PodView pod, int servicesWithoutEndpoints, int detachedVolumes) {
    return new Observation(false, false, true, 1, List.of(pod), servicesWithoutEndpoints, detachedVolumes, false);
  }

  private static void assertPhase(WorkloadPhase expected, String reason, Lifecycle.Transition actual) {
    assertEquals(expected, actual.phase(), actual.toString());
    assertEquals(reason, actual.reason(), actual.toString());
  }

  @Test
  void creatingUntilItsPodGroupExists() {
    Observation noGroup = new Observation(false, false, false, 2, List.of(), 0, 0, true);
    assertPhase(WorkloadPhase.CREATING, "Submitted", Lifecycle.next(null, noGroup));
    assertPhase(WorkloadPhase.PENDING, "Scheduling", Lifecycle.next(WorkloadPhase.CREATING, training(2)));
  }

  @Test
  void pendingUntilEveryPodIsScheduled() {
    Lifecycle.Transition one = Lifecycle.next(WorkloadPhase.PENDING, training(2, scheduled("w-0"), pending("w-1")));
    assertPhase(WorkloadPhase.PENDING, "Scheduling", one);
    assertEquals("1 of 2 pods scheduled", one.message());
    assertPhase(WorkloadPhase.INITIALIZING, "Initializing", Lifecycle.next(WorkloadPhase.PENDING, training(2, scheduled("w-0"), scheduled("w-1"))));
  }

  @Test
  void aPendingWorkloadSaysWhatTheSchedulerSaidOfItsPods() {
    Observation.PodView waiting = new Observation.PodView("w-1", false, false, "Pending", null, false,
        "gang team-a/ddp needs 8 whole GPUs on each of 2 nodes; only 6 fit");
    Lifecycle.Transition one = Lifecycle.next(WorkloadPhase.PENDING, training(2, scheduled("w-0"), waiting));
    assertPhase(WorkloadPhase.PENDING, "Scheduling", one);
    assertEquals("1 of 2 pods scheduled: gang team-a/ddp needs 8 whole GPUs on each of 2 nodes; only 6 fit",
        one.message());
  }

  @Test
  void initializingUntilEveryPodIsReadyOrOneFailsToStart() {
    assertPhase(WorkloadPhase.INITIALIZING, "Initializing", Lifecycle.next(WorkloadPhase.INITIALIZING, training(2, ready("w-0"), notReady("w-1"))));
    assertPhase(WorkloadPhase.RUNNING, "AllReady", Lifecycle.next(WorkloadPhase.INITIALIZING, training(2, ready("w-0"), ready("w-1"))));
    Lifecycle.Transition image = Lifecycle.next(WorkloadPhase.INITIALIZING, training(2, ready("w-0"), waiting("w-1", "ImagePullBackOff")));
    assertPhase(WorkloadPhase.FAILED, "ImagePullFailed", image);
    assertEquals("pod w-1 cannot get its image (ImagePullBackOff)", image.message());
    assertPhase(WorkloadPhase.FAILED, "ContainerCrashed",
        Lifecycle.next(WorkloadPhase.INITIALIZING, training(1, waiting("w-0", "CrashLoopBackOff"))));
  }

  @Test
  void runningUntilCompletionOrFailure() {
    assertPhase(WorkloadPhase.RUNNING, "AllReady", Lifecycle.next(WorkloadPhase.RUNNING, training(2, ready("w-0"), ready("w-1"))));
    assertPhase(WorkloadPhase.COMPLETED, "Succeeded", Lifecycle.next(WorkloadPhase.RUNNING, training(2, succeeded("w-0"), succeeded("w-1"))));
    assertPhase(WorkloadPhase.FAILED, "PodFailed", Lifecycle.next(WorkloadPhase.RUNNING, training(2, ready("w-0"), failed("w-1"))));
    // One worker done, the other still running: still Running, not Degraded.
    assertPhase(WorkloadPhase.RUNNING, "AllReady", Lifecycle.next(WorkloadPhase.RUNNING, training(2, succeeded("w-0"), ready("w-1"))));
  }

  @Test
  void degradedWhileRunningWithIssuesAndBackWhenWell() {
    Lifecycle.Transition unready = Lifecycle.next(WorkloadPhase.RUNNING, workspace(notReady("ws-0"), 0, 0));
    assertPhase(WorkloadPhase.DEGRADED, "Degraded", unready);
    assertEquals("1 of 1 pods not ready", unready.message());
    assertEquals("1 service(s) without endpoints",
        Lifecycle.next(WorkloadPhase.RUNNING, workspace(ready("ws-0"), 1, 0)).message());
    assertEquals("1 volume(s) detached", Lifecycle.next(WorkloadPhase.RUNNING, workspace(ready("ws-0"), 0, 1)).message());
    assertPhase(WorkloadPhase.RUNNING, "AllReady", Lifecycle.next(WorkloadPhase.DEGRADED, workspace(ready("ws-0"), 0, 0)));
    assertPhase(WorkloadPhase.FAILED, "ContainerCrashed",
        Lifecycle.next(WorkloadPhase.DEGRADED, workspace(waiting("ws-0", "CrashLoopBackOff"), 0, 0)));
  }

  @Test
  void startingWorkloadWaitsForItsEndpointsInsteadOfFlappingToDegraded() {
    Lifecycle.Transition waiting = Lifecycle.next(WorkloadPhase.INITIALIZING, workspace(ready("ws-0"), 1, 0));
    assertPhase(WorkloadPhase.INITIALIZING, "AwaitingEndpoints", waiting);
    assertEquals("all 1 pods ready; waiting for 1 service(s) to list them", waiting.message());
    assertPhase(WorkloadPhase.RUNNING, "AllReady", Lifecycle.next(WorkloadPhase.INITIALIZING, workspace(ready("ws-0"), 0, 0)));
    // A detached volume is a real issue from the start.
    assertPhase(WorkloadPhase.DEGRADED, "Degraded", Lifecycle.next(WorkloadPhase.INITIALIZING, workspace(ready("ws-0"), 1, 1)));
  }

  @Test
  void aDegradedTrainingThatFinishesWithFewerPodsIsCompleted() {
    // One of three workers was lost (preempted, not replaced in time); the other two finished.
    Lifecycle.Transition done = Lifecycle.next(WorkloadPhase.DEGRADED,
        training(3, succeeded("w-0"), succeeded("w-1"), preempted("w-2")));
    assertPhase(WorkloadPhase.COMPLETED, "Succeeded", done);
    assertEquals("finished without errors with 2 of 3 pods", done.message());
  }

  @Test
  void aPreemptedTrainingGoesBackToPendingNotFailed() {
    Lifecycle.Transition back = Lifecycle.next(WorkloadPhase.RUNNING, training(1, preempted("t-0")));
    assertPhase(WorkloadPhase.PENDING, "Preempted", back);
    assertEquals("1 pod(s) preempted; waiting to be scheduled again (0 of 1 scheduled)", back.message());
    // Its replacement is scheduled and starts over.
    assertPhase(WorkloadPhase.INITIALIZING, "Initializing", Lifecycle.next(WorkloadPhase.PENDING, training(1, preempted("t-0"), scheduled("t-0b"))));
  }

  @Test
  void stoppedKeepsTheDefinitionAndRunStartsOver() {
    Observation stopped = new Observation(false, true, true, 1, List.of(), 0, 0, false);
    assertPhase(WorkloadPhase.STOPPED, "Stopped", Lifecycle.next(WorkloadPhase.RUNNING, stopped));
    assertPhase(WorkloadPhase.STOPPED, "Stopped", Lifecycle.next(WorkloadPhase.STOPPED, stopped));
    Observation runAgain = new Observation(false, false, true, 1, List.of(), 0, 0, false);
    // As a new submission: Creating, then Pending until its new pods are placed.
    assertPhase(WorkloadPhase.CREATING, "RunRequested", Lifecycle.next(WorkloadPhase.STOPPED, runAgain));
    assertPhase(WorkloadPhase.PENDING, "Scheduling", Lifecycle.next(WorkloadPhase.CREATING, runAgain));
  }

  @Test
  void deletingFromAnyPhaseAndTerminalPhasesStay() {
    Observation deleting = new Observation(true, false, true, 1, List.of(ready("x")), 0, 0, true);
    for (WorkloadPhase phase : WorkloadPhase.values()) {
      assertPhase(WorkloadPhase.DELETING, "DeletionRequested", Lifecycle.next(phase, deleting));
    }
    assertPhase(WorkloadPhase.DELETING, "DeletionRequested", Lifecycle.next(WorkloadPhase.STOPPED,
        new Observation(true, true, true, 1, List.of(), 0, 0, false)));
    Observation anything = training(1, ready("x"));
    assertPhase(WorkloadPhase.COMPLETED, "Final", Lifecycle.next(WorkloadPhase.COMPLETED, anything));
    assertPhase(WorkloadPhase.FAILED, "Final", Lifecycle.next(WorkloadPhase.FAILED, anything));
  }

  /** An elastic training: the master and {@code minimum - 1} workers must run, up to {@code requested} pods. */
  private static Observation elastic(int requested, int minimum, PodView... pods) {
    return new Observation(false, false, true, requested, List.of(pods), 0, 0, true, minimum);
  }

  @Test
  void anElasticTrainingRunsOnItsMinimumAndCompletesWithoutItsWaitingWorkers() {
    Lifecycle.Transition pending = Lifecycle.next(WorkloadPhase.PENDING,
        elastic(4, 2, scheduled("m"), pending("w0"), pending("w1"), pending("w2")));
    assertPhase(WorkloadPhase.PENDING, "Scheduling", pending);
    assertEquals("1 of the 2 pods it needs to start (it may grow to 4) scheduled", pending.message());

    Lifecycle.Transition starting = Lifecycle.next(WorkloadPhase.PENDING,
        elastic(4, 2, scheduled("m"), scheduled("w0"), pending("w1"), pending("w2")));
    assertPhase(WorkloadPhase.INITIALIZING, "Initializing", starting);
    assertEquals("0 of 2 pods initialised", starting.message());

    Lifecycle.Transition running = Lifecycle.next(WorkloadPhase.INITIALIZING,
        elastic(4, 2, ready("m"), ready("w0"), pending("w1"), pending("w2")));
    assertPhase(WorkloadPhase.RUNNING, "AllReady", running);
    assertEquals("2 pods ready, at least the 2 it needs; 2 more join as GPUs become idle", running.message());
    assertPhase(WorkloadPhase.RUNNING, "AllReady", Lifecycle.next(WorkloadPhase.RUNNING,
        elastic(4, 2, ready("m"), ready("w0"), ready("w1"), pending("w2"))));
    assertPhase(WorkloadPhase.RUNNING, "AllReady", Lifecycle.next(WorkloadPhase.RUNNING,
        elastic(4, 2, ready("m"), ready("w0"), notReady("w1"), pending("w2"))));
    assertPhase(WorkloadPhase.DEGRADED, "Degraded", Lifecycle.next(WorkloadPhase.RUNNING,
        elastic(4, 2, ready("m"), notReady("w0"), pending("w1"), pending("w2"))));
    // A worker above the minimum preempted: its replacement waits, and the training runs on.
    assertPhase(WorkloadPhase.RUNNING, "AllReady", Lifecycle.next(WorkloadPhase.RUNNING,
        elastic(4, 2, ready("m"), ready("w0"), preempted("w1 (before)"), pending("w1"), pending("w2"))));

    assertPhase(WorkloadPhase.COMPLETED, "Succeeded", Lifecycle.next(WorkloadPhase.RUNNING,
        elastic(4, 2, succeeded("m"), succeeded("w0"), succeeded("w1"), pending("w2"))));
    assertPhase(WorkloadPhase.RUNNING, "AllReady", Lifecycle.next(WorkloadPhase.RUNNING,
        elastic(4, 2, succeeded("m"), ready("w0"), pending("w1"), pending("w2"))));
  }

  @Test
  void workspacesNeverComplete() {
    Observation exited = new Observation(false, false, true, 1, List.of(succeeded("ws-0")), 0, 0, false);
    Lifecycle.Transition after = Lifecycle.next(WorkloadPhase.RUNNING, exited);
    assertEquals(WorkloadPhase.DEGRADED, after.phase(), after.toString());
  }

  @Test
  void phaseLabelsAreTheContractsWords() {
    List<String> labels = new ArrayList<>();
    for (WorkloadPhase phase : WorkloadPhase.values()) {
      labels.add(phase.label());
      assertEquals(phase, WorkloadPhase.of(phase.label()));
    }
    assertEquals(List.of("Creating", "Pending", "Initializing", "Running", "Degraded", "Stopped", "Deleting", "Failed",
        "Completed"), labels);
  }
}
