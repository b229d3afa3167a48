package dev.tessera.extender.workloads.lifecycle;

import dev.tessera.extender.workloads.spec.WorkloadPhase;
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
    for (Observation.PodView pod : seen.pods()) {
      if (pod.preempted()) {
        preempted++;
        continue;
      }
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
    // on the way (a Degraded workload that completes).
    if (seen.completes() && succeeded > 0 && succeeded == live(seen)) {
      return new Transition(WorkloadPhase.COMPLETED, "Succeeded",
          succeeded == seen.requestedPods()
              ? "all " + succeeded + " pods finished without errors"
              : "finished without errors with " + succeeded + " of " + seen.requestedPods() + " pods");
    }
    if (scheduled < seen.requestedPods()) {
      String message = preempted > 0
          ? preempted + " pod(s) preempted; waiting to be scheduled again (" + scheduled + " of "
              + seen.requestedPods() + " scheduled)"
          : scheduled + " of " + seen.requestedPods() + " pods scheduled";
      return new Transition(WorkloadPhase.PENDING, preempted > 0 ? "Preempted" : "Scheduling", message);
    }
    // A finished pod of a training did its part; one of a workspace or an inference server stopped
    // serving.
    int notReady = seen.requestedPods() - ready - (seen.completes() ? succeeded : 0);
    if (!running) {
      if (notReady > 0) {
        return new Transition(WorkloadPhase.INITIALIZING, "Initializing",
            (seen.requestedPods() - notReady) + " of " + seen.requestedPods() + " pods initialised");
      }
      if (seen.servicesWithoutEndpoints() > 0 && seen.detachedVolumes() == 0) {
        // Endpoints follow pod readiness by a moment: starting, not degraded.
        return new Transition(WorkloadPhase.INITIALIZING, "AwaitingEndpoints",
            "all " + seen.requestedPods() + " pods ready; waiting for " + seen.servicesWithoutEndpoints()
                + " service(s) to list them");
      }
      return issues(seen, 0) == null
          ? new Transition(WorkloadPhase.RUNNING, "AllReady", "all " + seen.requestedPods() + " pods ready")
          : new Transition(WorkloadPhase.DEGRADED, "Degraded", issues(seen, 0));
    }
    String problems = issues(seen, Math.max(0, notReady));
    return problems == null
        ? new Transition(WorkloadPhase.RUNNING, "AllReady", "all " + seen.requestedPods() + " pods ready")
        : new Transition(WorkloadPhase.DEGRADED, "Degraded", problems);
  }

  private static int live(Observation seen) {
    int live = 0;
    for (Observation.PodView pod : seen.pods()) {
      if (!pod.preempted()) {
        live++;
      }
    }
    return live;
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

  /** What keeps a running workload from being whole, or null. */
  private static String issues(Observation seen, int notReady) {
    StringBuilder text = new StringBuilder();
    if (notReady > 0) {
      text.append(notReady).append(" of ").append(seen.requestedPods()).append(" pods not ready");
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
