package dev.tessera.extender.model;

/**
 * What one pod holds of one GPU.
 *
 * @param uuid the GPU's UUID, or null when the node's inventory does not know it yet
 * @param memoryMiB memory held (the whole GPU's memory for an exclusive share)
 * @param fraction share of the GPU, 1.0 for an exclusive one
 */
public record GpuShare(int index, String uuid, long memoryMiB, double fraction) {
  public GpuShare {
    if (index < 0) {
      throw new IllegalArgumentException("GPU index must be >= 0, was " + index);
    }
    if (memoryMiB < 0) {
      throw new IllegalArgumentException("memory must be >= 0 MiB, was " + memoryMiB);
    }
    if (!(fraction > 0 && fraction <= 1)) {
      throw new IllegalArgumentException("fraction must be in (0, 1], was " + fraction);
    }
  }
}
