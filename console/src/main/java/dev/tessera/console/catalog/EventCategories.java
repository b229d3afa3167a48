package dev.tessera.console.catalog;

import dev.tessera.api.WellKnown;
import dev.tessera.console.history.HistoryEvent.Category;
import java.util.Set;

/**
 * Which sort of history entry a Kubernetes event is, by its reason: the reasons Tessera's
 * components and kube-scheduler write. A reason not listed is {@link Category#OTHER}, and kept
 * only when it is a warning (image pulls and container starts are not the workload's history).
 */
final class EventCategories {
  private static final Set<String> SCHEDULING = Set.of("Scheduled", "FailedScheduling", "GpuAssigned",
      "InvalidGpuRequest", "GangTimedOut", "Bound", "Scheduling", "GpuDoubleBooked", "NotTriggerScaleUp");
  private static final Set<String> RECLAIM = Set.of(WellKnown.PREEMPTED_REASON, "Reclaimed", "ReclaimingGpus",
      "Evicted", "Preempting");
  private static final Set<String> GPU_OOM = Set.of(WellKnown.GPU_OUT_OF_MEMORY_REASON,
      WellKnown.GPU_MEMORY_LOAN_RECLAIMED_REASON);
  private static final Set<String> POLICY = Set.of("PolicyViolation", "MaxIdleTimeExceeded", "MaxRuntimeExceeded",
      "InvalidSpec", "InvalidObject", "OverQuota", "ProjectLimit");

  private EventCategories() {}

  static Category of(String reason) {
    if (reason == null) {
      return Category.OTHER;
    }
    if (SCHEDULING.contains(reason)) {
      return Category.SCHEDULING;
    }
    if (RECLAIM.contains(reason)) {
      return Category.RECLAIM;
    }
    if (GPU_OOM.contains(reason)) {
      return Category.GPU_OOM;
    }
    return POLICY.contains(reason) ? Category.POLICY : Category.OTHER;
  }

  /** Whether an event belongs in a workload's history. */
  static boolean notable(Category category, String type, boolean onTheWorkload) {
    return onTheWorkload || category != Category.OTHER || "Warning".equals(type);
  }
}
