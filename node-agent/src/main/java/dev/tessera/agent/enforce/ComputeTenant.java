package dev.tessera.agent.enforce;

import dev.tessera.agent.deviceplugin.ClaimRecord;
import java.util.Objects;

/**
 * A paced container on one GPU, as its compute file ({@code gpu-<ordinal>.compute}, beside its
 * usage file) shows it: the share it is guaranteed, the share the agent last let it have, and what
 * the native library measured.
 *
 * @param ordinal the CUDA device ordinal inside the container
 * @param guaranteedPercent its own share, 1..99: what it keeps whatever its neighbours do
 * @param effectivePercent the share the agent wrote (0: none written); in force only while {@code
 *     leaseUntilMillis} is ahead
 * @param chargedNanos GPU time charged to its launches since the file was made: its use
 * @param heldNanos time its launches were held back for its share: it wanted more
 */
public record ComputeTenant(
    ClaimRecord claim,
    int ordinal,
    String gpuUuid,
    int guaranteedPercent,
    int effectivePercent,
    long leaseUntilMillis,
    long chargedNanos,
    long heldNanos) {
  public ComputeTenant {
    Objects.requireNonNull(claim, "claim");
    Objects.requireNonNull(gpuUuid, "gpuUuid");
    if (guaranteedPercent < 1 || guaranteedPercent > 100 || effectivePercent < 0 || effectivePercent > 100) {
      throw new IllegalArgumentException(
          "shares are percent: guaranteed 1..100, effective 0..100; were " + guaranteedPercent + ", " + effectivePercent);
    }
    if (chargedNanos < 0 || heldNanos < 0) {
      throw new IllegalArgumentException("charged and held time are >= 0, were " + chargedNanos + ", " + heldNanos);
    }
  }

  /** The container on this GPU across ticks. */
  public Key key() {
    return new Key(claim.podUid(), claim.container(), ordinal);
  }

  /** "team-a/train-0" */
  public String podName() {
    return claim.namespace() + "/" + claim.pod();
  }

  /** A container on one GPU: its pod, its name, and the GPU's ordinal inside it. */
  public record Key(String podUid, String container, int ordinal) {}
}
