package dev.tessera.extender.scheduling;

import dev.tessera.extender.model.Project;

/**
 * Whether a project may take more GPUs in a pool. Above its fair share a pod is still admitted, on
 * idle GPUs only (placement sees only free capacity), and is marked over quota so reclaim can take
 * it back; what is refused here is what no amount of idle capacity makes right: going past the
 * project's limit, or past its deserved quota when over-quota use is off.
 */
public final class QuotaAdmission {
  private static final double EPSILON = 1e-9;

  private QuotaAdmission() {}

  /** Null when the project may take {@code gpus} more in the pool, else why not. */
  public static String refusal(Project project, String pool, ProjectFigures figures, double gpus) {
    double after = figures.allocated() + gpus;
    if (after > figures.limit() + EPSILON) {
      return "project " + project.name() + " would exceed its limit of " + GangPlanner.gpusText(figures.limit())
          + " GPUs in pool " + pool + " (it holds " + GangPlanner.gpusText(figures.allocated()) + ", the pod asks for "
          + GangPlanner.gpusText(gpus) + ")";
    }
    if (!project.overQuotaAllowed() && after > figures.deserved() + EPSILON) {
      return "project " + project.name() + " would exceed its deserved " + GangPlanner.gpusText(figures.deserved())
          + " GPUs in pool " + pool + " (it holds " + GangPlanner.gpusText(figures.allocated())
          + ") and its over-quota use is off";
    }
    return null;
  }

  /** True when taking {@code gpus} more puts the project above its fair share: the pod is over quota. */
  public static boolean overQuota(ProjectFigures figures, double gpus) {
    return figures.allocated() + gpus > Math.max(figures.fairShare(), figures.deserved()) + EPSILON;
  }
}
