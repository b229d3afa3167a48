package dev.tessera.agent.deviceplugin;

import java.util.Objects;

/**
 * A GPU a container will see, resolved against this node's inventory.
 *
 * @param uuid what {@code NVIDIA_VISIBLE_DEVICES} names
 * @param memoryLimitBytes what the native library enforces for a shared GPU
 */
public record VisibleGpu(int index, String uuid, long memoryLimitBytes) {
  public VisibleGpu {
    Objects.requireNonNull(uuid, "uuid");
    if (memoryLimitBytes < 0) {
      throw new IllegalArgumentException("memory limit must be >= 0, was " + memoryLimitBytes);
    }
  }
}
