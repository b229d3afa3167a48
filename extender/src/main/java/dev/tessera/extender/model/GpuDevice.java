package dev.tessera.extender.model;

import dev.tessera.api.WellKnown;
import java.util.Objects;

/**
 * One physical GPU of a node.
 *
 * @param index position on the node, as NVML and {@code NVIDIA_VISIBLE_DEVICES} number it
 * @param uuid NVML UUID, or null while only node labels describe the GPU (no agent report yet)
 * @param memoryMiB total memory, or 0 when unknown (fractions cannot be placed on it)
 */
public record GpuDevice(int index, String uuid, String model, long memoryMiB) {
  public GpuDevice {
    if (index < 0) {
      throw new IllegalArgumentException("GPU index must be >= 0, was " + index);
    }
    if (memoryMiB < 0 || memoryMiB > WellKnown.MAX_GPU_MEMORY_MIB) {
      throw new IllegalArgumentException(
          "GPU memory must be 0.." + WellKnown.MAX_GPU_MEMORY_MIB + " MiB, was " + memoryMiB);
    }
    Objects.requireNonNull(model, "model");
  }

  public boolean memoryKnown() {
    return memoryMiB > 0;
  }
}
