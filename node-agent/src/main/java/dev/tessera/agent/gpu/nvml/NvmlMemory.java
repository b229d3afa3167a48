package dev.tessera.agent.gpu.nvml;

/**
 * A GPU's framebuffer as NVML reports it, in bytes.
 *
 * @param reserved memory the driver keeps for itself; -1 from the old API, which does not say
 *     (its {@code used} includes it)
 */
record NvmlMemory(long total, long reserved, long free, long used) {
  boolean reservedKnown() {
    return reserved >= 0;
  }
}
