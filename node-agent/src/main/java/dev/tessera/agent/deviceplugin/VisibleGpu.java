package dev.tessera.agent.deviceplugin;

import java.util.Objects;

/**
 * A GPU a container will see, resolved against this node's inventory.
 *
 * @param uuid what {@code NVIDIA_VISIBLE_DEVICES} names
 * @param memoryRequestBytes for a shared GPU, the memory the pod was placed by: never reclaimed
 * @param memoryLimitBytes for a shared GPU, what the native library enforces; above the request
 *     for a dynamic fraction, whose excess is on loan
 */
public record VisibleGpu(int index, String uuid, long memoryRequestBytes, long memoryLimitBytes) {
  public VisibleGpu {
    Objects.requireNonNull(uuid, "uuid");
    if (memoryRequestBytes < 0 || memoryLimitBytes < memoryRequestBytes) {
      throw new IllegalArgumentException(
          "need 0 <= request <= limit, were request=" + memoryRequestBytes + " limit=" + memoryLimitBytes);
    }
  }

  /** A GPU whose limit is its request: nothing on loan. */
  public VisibleGpu(int index, String uuid, long memoryLimitBytes) {
    this(index, uuid, memoryLimitBytes, memoryLimitBytes);
  }
}
