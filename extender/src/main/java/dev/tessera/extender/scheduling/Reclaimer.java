package dev.tessera.extender.scheduling;

import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PodKey;
import java.util.Objects;

/**
 * A pending pod of a project under its fair share, for which Tessera reclaims GPUs from projects
 * above theirs.
 *
 * @param pool the node pool the pod is scheduled into; victims come from the same pool
 * @param request what it needs on one node, for the fit check after victims leave
 * @param gpus what it counts for quota (a fraction as its fraction)
 */
public record Reclaimer(
    PodKey key, String project, String pool, GpuRequest request, double gpus, int priority) {
  public Reclaimer {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(project, "project");
    Objects.requireNonNull(pool, "pool");
    Objects.requireNonNull(request, "request");
    if (!(gpus >= 0) || Double.isInfinite(gpus)) {
      throw new IllegalArgumentException("pod " + key + ": GPUs must be a finite number >= 0, was " + gpus);
    }
  }
}
