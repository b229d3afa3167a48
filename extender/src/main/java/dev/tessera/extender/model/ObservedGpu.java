package dev.tessera.extender.model;

import dev.tessera.api.WellKnown;
import java.util.Objects;

/**
 * What the node agent last measured on one GPU. It narrows what the ledger offers: a GPU the
 * agent calls unhealthy takes no new pod, and a fraction must fit the memory really free, not
 * only the memory the ledger has not handed out.
 *
 * @param usedMiB memory in use on the GPU, by anyone (Tessera's tenants, other processes)
 * @param borrowedMiB of that, what dynamic fractions use above their requests: on loan, and taken
 *     back by the agent as soon as a tenant needs its own request, so it does not count against
 *     the free memory a new pod can be placed on
 * @param healthReason why the GPU is unhealthy; empty when healthy
 * @param computeGuaranteedPercent the compute shares the agent's paced tenants on the GPU are
 *     guaranteed, summed (what the native library enforces, which placement's own count may not yet
 *     know of); {@link #UNKNOWN} from agents that do not say
 */
public record ObservedGpu(
    long usedMiB, long borrowedMiB, boolean healthy, String healthReason, int computeGuaranteedPercent) {
  /** {@link #computeGuaranteedPercent} of a report that does not say. */
  public static final int UNKNOWN = -1;

  public ObservedGpu {
    Objects.requireNonNull(healthReason, "healthReason");
    if (usedMiB < 0 || usedMiB > WellKnown.MAX_GPU_MEMORY_MIB) {
      throw new IllegalArgumentException(
          "observed memory use must be 0.." + WellKnown.MAX_GPU_MEMORY_MIB + " MiB, was " + usedMiB);
    }
    if (borrowedMiB < 0 || borrowedMiB > WellKnown.MAX_GPU_MEMORY_MIB) {
      throw new IllegalArgumentException(
          "observed borrowed memory must be 0.." + WellKnown.MAX_GPU_MEMORY_MIB + " MiB, was " + borrowedMiB);
    }
    if (computeGuaranteedPercent < UNKNOWN) {
      throw new IllegalArgumentException("guaranteed compute must be >= 0 percent, was " + computeGuaranteedPercent);
    }
  }

  /** A measurement without compute shares: an agent that does not pace, or does not say. */
  public ObservedGpu(long usedMiB, long borrowedMiB, boolean healthy, String healthReason) {
    this(usedMiB, borrowedMiB, healthy, healthReason, UNKNOWN);
  }

  /** A measurement with nothing on loan. */
  public ObservedGpu(long usedMiB, boolean healthy, String healthReason) {
    this(usedMiB, 0, healthy, healthReason);
  }

  /**
   * Memory in use that no one will give back: all use but what is on loan. The two figures come
   * from different counters (NVML, the native library), so this never goes below 0.
   */
  public long heldMiB() {
    return Math.max(0, usedMiB - borrowedMiB);
  }
}
