package dev.tessera.agent.gpu.nvml;

/**
 * A GPU's framebuffer as NVML reports it, in bytes.
 *
 * @param reserved memory the driver keeps for itself; 0 from the old API, whose {@code used}
 *     includes it
 */
record NvmlMemory(long total, long reserved, long free, long used) {}
