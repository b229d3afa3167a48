package dev.tessera.extender.model;

import java.util.Objects;

/**
 * What the node agent last measured on one GPU. It narrows what the ledger offers: a GPU the
 * agent calls unhealthy takes no new pod, and a fraction must fit the memory really free, not
 * only the memory the ledger has not handed out.
 *
 * @param usedMiB memory in use on the GPU, by anyone (Tessera's tenants, other processes)
 * @param healthReason why the GPU is unhealthy; empty when healthy
 */
public record ObservedGpu(long usedMiB, boolean healthy, String healthReason) {
  public ObservedGpu {
    Objects.requireNonNull(healthReason, "healthReason");
    if (usedMiB < 0 || usedMiB > WellKnown.MAX_GPU_MEMORY_MIB) {
      throw new IllegalArgumentException(
          "observed memory use must be 0.." + WellKnown.MAX_GPU_MEMORY_MIB + " MiB, was " + usedMiB);
    }
  }
}
