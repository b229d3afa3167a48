package dev.tessera.api.assignment;

/**
 * What one pod holds of one GPU.
 *
 * @param uuid the GPU's UUID, or null when the node's inventory does not know it yet
 * @param memoryMiB memory held (the whole GPU's memory for an exclusive share): what the ledger
 *     counts, and what the pod is guaranteed
 * @param limitMiB memory the pod may use: above {@code memoryMiB} for a dynamic fraction, which
 *     borrows the difference while the GPU has room; equal to it otherwise, and always for an
 *     exclusive share
 * @param fraction share of the GPU, 1.0 for an exclusive one
 */
public record GpuShare(int index, String uuid, long memoryMiB, long limitMiB, double fraction) {
  public GpuShare {
    if (index < 0) {
      throw new IllegalArgumentException("GPU index must be >= 0, was " + index);
    }
    if (memoryMiB < 0) {
      throw new IllegalArgumentException("memory must be >= 0 MiB, was " + memoryMiB);
    }
    if (limitMiB < memoryMiB) {
      throw new IllegalArgumentException(
          "limit must be at least the memory held (" + memoryMiB + " MiB), was " + limitMiB);
    }
    if (!(fraction > 0 && fraction <= 1)) {
      throw new IllegalArgumentException("fraction must be in (0, 1], was " + fraction);
    }
  }

  /** A share without a loan: the pod may use what it holds and no more. */
  public GpuShare(int index, String uuid, long memoryMiB, double fraction) {
    this(index, uuid, memoryMiB, memoryMiB, fraction);
  }

  /** True when the pod may borrow memory above what it holds (its limit is above it). */
  public boolean borrows() {
    return limitMiB > memoryMiB;
  }
}
