package dev.tessera.agent.deviceplugin;

import dev.tessera.api.assignment.ComputeShares;
import java.util.Objects;

/**
 * A GPU a container will see, resolved against this node's inventory.
 *
 * @param uuid what {@code NVIDIA_VISIBLE_DEVICES} names
 * @param memoryRequestBytes for a shared GPU, the memory the pod was placed by: never reclaimed
 * @param memoryLimitBytes for a shared GPU, what the native library enforces; above the request
 *     for a dynamic fraction, whose excess is on loan
 * @param computeSharePercent the share of the GPU's compute the library holds the container to
 *     while others want the GPU, 1..99; {@value ComputeShares#WHOLE} for no pacing (a whole GPU, a
 *     pod that opted out)
 * @param swapBytes host memory placement counted for the container on the node's GPU memory swap
 *     on this GPU; 0 when it was placed without swap
 */
public record VisibleGpu(
    int index, String uuid, long memoryRequestBytes, long memoryLimitBytes, int computeSharePercent, long swapBytes) {
  public VisibleGpu {
    Objects.requireNonNull(uuid, "uuid");
    if (memoryRequestBytes < 0 || memoryLimitBytes < memoryRequestBytes) {
      throw new IllegalArgumentException(
          "need 0 <= request <= limit, were request=" + memoryRequestBytes + " limit=" + memoryLimitBytes);
    }
    if (computeSharePercent < 1 || computeSharePercent > ComputeShares.WHOLE) {
      throw new IllegalArgumentException("a compute share is 1..100 percent, was " + computeSharePercent);
    }
    if (swapBytes < 0) {
      throw new IllegalArgumentException("swap must be >= 0 bytes, was " + swapBytes);
    }
  }

  /** A GPU shared without pacing or swap. */
  public VisibleGpu(int index, String uuid, long memoryRequestBytes, long memoryLimitBytes) {
    this(index, uuid, memoryRequestBytes, memoryLimitBytes, ComputeShares.WHOLE, 0);
  }

  /** A GPU whose limit is its request: nothing on loan. */
  public VisibleGpu(int index, String uuid, long memoryLimitBytes) {
    this(index, uuid, memoryLimitBytes, memoryLimitBytes);
  }

  /** True when the library paces the container's launches on this GPU. */
  public boolean paced() {
    return computeSharePercent < ComputeShares.WHOLE;
  }
}
