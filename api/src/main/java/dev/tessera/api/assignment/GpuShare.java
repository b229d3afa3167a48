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
 * @param computeShare the percent of the GPU's compute guaranteed to the pod, as placement counted
 *     it (1..100; {@link ComputeShares#NOT_PACED} when it opted out of pacing); {@link #UNSET} in
 *     assignments written before compute shares were counted, which then follow {@code fraction}
 * @param swapMiB of {@code memoryMiB}, what placement counted on the node's GPU memory swap (host
 *     memory) because the GPU itself had no room for it; 0 for a pod placed without swap
 */
public record GpuShare(
    int index, String uuid, long memoryMiB, long limitMiB, double fraction, int computeShare, long swapMiB) {
  /** {@link #computeShare} of an assignment that does not say. */
  public static final int UNSET = -1;

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
    if (computeShare < UNSET || computeShare > ComputeShares.WHOLE) {
      throw new IllegalArgumentException("compute share must be 0..100 percent (or unset), was " + computeShare);
    }
    if (swapMiB < 0 || swapMiB > memoryMiB) {
      throw new IllegalArgumentException(
          "memory on swap must be 0.." + memoryMiB + " MiB (the memory held), was " + swapMiB);
    }
  }

  /** A share as assignments were before compute shares and swap: the share follows the fraction. */
  public GpuShare(int index, String uuid, long memoryMiB, long limitMiB, double fraction) {
    this(index, uuid, memoryMiB, limitMiB, fraction, UNSET, 0);
  }

  /** A share without a loan: the pod may use what it holds and no more. */
  public GpuShare(int index, String uuid, long memoryMiB, double fraction) {
    this(index, uuid, memoryMiB, memoryMiB, fraction);
  }

  /** True when the pod may borrow memory above what it holds (its limit is above it). */
  public boolean borrows() {
    return limitMiB > memoryMiB;
  }

  /**
   * The compute share the pod holds on this GPU in percent: {@link #computeShare} where the
   * assignment says, else the share of its fraction ({@link ComputeShares#WHOLE} for a whole GPU).
   */
  public int computeSharePercent() {
    return computeShare != UNSET ? computeShare : ComputeShares.ofFraction(fraction);
  }

  /** The same share with the compute share placement counted. */
  public GpuShare withComputeShare(int percent) {
    return new GpuShare(index, uuid, memoryMiB, limitMiB, fraction, percent, swapMiB);
  }

  /** The same share, {@code mib} of it counted on the node's swap. */
  public GpuShare withSwapMiB(long mib) {
    return new GpuShare(index, uuid, memoryMiB, limitMiB, fraction, computeShare, mib);
  }
}
