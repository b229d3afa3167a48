package dev.tessera.controller.workloads.lifecycle;

import java.util.List;
import java.util.Objects;

/**
 * What the controller sees of a workload and what it owns, at one moment: everything the phase
 * depends on, and nothing else, so the phase is a pure function of it.
 *
 * @param deleting the workload has a deletion timestamp
 * @param stopped the user stopped it ({@code spec.stopped})
 * @param podGroupCreated its PodGroup exists
 * @param requestedPods how many pods it should have
 * @param pods the pods it owns now
 * @param servicesWithoutEndpoints its Services that have no ready endpoint (none expected: 0)
 * @param detachedVolumes its volumes that are not attached
 * @param completes whether the kind runs to completion (trainings) rather than until stopped
 * @param minimumPods how many of the requested pods it needs scheduled to run: fewer than {@code
 *     requestedPods} for an elastic training, whose other pods join when GPUs are idle
 */
public record Observation(
    boolean deleting,
    boolean stopped,
    boolean podGroupCreated,
    int requestedPods,
    List<PodView> pods,
    int servicesWithoutEndpoints,
    int detachedVolumes,
    boolean completes,
    int minimumPods) {
  public Observation {
    pods = List.copyOf(pods);
    if (minimumPods < 0 || minimumPods > requestedPods) {
      throw new IllegalArgumentException(
          "minimumPods must be between 0 and requestedPods (" + requestedPods + "), was " + minimumPods);
    }
  }

  /** A workload that needs all its requested pods. */
  public Observation(
      boolean deleting,
      boolean stopped,
      boolean podGroupCreated,
      int requestedPods,
      List<PodView> pods,
      int servicesWithoutEndpoints,
      int detachedVolumes,
      boolean completes) {
    this(deleting, stopped, podGroupCreated, requestedPods, pods, servicesWithoutEndpoints, detachedVolumes,
        completes, requestedPods);
  }

  /** It may run with fewer pods than it asks for (an elastic training). */
  boolean elastic() {
    return minimumPods < requestedPods;
  }

  /**
   * One owned pod as the phase needs it.
   *
   * @param scheduled bound to a node
   * @param ready every container ready (initialised and passing readiness)
   * @param phase the pod's {@code status.phase}
   * @param failure why a container cannot start or keeps crashing (ErrImagePull, ImagePullBackOff,
   *     InvalidImageName, CrashLoopBackOff, ...), or null
   * @param preempted the pod was evicted (reclaim, preemption, gang timeout): its replacement waits
   * @param unschedulable why the scheduler cannot place it yet, as its {@code PodScheduled}
   *     condition says ("gang needs 8 × 2 whole GPUs; only 6 fit"), or null
   */
  public record PodView(String name, boolean scheduled, boolean ready, String phase, String failure, boolean preempted,
      String unschedulable) {
    public PodView {
      Objects.requireNonNull(name, "name");
    }

    /** A pod whose scheduler has said nothing about why it waits. */
    public PodView(String name, boolean scheduled, boolean ready, String phase, String failure, boolean preempted) {
      this(name, scheduled, ready, phase, failure, preempted, null);
    }

    boolean succeeded() {
      return "Succeeded".equals(phase);
    }

    boolean failed() {
      return "Failed".equals(phase) && !preempted;
    }
  }
}
