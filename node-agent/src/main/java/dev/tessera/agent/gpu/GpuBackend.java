package dev.tessera.agent.gpu;

import java.util.List;

/**
 * Where the agent learns about the node's GPUs: NVML on a real node, a simulation in tests, CI
 * and the demo. Implementations are thread-safe; {@link #sample} may be called from any thread.
 */
public interface GpuBackend extends AutoCloseable {

  /** One line for logs and {@code --help}: "NVML 12.550.54.15, driver 550.54.15" or "simulated". */
  String description();

  /**
   * The NVIDIA driver's version ("550.54.15"), dcgm-exporter's {@code DCGM_FI_DRIVER_VERSION}
   * label; empty where there is no driver to ask.
   */
  default String driverVersion() {
    return "";
  }

  /** The GPUs present, ordered by index; read once at start and when a GPU is lost or found. */
  List<GpuInfo> inventory();

  /**
   * The current state of every GPU of {@link #inventory()}, ordered by index. A GPU that refuses
   * to answer is reported {@link GpuSample#healthy() unhealthy} with the reason; one GPU failing
   * never fails the whole sample.
   */
  List<GpuSample> sample();

  @Override
  void close();
}
