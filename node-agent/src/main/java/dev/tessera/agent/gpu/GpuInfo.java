package dev.tessera.agent.gpu;

import java.util.Objects;

/**
 * What does not change while a GPU is present.
 *
 * @param index NVML index on the node
 * @param uuid NVML UUID ("GPU-…"), the stable identity the extender's assignment names; empty
 *     for a GPU that is present but NVML would not open (no permission, lost), whose samples are
 *     unhealthy and say why
 * @param model product name as NVML reports it ("NVIDIA H100 80GB HBM3")
 * @param memoryTotalBytes framebuffer size
 * @param migEnabled MIG mode is on (utilization is then not available per GPU)
 */
public record GpuInfo(int index, String uuid, String model, long memoryTotalBytes, boolean migEnabled) {
  public GpuInfo {
    if (index < 0) {
      throw new IllegalArgumentException("GPU index must be >= 0, was " + index);
    }
    Objects.requireNonNull(uuid, "uuid");
    Objects.requireNonNull(model, "model");
    if (memoryTotalBytes < 0) {
      throw new IllegalArgumentException("GPU memory must be >= 0, was " + memoryTotalBytes);
    }
  }
}
