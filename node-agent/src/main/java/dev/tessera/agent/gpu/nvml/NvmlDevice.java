package dev.tessera.agent.gpu.nvml;

import com.sun.jna.Pointer;
import dev.tessera.agent.gpu.GpuInfo;
import java.util.Objects;

/**
 * One GPU as the backend holds it: its inventory entry and the NVML handle to sample it by, or,
 * for a GPU NVML would not open, why not.
 *
 * @param handle the {@code nvmlDevice_t}; null when the GPU could not be opened
 * @param unusableReason why the GPU could not be opened; empty when it could
 */
record NvmlDevice(GpuInfo info, Pointer handle, String unusableReason) {
  NvmlDevice {
    Objects.requireNonNull(info, "info");
    Objects.requireNonNull(unusableReason, "unusableReason");
    if ((handle == null) == unusableReason.isEmpty()) {
      throw new IllegalArgumentException("a GPU has either a handle or a reason it has none");
    }
  }

  static NvmlDevice usable(GpuInfo info, Pointer handle) {
    return new NvmlDevice(info, Objects.requireNonNull(handle, "handle"), "");
  }

  /**
   * A GPU that is there but would not answer (no permission, lost). It stays in the inventory,
   * with an empty UUID and model, so that its samples can say it is unhealthy and why.
   */
  static NvmlDevice unusable(int index, String reason) {
    return new NvmlDevice(new GpuInfo(index, "", "", 0, false), null, reason);
  }

  boolean usable() {
    return handle != null;
  }
}
