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
    List<GpuProcess> processes) {
  public static final int UNKNOWN = -1;

  public GpuSample {
    Objects.requireNonNull(healthReason, "healthReason");
    processes = List.copyOf(processes);
    if (healthy != healthReason.isEmpty()) {
      throw new IllegalArgumentException("an unhealthy GPU needs a reason, a healthy one none");
    }
  }

  /** A GPU that did not answer: unhealthy with the reason, every figure unknown. */
  public static GpuSample unhealthy(int index, String reason) {
    return new GpuSample(index, false, reason, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, List.of());
  }

  /** A process using the GPU, as NVML lists it. */
  public record GpuProcess(int pid, long usedMemoryBytes) {}
}
