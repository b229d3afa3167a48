package dev.tessera.agent.gpu.nvml;

import com.sun.jna.Pointer;
import dev.tessera.agent.gpu.GpuFigures;
import dev.tessera.agent.gpu.GpuSample;
import dev.tessera.agent.gpu.GpuSample.GpuProcess;
import dev.tessera.agent.gpu.XidErrors;
import java.util.List;
import java.util.Objects;

/** Takes one GPU's sample: every figure NVML gives, or why the GPU did not answer. */
final class NvmlSampler {
  private static final int UNKNOWN = GpuSample.UNKNOWN;
  private static final int[] FIELDS = {
    NvmlStructs.FI_MEMORY_TEMP, NvmlStructs.FI_NVLINK_DATA_TX, NvmlStructs.FI_NVLINK_DATA_RX
  };
  private static final int[] SCOPES = {0, NvmlStructs.SCOPE_ALL_LINKS, NvmlStructs.SCOPE_ALL_LINKS};
  private static final long[] NO_FIELDS = {UNKNOWN, UNKNOWN, UNKNOWN};
  private static final long[] NO_ROWS = {UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN};
  private static final int[] NO_UTILIZATION = {UNKNOWN, UNKNOWN};

  private final Nvml nvml;

  NvmlSampler(Nvml nvml) {
    this.nvml = Objects.requireNonNull(nvml, "nvml");
  }

  GpuSample sample(NvmlDevice device) {
    return sample(device, XidErrors.NOT_OBSERVED, 0);
  }

  /**
   * @param xids the GPU's XIDs so far, carried on the sample whatever its health
   * @param criticalXid a critical XID that makes an answering GPU unhealthy; 0 for none
   */
  GpuSample sample(NvmlDevice device, XidErrors xids, int criticalXid) {
    int index = device.info().index();
    if (!device.usable()) {
      return GpuSample.unhealthy(index, device.unusableReason(), xids);
    }
    Pointer handle = device.handle();
    try {
      // Memory is what placement decisions rest on: a GPU that cannot report it is unhealthy.
      NvmlMemory memory = nvml.memory(handle);
      int[] utilization = NvmlFigures.orUnknown(() -> nvml.utilization(handle), NO_UTILIZATION);
      long power = NvmlFigures.orUnknown(() -> nvml.powerMilliwatts(handle), (long) UNKNOWN);
      int temperature = NvmlFigures.orUnknown(() -> nvml.temperatureCelsius(handle), UNKNOWN);
      int smClock = NvmlFigures.orUnknown(() -> nvml.smClockMhz(handle), UNKNOWN);
      List<GpuProcess> processes =
          NvmlFigures.orUnknown(() -> nvml.computeProcesses(handle), List.of());
      GpuSample sample =
          new GpuSample(
              index,
              true,
              "",
              memory.used(),
              memory.free(),
              utilization[0],
              power,
              temperature,
              smClock,
              processes,
              figures(handle, memory, utilization[1]),
              xids);
      return criticalXid == 0 ? sample : sample.unhealthyFor(XidErrors.reason(criticalXid));
    } catch (NvmlException e) {
      return GpuSample.unhealthy(index, e.getMessage(), xids);
    }
  }

  /** The further figures; each on its own, so one the board lacks leaves the others. */
  private GpuFigures figures(Pointer handle, NvmlMemory memory, int memoryCopyUtil) {
    long[] fields = NvmlFigures.orUnknown(() -> nvml.fieldValues(handle, FIELDS, SCOPES), NO_FIELDS);
    long[] rows = NvmlFigures.orUnknown(() -> nvml.remappedRows(handle), NO_ROWS);
    long nvlink = fields[1] == UNKNOWN || fields[2] == UNKNOWN ? UNKNOWN : fields[1] + fields[2];
    return new GpuFigures(
        // The old memory query has no reserved figure: unknown, not 0.
        memory.reservedKnown() ? memory.reserved() : UNKNOWN,
        NvmlFigures.orUnknown(() -> nvml.memoryClockMhz(handle), UNKNOWN),
        (int) fields[0],
        NvmlFigures.orUnknown(() -> nvml.totalEnergyMillijoules(handle), (long) UNKNOWN),
        NvmlFigures.orUnknown(() -> nvml.pcieReplays(handle), (long) UNKNOWN),
        memoryCopyUtil,
        NvmlFigures.orUnknown(() -> nvml.encoderUtilPercent(handle), UNKNOWN),
        NvmlFigures.orUnknown(() -> nvml.decoderUtilPercent(handle), UNKNOWN),
        nvlink,
        rows[0],
        rows[1],
        rows[3] == UNKNOWN ? UNKNOWN : (rows[3] != 0 ? 1 : 0),
        NvmlFigures.orUnknown(() -> nvml.pcieThroughputKbPerSecond(handle, 0), (long) UNKNOWN),
        NvmlFigures.orUnknown(() -> nvml.pcieThroughputKbPerSecond(handle, 1), (long) UNKNOWN),
        NvmlFigures.orUnknown(() -> nvml.retiredPages(handle, 0), (long) UNKNOWN),
        NvmlFigures.orUnknown(() -> nvml.retiredPages(handle, 1), (long) UNKNOWN));
  }
}
