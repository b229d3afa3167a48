package dev.tessera.agent.gpu.nvml;

import com.sun.jna.Pointer;
import dev.tessera.agent.gpu.GpuSample.GpuProcess;

/**
 * The three generations of {@code nvmlDeviceGetComputeRunningProcesses}, each tied to the stride
 * of the array it fills. Keeping symbol and stride in one constant is what stops a fallback from
 * reading a 24-byte array with a 16-byte step.
 */
enum NvmlProcessVersion {
  /** {@code nvmlProcessInfo_t}: {uint pid; 4 pad; ull usedGpuMemory; uint gi, ci}. */
  V3(NvmlLibrary.PROCESSES_V3, 24),
  /** {@code nvmlProcessInfo_v2_t}: the same 24 bytes as v3, under the older symbol. */
  V2(NvmlLibrary.PROCESSES_V2, 24),
  /** {@code nvmlProcessInfo_v1_t}: {uint pid; 4 pad; ull usedGpuMemory}. */
  V1(NvmlLibrary.PROCESSES_V1, 16);

  private final String symbol;
  private final int stride;

  NvmlProcessVersion(String symbol, int stride) {
    this.symbol = symbol;
    this.stride = stride;
  }

  /** The newest version {@code library} has, or null when it has none. */
  static NvmlProcessVersion newestIn(NvmlLibrary library) {
    for (NvmlProcessVersion version : values()) {
      if (library.has(version.symbol)) {
        return version;
      }
    }
    return null;
  }

  String symbol() {
    return symbol;
  }

  int stride() {
    return stride;
  }

  GpuProcess read(Pointer infos, int i) {
    long offset = (long) i * stride;
    // pid and usedGpuMemory sit at the same offsets in every version; only the stride differs.
    // NVML_VALUE_NOT_AVAILABLE (all ones) reads as -1, which is GpuSample.UNKNOWN.
    return new GpuProcess(infos.getInt(offset), infos.getLong(offset + 8));
  }
}
