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
 * @param pciBusId the PCI address as NVML writes it ("00000000:3B:00.0"); empty when unknown
 * @param minorNumber the N of the GPU's /dev/nvidiaN; -1 when unknown
 */
public record GpuInfo(
    int index,
    String uuid,
    String model,
    long memoryTotalBytes,
    boolean migEnabled,
    String pciBusId,
    int minorNumber) {

  /** A GPU whose PCI address and device node are not known. */
  public GpuInfo(int index, String uuid, String model, long memoryTotalBytes, boolean migEnabled) {
    this(index, uuid, model, memoryTotalBytes, migEnabled, "", -1);
  }

  public GpuInfo {
    Objects.requireNonNull(pciBusId, "pciBusId");
    if (index < 0) {
      throw new IllegalArgumentException("GPU index must be >= 0, was " + index);
    }
    Objects.requireNonNull(uuid, "uuid");
    Objects.requireNonNull(model, "model");
    if (memoryTotalBytes < 0) {
      throw new IllegalArgumentException("GPU memory must be >= 0, was " + memoryTotalBytes);
    }
  }

  /** dcgm-exporter's {@code device} label: the device node's name, "nvidia0"; empty when unknown. */
  public String deviceName() {
    return minorNumber < 0 ? "" : "nvidia" + minorNumber;
  }
}
