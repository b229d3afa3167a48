package dev.tessera.agent.gpu.nvml;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.tessera.agent.gpu.GpuSample.GpuProcess;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The NVML calls the agent makes, with Java types in and out. Every method either returns the
 * value or throws {@link NvmlException} with NVML's code; deciding what a failure means for a GPU
 * is the caller's job. Holds no state besides the library, so it is as thread-safe as NVML.
 */
final class Nvml {
  /**
   * How often the process list may outgrow the buffer before giving up. Each round trip sizes the
   * buffer to NVML's latest count, so only a node starting processes faster than we can ask
   * exhausts it.
   */
  static final int PROCESS_LIST_ATTEMPTS = 8;

  private final NvmlLibrary library;

  Nvml(NvmlLibrary library) {
    this.library = Objects.requireNonNull(library, "library");
  }

  NvmlLibrary library() {
    return library;
  }

  void init() {
    library.check(NvmlLibrary.INIT, library.call(NvmlLibrary.INIT));
  }

  void shutdown() {
    library.check(NvmlLibrary.SHUTDOWN, library.call(NvmlLibrary.SHUTDOWN));
  }

  String errorString(int code) {
    return library.errorString(code);
  }

  String driverVersion() {
    return string(NvmlLibrary.DRIVER_VERSION, null);
  }

  String nvmlVersion() {
    return string(NvmlLibrary.NVML_VERSION, null);
  }

  int deviceCount() {
    Memory count = NvmlStructs.zeroed(4);
    library.check(NvmlLibrary.DEVICE_COUNT, library.call(NvmlLibrary.DEVICE_COUNT, count));
    return count.getInt(0);
  }

  /** The opaque {@code nvmlDevice_t} of the GPU at {@code index}; valid until shutdown. */
  Pointer handle(int index) {
    Memory handle = NvmlStructs.zeroed(Native.POINTER_SIZE);
    library.check(
        NvmlLibrary.HANDLE_BY_INDEX, library.call(NvmlLibrary.HANDLE_BY_INDEX, index, handle));
    return handle.getPointer(0);
  }

  String uuid(Pointer device) {
    return string(NvmlLibrary.UUID, device);
  }

  String name(Pointer device) {
    return string(NvmlLibrary.NAME, device);
  }

  /**
   * The v2 query where the driver has it, because only v2 separates the driver's reserved memory
   * from what processes use; the old one where the symbol is missing or the driver does not
   * accept v2's version (some drivers export the symbol but answer ARGUMENT_VERSION_MISMATCH).
   */
  NvmlMemory memory(Pointer device) {
    if (library.has(NvmlLibrary.MEMORY_INFO_V2)) {
      Memory v2 = NvmlStructs.newMemoryV2();
      int code = library.call(NvmlLibrary.MEMORY_INFO_V2, device, v2);
      if (code == NvmlReturn.SUCCESS.code()) {
        return NvmlStructs.readMemoryV2(v2);
      }
      if (code != NvmlReturn.ARGUMENT_VERSION_MISMATCH.code()) {
        library.check(NvmlLibrary.MEMORY_INFO_V2, code);
      }
    }
    Memory v1 = NvmlStructs.zeroed(NvmlStructs.MEMORY_V1_SIZE);
    library.check(NvmlLibrary.MEMORY_INFO, library.call(NvmlLibrary.MEMORY_INFO, device, v1));
    return NvmlStructs.readMemoryV1(v1);
  }

  /** GPU busy percent over NVML's last sample period (NOT_SUPPORTED on a GPU in MIG mode). */
  int utilizationPercent(Pointer device) {
    Memory rates = NvmlStructs.zeroed(NvmlStructs.UTILIZATION_SIZE);
    library.check(NvmlLibrary.UTILIZATION, library.call(NvmlLibrary.UTILIZATION, device, rates));
    return rates.getInt(0);
  }

  long powerMilliwatts(Pointer device) {
    Memory power = NvmlStructs.zeroed(4);
    library.check(NvmlLibrary.POWER_USAGE, library.call(NvmlLibrary.POWER_USAGE, device, power));
    return NvmlStructs.unsigned(power.getInt(0));
  }

  /** The core temperature: the versioned query where present (the old one is deprecated). */
  int temperatureCelsius(Pointer device) {
    if (library.has(NvmlLibrary.TEMPERATURE_V)) {
      Memory temperature = NvmlStructs.newTemperatureV1();
      int code = library.call(NvmlLibrary.TEMPERATURE_V, device, temperature);
      if (code == NvmlReturn.SUCCESS.code()) {
        return NvmlStructs.readTemperatureV1(temperature);
      }
      if (code != NvmlReturn.ARGUMENT_VERSION_MISMATCH.code()) {
        library.check(NvmlLibrary.TEMPERATURE_V, code);
      }
    }
    Memory temperature = NvmlStructs.zeroed(4);
    library.check(
        NvmlLibrary.TEMPERATURE,
        library.call(
            NvmlLibrary.TEMPERATURE, device, NvmlStructs.TEMPERATURE_SENSOR_GPU, temperature));
    return temperature.getInt(0);
  }

  int smClockMhz(Pointer device) {
    Memory clock = NvmlStructs.zeroed(4);
    library.check(
        NvmlLibrary.CLOCK_INFO,
        library.call(NvmlLibrary.CLOCK_INFO, device, NvmlStructs.CLOCK_SM, clock));
    return clock.getInt(0);
  }

  /** The current MIG mode; GPUs without MIG answer NOT_SUPPORTED, which callers read as off. */
  boolean migEnabled(Pointer device) {
    Memory current = NvmlStructs.zeroed(4);
    Memory pending = NvmlStructs.zeroed(4);
    library.check(
        NvmlLibrary.MIG_MODE, library.call(NvmlLibrary.MIG_MODE, device, current, pending));
    return current.getInt(0) == NvmlStructs.MIG_ENABLED;
  }

  /**
   * The compute processes on the GPU. NVML wants a buffer as large as the list, and the list can
   * grow between the call that sizes it and the call that fills it, so this asks again with the
   * new count for as long as NVML answers INSUFFICIENT_SIZE (within {@link
   * #PROCESS_LIST_ATTEMPTS}).
   */
  List<GpuProcess> computeProcesses(Pointer device) {
    NvmlProcessVersion version = NvmlProcessVersion.newestIn(library);
    if (version == null) {
      int code = NvmlReturn.FUNCTION_NOT_FOUND.code();
      throw new NvmlException(NvmlLibrary.PROCESSES_V1, code, errorString(code));
    }
    int capacity = 0;
    for (int attempt = 0; attempt < PROCESS_LIST_ATTEMPTS; attempt++) {
      Memory count = NvmlStructs.zeroed(4);
      count.setInt(0, capacity);
      Memory infos = capacity == 0 ? null : NvmlStructs.zeroed((long) capacity * version.stride());
      int code = library.call(version.symbol(), device, count, infos);
      int listed = count.getInt(0);
      if (code == NvmlReturn.SUCCESS.code()) {
        List<GpuProcess> processes = new ArrayList<>(listed);
        for (int i = 0; i < Math.min(listed, capacity); i++) {
          processes.add(version.read(infos, i));
        }
        return List.copyOf(processes);
      }
      if (code != NvmlReturn.INSUFFICIENT_SIZE.code()) {
        library.check(version.symbol(), code);
      }
      // Never ask with the same size twice, even if NVML's count did not move.
      capacity = Math.max(listed, capacity + 1);
    }
    throw new NvmlException(
        version.symbol(),
        NvmlReturn.INSUFFICIENT_SIZE.code(),
        errorString(NvmlReturn.INSUFFICIENT_SIZE.code())
            + ": the process list kept growing over "
            + PROCESS_LIST_ATTEMPTS
            + " attempts");
  }

  /** A NUL-terminated string from a function taking (device?, char *buffer, uint length). */
  private String string(String symbol, Pointer device) {
    Memory buffer = NvmlStructs.zeroed(NvmlStructs.STRING_BUFFER_SIZE);
    int code =
        device == null
            ? library.call(symbol, buffer, NvmlStructs.STRING_BUFFER_SIZE)
            : library.call(symbol, device, buffer, NvmlStructs.STRING_BUFFER_SIZE);
    library.check(symbol, code);
    return buffer.getString(0, StandardCharsets.UTF_8.name());
  }
}
