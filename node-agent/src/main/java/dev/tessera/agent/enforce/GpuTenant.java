package dev.tessera.agent.enforce;

import dev.tessera.agent.ContainerUsage;
import dev.tessera.agent.deviceplugin.ClaimRecord;
import java.util.List;
import java.util.Objects;

/**
 * A container on a shared GPU as its usage file shows it: what it was placed by, what it may use,
 * what it uses, and what it is waiting for.
 *
 * @param ordinal the CUDA device ordinal inside the container
 * @param requestBytes what the pod was placed by: never taken back
 * @param limitBytes what it may use while the GPU has room; above the request only for a dynamic
 *     fraction
 * @param usedBytes what all its processes hold (the library's authoritative total)
 * @param wantedBytes what its allocations within the request are waiting for because the GPU is
 *     physically full: the signal to look at its processes' slots, which say who waits (a waiter
 *     killed mid-wait leaves its bytes in this figure until its slot is reaped)
 */
public record GpuTenant(
    ClaimRecord claim,
    int ordinal,
    String gpuUuid,
    long requestBytes,
    long limitBytes,
    long usedBytes,
    long wantedBytes,
    List<TenantProcess> processes) {
  public GpuTenant {
    Objects.requireNonNull(claim, "claim");
    Objects.requireNonNull(gpuUuid, "gpuUuid");
    processes = List.copyOf(processes);
    if (requestBytes < 0 || limitBytes < requestBytes || usedBytes < 0 || wantedBytes < 0) {
      throw new IllegalArgumentException("impossible usage figures: request=" + requestBytes + " limit=" + limitBytes
          + " used=" + usedBytes + " wanted=" + wantedBytes);
    }
  }

  /** Bytes used above the request: on loan. */
  public long borrowedBytes() {
    return Math.max(0, usedBytes - requestBytes);
  }

  /** True while an allocation within the request may be waiting for memory others borrowed. */
  public boolean mayWaitForLoan() {
    return wantedBytes > 0 && usedBytes <= requestBytes;
  }

  public ContainerUsage usage() {
    return new ContainerUsage(
        claim.namespace(), claim.pod(), claim.podUid(), claim.container(), gpuUuid, usedBytes, limitBytes, requestBytes);
  }

  /** "team-a/train-0" */
  public String podName() {
    return claim.namespace() + "/" + claim.pod();
  }
}
