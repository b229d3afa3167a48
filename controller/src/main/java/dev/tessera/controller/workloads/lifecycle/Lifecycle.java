package dev.tessera.controller.workloads.lifecycle;

import dev.tessera.api.workloads.WorkloadPhase;
import dev.tessera.api.workloads.WorkloadStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The workload phase machine: from the phase a workload was in and what the controller observes,
 * the phase it is in now and why. Pure, so every row of the contract is a unit test:
 *
 * <pre>
 * phase         entry                                   exit
 * Creating      submitted                               its pod group is created
 * Pending       a pod group exists                      all pods are scheduled
 * Initializing  all pods scheduled                      all initialised (Running), or an
 *                                                       initialisation failure (Failed)
 * Running       all pods initialised                    completion or failure
 * Degraded      running with issues (pods not ready,    Running when all is well; Completed if it
 *               a Service without endpoints, a           finished with fewer resources; Failed
 *               detached volume)
 * Stopped       stopped: resources released,             Creating when run again, or Deleting
 *               definition kept
 * Deleting      deletion requested                      all resources gone
 * Failed        image pull failed, containers crashed   (terminal)
 * Completed     finished without errors                 (terminal)
 * </pre>
 *
 * A preempted pod (evicted by reclaim or preemption) sends a workload back to Pending, never to
 * Failed: its replacement waits to be scheduled again.
 *
 * <p>An elastic training counts against its minimum: it is Pending until the master and its
 * minimum workers are scheduled, and its other workers waiting for idle GPUs are neither an issue
 * (Degraded) nor needed to complete.
 */
public final class Lifecycle {
  /** The new phase and why: {@code reason} is a CamelCase word, {@code message} a sentence. */
  public record Transition(WorkloadPhase phase, String reason, String message) {
    public Transition {
      Objects.requireNonNull(phase, "phase");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(message, "message");
    }
  }

  /** Container waiting reasons that mean the image cannot be had. */
  private static final Set<String> IMAGE_FAILURES =
      Set.of("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull");
  /** Container waiting reasons that mean it crashes on start. */
  private static final Set<String> CRASHES =
      Set.of("CrashLoopBackOff", "CreateContainerError", "CreateContainerConfigError", "RunContainerError");

  private Lifecycle() {}

  /** @param previous the phase the workload was in; null for a workload just submitted */
  /**
   * The status's phase history after {@code transition}, written at {@code now}: a new entry when
   * the phase changes. Still pending with new words (the scheduler has said why the pods wait), the
   * current entry's message says what holds now, so the Workloads view shows it; its reason and
   * since stay as the workload entered the phase. Other phases keep the words they were entered with.
   */
  public static List<WorkloadStatus.PhaseChange> history(WorkloadStatus status, Transition transition, String now) {
    List<WorkloadStatus.PhaseChange> history =
        status.phaseHistory() == null ? new ArrayList<>() : new ArrayList<>(status.phaseHistory());
    String phase = transition.phase().label();
    if (!phase.equals(status.phase())) {
      history.add(new WorkloadStatus.PhaseChange(phase, now, transition.reason(), transition.message()));
    } else if (transition.phase() == WorkloadPhase.PENDING && !history.isEmpty()) {
      WorkloadStatus.PhaseChange last = history.get(history.size() - 1);
      if (!Objects.equals(last.message(), transition.message())) {
        history.set(history.size() - 1,
            new WorkloadStatus.PhaseChange(last.phase(), last.since(), last.reason(), transition.message()));
      }
    }
    return history;
  }

  public static Transition next(WorkloadPhase previous, Observation seen) {
    if (seen.deleting()) {
      return new Transition(WorkloadPhase.DELETING, "DeletionRequested", "deletion requested; waiting for its resources to go");
    }
    if (previous != null && previous.terminal()) {
      return new Transition(previous, "Final", previous.label() + " is final");
    }
    if (seen.stopped()) {
      return new Transition(WorkloadPhase.STOPPED, "Stopped", "stopped: its pods are released, its definition kept");
    }
    if (previous == WorkloadPhase.STOPPED) {
      // Run again: it starts over as a new submission does, Creating, then Pending until placed.
      return new Transition(WorkloadPhase.CREATING, "RunRequested", "run again after a stop; creating its pods");
    }
    if (!seen.podGroupCreated()) {
      return new Transition(WorkloadPhase.CREATING, "Submitted", "submitted; creating its pod group");
    }
    Transition failure = failure(seen);
    if (failure != null) {
      return failure;
    }
    int succeeded = 0;
    int scheduled = 0;
    int ready = 0;
    int preempted = 0;
    int live = 0;
    for (Observation.PodView pod : seen.pods()) {
      if (pod.preempted()) {
        preempted++;
        continue;
      }
      live++;
      if (pod.succeeded()) {
        succeeded++;
      }
      if (pod.scheduled()) {
        scheduled++;
      }
      if (pod.ready()) {
        ready++;
      }
    }
    boolean running = previous == WorkloadPhase.RUNNING || previous == WorkloadPhase.DEGRADED;
    // Finished when every pod it still has finished well: all of them, or fewer if some were lost
    // on the way (a Degraded workload that completes). An elastic training's workers still waiting
    // for GPUs had no part in it.
    int taking = seen.elastic() ? scheduled : live;
    if (seen.completes() && succeeded > 0 && succeeded == taking) {
      return new Transition(WorkloadPhase.COMPLETED, "Succeeded",
          succeeded == seen.requestedPods()
              ? "all " + succeeded + " pods finished without errors"
              : "finished without errors with " + succeeded + " of " + seen.requestedPods() + " pods");
    }
    if (scheduled < seen.minimumPods()) {
      String needed = seen.elastic()
          ? " of the " + seen.minimumPods() + " pods it needs to start (it may grow to " + seen.requestedPods() + ")"
          : " of " + seen.requestedPods();
      String message = preempted > 0
          ? preempted + " pod(s) preempted; waiting to be scheduled again (" + scheduled + needed + " scheduled)"
          : scheduled + needed + (seen.elastic() ? "" : " pods") + " scheduled";
      // The scheduler's own words on why, so the status says what the wait is for.
      String why = seen.pods().stream().filter(pod -> !pod.scheduled() && pod.unschedulable() != null)
          .map(Observation.PodView::unschedulable).findFirst().map(reason -> ": " + reason).orElse("");
      return new Transition(WorkloadPhase.PENDING, preempted > 0 ? "Preempted" : "Scheduling", message + why);
    }
    // A finished pod of a training did its part; one of a workspace or an inference server stopped
    // serving. An elastic training needs only its minimum ready: workers above it that are still
    // starting (or waiting for idle GPUs) are joining, not failing it.
    int placed = Math.min(scheduled, seen.requestedPods());
    int done = ready + (seen.completes() ? succeeded : 0);
    int notReady = seen.elastic() ? Math.max(0, seen.minimumPods() - done) : placed - done;
    if (!running) {
      if (notReady > 0) {
        return new Transition(WorkloadPhase.INITIALIZING, "Initializing",
            (placed - notReady) + " of " + placed + " pods initialised");
      }
      if (seen.servicesWithoutEndpoints() > 0 && seen.detachedVolumes() == 0) {
        // Endpoints follow pod readiness by a moment: starting, not degraded.
        return new Transition(WorkloadPhase.INITIALIZING, "AwaitingEndpoints",
            "all " + placed + " pods ready; waiting for " + seen.servicesWithoutEndpoints()
                + " service(s) to list them");
      }
      return issues(seen, 0, placed) == null
          ? new Transition(WorkloadPhase.RUNNING, "AllReady", ready(seen, placed, ready))
          : new Transition(WorkloadPhase.DEGRADED, "Degraded", issues(seen, 0, placed));
    }
    String problems = issues(seen, Math.max(0, notReady), placed);
    return problems == null
        ? new Transition(WorkloadPhase.RUNNING, "AllReady", ready(seen, placed, ready))
        : new Transition(WorkloadPhase.DEGRADED, "Degraded", problems);
  }

  private static Transition failure(Observation seen) {
    for (Observation.PodView pod : seen.pods()) {
      if (pod.failure() != null && IMAGE_FAILURES.contains(pod.failure())) {
        return new Transition(WorkloadPhase.FAILED, "ImagePullFailed",
            "pod " + pod.name() + " cannot get its image (" + pod.failure() + ")");
      }
      if (pod.failure() != null && CRASHES.contains(pod.failure())) {
        return new Transition(WorkloadPhase.FAILED, "ContainerCrashed",
            "pod " + pod.name() + " crashes on start (" + pod.failure() + ")");
      }
      if (pod.failed()) {
        return new Transition(WorkloadPhase.FAILED, "PodFailed", "pod " + pod.name() + " failed");
      }
    }
    return null;
  }

  private static String ready(Observation seen, int placed, int ready) {
    if (!seen.elastic() || ready >= seen.requestedPods()) {
      return "all " + placed + " pods ready";
    }
    return ready + " pods ready, at least the " + seen.minimumPods() + " it needs; "
        + (seen.requestedPods() - ready) + " more join as GPUs become idle";
  }

  /** What keeps a running workload from being whole, or null. */
  private static String issues(Observation seen, int notReady, int placed) {
    StringBuilder text = new StringBuilder();
    if (notReady > 0) {
      text.append(notReady).append(" of ").append(placed).append(" pods not ready");
    }
    if (seen.servicesWithoutEndpoints() > 0) {
      text.append(text.isEmpty() ? "" : "; ").append(seen.servicesWithoutEndpoints()).append(" service(s) without endpoints");
    }
    if (seen.detachedVolumes() > 0) {
      text.append(text.isEmpty() ? "" : "; ").append(seen.detachedVolumes()).append(" volume(s) detached");
    }
    return text.isEmpty() ? null : text.toString();
  }
}
