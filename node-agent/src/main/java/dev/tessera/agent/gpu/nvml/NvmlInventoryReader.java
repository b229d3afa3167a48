package dev.tessera.agent.gpu.nvml;

import com.sun.jna.Pointer;
import dev.tessera.agent.gpu.GpuInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Opens every GPU NVML counts and reads what does not change about it. */
final class NvmlInventoryReader {
  private final Nvml nvml;

  NvmlInventoryReader(Nvml nvml) {
    this.nvml = Objects.requireNonNull(nvml, "nvml");
  }

  /**
   * Every GPU, ordered by index. One GPU that cannot be opened is listed as unusable with the
   * reason; it never hides the others.
   *
   * @throws NvmlException when NVML cannot even count the GPUs
   */
  List<NvmlDevice> read() {
    int count = nvml.deviceCount();
    List<NvmlDevice> devices = new ArrayList<>(count);
    for (int index = 0; index < count; index++) {
      devices.add(read(index));
    }
    return List.copyOf(devices);
  }

  private NvmlDevice read(int index) {
    try {
      Pointer handle = nvml.handle(index);
      String uuid = nvml.uuid(handle);
      String model = NvmlFigures.orUnknown(() -> nvml.name(handle), "");
      // Without its size the GPU is of no use to the scheduler, so this failing is fatal to it.
      long memoryTotal = nvml.memory(handle).total();
      boolean mig = NvmlFigures.orUnknown(() -> nvml.migEnabled(handle), false);
      // Labels only: a GPU that will not say where it sits is still a good GPU.
      String bus = NvmlFigures.orUnknown(() -> nvml.pciBusId(handle), "");
      int minor = NvmlFigures.orUnknown(() -> nvml.minorNumber(handle), -1);
      return NvmlDevice.usable(
          new GpuInfo(index, uuid, model, memoryTotal, mig, bus, minor), handle);
    } catch (NvmlException e) {
      return NvmlDevice.unusable(index, e.getMessage());
    }
  }
}
