package dev.tessera.agent.gpu;

import java.util.List;
import java.util.Objects;

/**
 * One GPU's state at one moment. Figures NVML could not give (not supported on this GPU or in MIG
 * mode) are {@link #UNKNOWN}.
 *
 * @param healthReason why the GPU is unhealthy ("GPU is lost", "no permission"); empty if healthy
 * @param utilizationPercent 0..100 over NVML's last sample period, or UNKNOWN
 * @param powerMilliwatts current draw, or UNKNOWN
 * @param temperatureCelsius core temperature, or UNKNOWN
 * @param smClockMhz current SM clock, or UNKNOWN
 * @param processes compute processes on the GPU with their memory
 * @param figures the further figures dcgm-exporter exports by default
 * @param xids the XID errors since the agent started; kept on an unhealthy sample too, because a
 *     counter must not vanish when the GPU it counts for fails
 */
public record GpuSample(
    int index,
    boolean healthy,
    String healthReason,
    long memoryUsedBytes,
    long memoryFreeBytes,
    int utilizationPercent,
    long powerMilliwatts,
    int temperatureCelsius,
    int smClockMhz,
    List<GpuProcess> processes,
    GpuFigures figures,
    XidErrors xids) {
  public static final int UNKNOWN = -1;

  public GpuSample {
    Objects.requireNonNull(healthReason, "healthReason");
    Objects.requireNonNull(figures, "figures");
    Objects.requireNonNull(xids, "xids");
    processes = List.copyOf(processes);
    if (healthy != healthReason.isEmpty()) {
      throw new IllegalArgumentException("an unhealthy GPU needs a reason, a healthy one none");
    }
  }

  /** The figures placement rests on, without the further ones or XIDs (a backend that has none). */
  public GpuSample(
      int index,
      boolean healthy,
      String healthReason,
      long memoryUsedBytes,
      long memoryFreeBytes,
      int utilizationPercent,
      long powerMilliwatts,
      int temperatureCelsius,
      int smClockMhz,
      List<GpuProcess> processes) {
    this(
        index, healthy, healthReason, memoryUsedBytes, memoryFreeBytes, utilizationPercent,
        powerMilliwatts, temperatureCelsius, smClockMhz, processes, GpuFigures.NONE,
        XidErrors.NOT_OBSERVED);
  }

  /** A GPU that did not answer: unhealthy with the reason, every figure unknown. */
  public static GpuSample unhealthy(int index, String reason) {
    return unhealthy(index, reason, XidErrors.NOT_OBSERVED);
  }

  /** A GPU that did not answer, with the XIDs counted for it so far. */
  public static GpuSample unhealthy(int index, String reason, XidErrors xids) {
    return new GpuSample(
        index, false, reason, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, List.of(),
        GpuFigures.NONE, xids);
  }

  /** The same figures, unhealthy for {@code reason} (a critical XID on a GPU that still answers). */
  public GpuSample unhealthyFor(String reason) {
    return new GpuSample(
        index, false, reason, memoryUsedBytes, memoryFreeBytes, utilizationPercent, powerMilliwatts,
        temperatureCelsius, smClockMhz, processes, figures, xids);
  }

  /** A process using the GPU, as NVML lists it. */
  public record GpuProcess(int pid, long usedMemoryBytes) {}
}
