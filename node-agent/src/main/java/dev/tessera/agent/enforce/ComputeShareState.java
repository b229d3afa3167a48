package dev.tessera.agent.enforce;

import dev.tessera.agent.deviceplugin.ClaimRecord;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The compute scheduler's latest decisions, immutable: what the agent's metrics and its reports to
 * the extender read, without touching the scheduler's thread.
 *
 * @param gpus one entry per GPU with paced tenants
 * @param tenants one entry per paced container and GPU
 */
public record ComputeShareState(Instant at, List<GpuShares> gpus, List<TenantShare> tenants) {
  public static final ComputeShareState NONE = new ComputeShareState(Instant.EPOCH, List.of(), List.of());

  public ComputeShareState {
    Objects.requireNonNull(at, "at");
    gpus = List.copyOf(gpus);
    tenants = List.copyOf(tenants);
  }

  /**
   * One GPU's compute, in percent of its time.
   *
   * @param guaranteedPercent its paced tenants' own shares summed
   * @param lentPercent what borrowers hold above their own shares now
   * @param idlePercent what could be lent now: nobody's, or unused by its owner
   * @param tenants paced tenants on it
   */
  public record GpuShares(String gpuUuid, int guaranteedPercent, int lentPercent, int idlePercent, int tenants) {
    public GpuShares {
      Objects.requireNonNull(gpuUuid, "gpuUuid");
    }
  }

  /**
   * One paced container on one GPU.
   *
   * @param usedPercent of the GPU's time over the last tick; NaN before it was measured
   */
  public record TenantShare(
      ClaimRecord claim, String gpuUuid, int guaranteedPercent, int effectivePercent, double usedPercent) {
    public TenantShare {
      Objects.requireNonNull(claim, "claim");
      Objects.requireNonNull(gpuUuid, "gpuUuid");
    }
  }

  public Optional<GpuShares> gpu(String uuid) {
    return gpus.stream().filter(g -> g.gpuUuid().equals(uuid)).findFirst();
  }
}
