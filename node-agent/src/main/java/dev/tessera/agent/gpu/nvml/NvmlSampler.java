package dev.tessera.agent.gpu.nvml;

import com.sun.jna.Pointer;
import dev.tessera.agent.gpu.GpuSample;
import dev.tessera.agent.gpu.GpuSample.GpuProcess;
import java.util.List;
import java.util.Objects;

/** Takes one GPU's sample: every figure NVML gives, or why the GPU did not answer. */
final class NvmlSampler {
  private static final int UNKNOWN = GpuSample.UNKNOWN;

  private final Nvml nvml;

  NvmlSampler(Nvml nvml) {
    this.nvml = Objects.requireNonNull(nvml, "nvml");
  }

  GpuSample sample(NvmlDevice device) {
    int index = device.info().index();
    if (!device.usable()) {
      return GpuSample.unhealthy(index, device.unusableReason());
    }
    Pointer handle = device.handle();
    try {
      // Memory is what placement decisions rest on: a GPU that cannot report it is unhealthy.
      NvmlMemory memory = nvml.memory(handle);
      int utilization = NvmlFigures.orUnknown(() -> nvml.utilizationPercent(handle), UNKNOWN);
      long power = NvmlFigures.orUnknown(() -> nvml.powerMilliwatts(handle), (long) UNKNOWN);
      int temperature = NvmlFigures.orUnknown(() -> nvml.temperatureCelsius(handle), UNKNOWN);
      int smClock = NvmlFigures.orUnknown(() -> nvml.smClockMhz(handle), UNKNOWN);
      List<GpuProcess> processes =
          NvmlFigures.orUnknown(() -> nvml.computeProcesses(handle), List.of());
      return new GpuSample(
          index,
          true,
          "",
          memory.used(),
          memory.free(),
          utilization,
          power,
          temperature,
          smClock,
          processes);
    } catch (NvmlException e) {
      return GpuSample.unhealthy(index, e.getMessage());
    }
  }
}
