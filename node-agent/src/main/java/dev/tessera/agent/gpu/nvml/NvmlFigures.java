package dev.tessera.agent.gpu.nvml;

import java.util.function.Supplier;

/**
 * What an NVML failure means for one figure: a GPU that cannot tell its power draw is still a
 * good GPU, so most failures only make that figure unknown; a lost GPU, or one the agent may not
 * talk to, fails the whole GPU ({@link NvmlReturn#makesGpuUnhealthy()}).
 */
final class NvmlFigures {
  private NvmlFigures() {}

  /**
   * The value {@code read} returns, or {@code unknown} when NVML cannot give it.
   *
   * @throws NvmlException when the failure makes the whole GPU unhealthy
   */
  static <T> T orUnknown(Supplier<T> read, T unknown) {
    try {
      return read.get();
    } catch (NvmlException e) {
      if (e.error().makesGpuUnhealthy()) {
        throw e;
      }
      return unknown;
    }
  }
}
