package dev.tessera.controller.workloads.controller;

import dev.tessera.api.WellKnown;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.extender.actions.PodEvents;
import dev.tessera.extender.ledger.PodIndex;
import dev.tessera.extender.model.PodKey;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Records what the scheduler does to a workload's pod on the workload too, so {@code describe}
 * shows its whole history in one place: scheduled (GPUs assigned), reclaimed by another project,
 * evicted by a gang timeout, and what the node agent tells of the pod's GPU memory (refused at its
 * limit, a loan taken back). Every event still goes to the pod first; the copy is written on the
 * given executor, never on the caller's thread (filter and bind call this).
 *
 * <p>The node agent records its events on the pod through the API server, not through this class:
 * {@link AgentEventWatch} hands them to {@link #recorded}.
 */
public final class WorkloadEventMirror implements PodEvents {
  /** Pod events a workload's owner wants to see there. */
  static final Set<String> MIRRORED = Set.of("GpuAssigned", "Reclaimed", "ReclaimingGpus", "GangTimedOut",
      WellKnown.GPU_OUT_OF_MEMORY_REASON, WellKnown.GPU_MEMORY_LOAN_RECLAIMED_REASON, WellKnown.PREEMPTED_REASON);

  private final PodEvents pods;
  private final PodIndex index;
  private final WorkloadEvents workloads;
  private final Executor executor;

  public WorkloadEventMirror(PodEvents pods, PodIndex index, WorkloadEvents workloads, Executor executor) {
    this.pods = Objects.requireNonNull(pods, "pods");
    this.index = Objects.requireNonNull(index, "index");
    this.workloads = Objects.requireNonNull(workloads, "workloads");
    this.executor = Objects.requireNonNull(executor, "executor");
  }

  @Override
  public void warn(PodKey pod, String reason, String message) {
    pods.warn(pod, reason, message);
    mirror(pod, "Warning", reason, message);
  }

  @Override
  public void normal(PodKey pod, String reason, String message) {
    pods.normal(pod, reason, message);
    mirror(pod, "Normal", reason, message);
  }

  /** An event another component already recorded on the pod: copied to its workload alone. */
  public void recorded(PodKey pod, String type, String reason, String message) {
    mirror(pod, type, reason, message);
  }

  private void mirror(PodKey pod, String type, String reason, String message) {
    if (!MIRRORED.contains(reason)) {
      return;
    }
    PodIndex.IndexedPod indexed = index.get(pod.uid());
    PodIndex.WorkloadRef workload = indexed == null ? null : indexed.workload();
    if (workload == null) {
      return;
    }
    String kind = kindOf(workload.kindLabel());
    if (kind == null) {
      return;
    }
    try {
      executor.execute(() -> workloads.record(kind, workload.namespace(), workload.name(), null, type, reason,
          "pod " + pod.name() + ": " + message));
    } catch (RejectedExecutionException e) {
      // shutting down: the pod has the event
    }
  }

  private static String kindOf(String label) {
    for (WorkloadKind kind : WorkloadKind.values()) {
      if (kind.label().equals(label)) {
        return kind.kind();
      }
    }
    return null;
  }
}
