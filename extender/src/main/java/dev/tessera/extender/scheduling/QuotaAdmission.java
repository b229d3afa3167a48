package dev.tessera.extender.scheduling;

import dev.tessera.extender.model.Project;

/**
 * Whether a project may take more GPUs in a pool. Above its fair share a pod is admitted only onto
 * idle GPUs (free ones no project below its fair share waits for), and is marked over quota so
 * reclaim can take it back. Always refused: going past the project's limit or its department's
 * quota, or past its deserved quota when over-quota use is off.
 */
public final class QuotaAdmission {
  private static final double EPSILON = 1e-9;

  private QuotaAdmission() {}

  /**
   * Null when the project may take {@code gpus} more in the pool, else why not. Above its fair
   * share it may take only the pool's idle GPUs ({@link PolicySnapshot#idleGpus}); its department
   * may not go past its quota.
   */
  public static String refusal(Project project, String pool, PolicySnapshot policy, double gpus) {
    ProjectFigures figures = policy.figures(project.name(), pool);
    double idleGpus = policy.idleGpus(pool);
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
    double departmentRoom = policy.departmentRoom(project.department(), pool);
    if (departmentRoom + EPSILON < gpus) {
      return "department " + project.department() + " of project " + project.name() + " would exceed its quota in pool "
          + pool + " (" + GangPlanner.gpusText(Math.max(0, departmentRoom)) + " GPUs left, the pod asks for "
          + GangPlanner.gpusText(gpus) + ")";
    }
    if (aboveFairShare(figures, gpus) && idleGpus + EPSILON < gpus) {
      return "project " + project.name() + " would go above its fair share of "
          + GangPlanner.gpusText(figures.fairShare()) + " GPUs in pool " + pool + " (it holds "
          + GangPlanner.gpusText(figures.allocated()) + "), and the pool's free GPUs are wanted by projects"
          + " below their fair share";
    }
    return null;
  }

  /** True when taking {@code gpus} more puts the project above its fair share. */
  public static boolean aboveFairShare(ProjectFigures figures, double gpus) {
    return figures.allocated() + gpus > Math.max(figures.fairShare(), figures.deserved()) + EPSILON;
  }

  /**
   * True when taking {@code gpus} more puts the project above its deserved quota: the pod borrows
   * GPUs (Run:ai's "over quota") and reclaim may take them back once other projects want their
   * share. Every pod above fair share is above deserved too.
   */
  public static boolean overQuota(ProjectFigures figures, double gpus) {
    return figures.allocated() + gpus > figures.deserved() + EPSILON;
  }
}
