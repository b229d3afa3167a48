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

  /**
   * GPU busy and memory-interface busy percent over NVML's last sample period, in that order
   * (NOT_SUPPORTED on a GPU in MIG mode).
   */
  int[] utilization(Pointer device) {
    Memory rates = NvmlStructs.zeroed(NvmlStructs.UTILIZATION_SIZE);
    library.check(NvmlLibrary.UTILIZATION, library.call(NvmlLibrary.UTILIZATION, device, rates));
    return new int[] {rates.getInt(0), rates.getInt(4)};
  }

  /** Video encoder busy percent (the sampling period NVML also gives is not needed). */
  int encoderUtilPercent(Pointer device) {
    return codecUtil(NvmlLibrary.ENCODER_UTILIZATION, device);
  }

  int decoderUtilPercent(Pointer device) {
    return codecUtil(NvmlLibrary.DECODER_UTILIZATION, device);
  }

  private int codecUtil(String symbol, Pointer device) {
    Memory percent = NvmlStructs.zeroed(4);
    Memory periodMicros = NvmlStructs.zeroed(4);
    library.check(symbol, library.call(symbol, device, percent, periodMicros));
    return percent.getInt(0);
  }

  int memoryClockMhz(Pointer device) {
    Memory clock = NvmlStructs.zeroed(4);
    library.check(
        NvmlLibrary.CLOCK_INFO,
        library.call(NvmlLibrary.CLOCK_INFO, device, NvmlStructs.CLOCK_MEM, clock));
    return clock.getInt(0);
  }

  /** Energy since the driver was loaded, mJ (Volta and later). */
  long totalEnergyMillijoules(Pointer device) {
    Memory energy = NvmlStructs.zeroed(8);
    library.check(
        NvmlLibrary.TOTAL_ENERGY, library.call(NvmlLibrary.TOTAL_ENERGY, device, energy));
    return energy.getLong(0);
  }

  long pcieReplays(Pointer device) {
    Memory replays = NvmlStructs.zeroed(4);
    library.check(
        NvmlLibrary.PCIE_REPLAY_COUNTER,
        library.call(NvmlLibrary.PCIE_REPLAY_COUNTER, device, replays));
    return NvmlStructs.unsigned(replays.getInt(0));
  }

  /** PCIe throughput in KB/s over NVML's last 20 ms: {@code counter} 0 is TX, 1 is RX. */
  long pcieThroughputKbPerSecond(Pointer device, int counter) {
    Memory value = NvmlStructs.zeroed(4);
    library.check(
        NvmlLibrary.PCIE_THROUGHPUT,
        library.call(NvmlLibrary.PCIE_THROUGHPUT, device, counter, value));
    return NvmlStructs.unsigned(value.getInt(0));
  }

  /**
   * How many pages were retired for {@code cause} (0: repeated single-bit errors, 1: a double-bit
   * error); before Ampere, whose GPUs remap rows instead. Asked with room for none, so NVML
   * answers with the count alone (INSUFFICIENT_SIZE when there are any).
   */
  long retiredPages(Pointer device, int cause) {
    Memory count = NvmlStructs.zeroed(4);
    int code = library.call(NvmlLibrary.RETIRED_PAGES, device, cause, count, null);
    if (code != NvmlReturn.INSUFFICIENT_SIZE.code()) {
      library.check(NvmlLibrary.RETIRED_PAGES, code);
    }
    return NvmlStructs.unsigned(count.getInt(0));
  }

  /** Row remapping (Ampere and later): correctable, uncorrectable, pending, failed. */
  long[] remappedRows(Pointer device) {
    Memory correctable = NvmlStructs.zeroed(4);
    Memory uncorrectable = NvmlStructs.zeroed(4);
    Memory pending = NvmlStructs.zeroed(4);
    Memory failed = NvmlStructs.zeroed(4);
    library.check(
        NvmlLibrary.REMAPPED_ROWS,
        library.call(
            NvmlLibrary.REMAPPED_ROWS, device, correctable, uncorrectable, pending, failed));
    return new long[] {
      NvmlStructs.unsigned(correctable.getInt(0)),
      NvmlStructs.unsigned(uncorrectable.getInt(0)),
      NvmlStructs.unsigned(pending.getInt(0)),
      NvmlStructs.unsigned(failed.getInt(0))
    };
  }

  /**
   * Field values by NVML field id, each with its scope. A field NVML cannot give has its own
   * return code inside the answer; it comes back as {@link dev.tessera.agent.gpu.GpuSample#UNKNOWN}
   * while the others are still read.
   */
  long[] fieldValues(Pointer device, int[] fieldIds, int[] scopes) {
    int size = NvmlStructs.FIELD_VALUE_SIZE;
    Memory fields = NvmlStructs.zeroed((long) size * fieldIds.length);
    for (int i = 0; i < fieldIds.length; i++) {
      fields.setInt((long) i * size, fieldIds[i]);
      fields.setInt((long) i * size + 4, scopes[i]);
    }
    library.check(
        NvmlLibrary.FIELD_VALUES,
        library.call(NvmlLibrary.FIELD_VALUES, device, fieldIds.length, fields));
    long[] values = new long[fieldIds.length];
    for (int i = 0; i < fieldIds.length; i++) {
      Pointer field = fields.share((long) i * size);
      values[i] =
          field.getInt(NvmlStructs.FIELD_RETURN_OFFSET) == NvmlReturn.SUCCESS.code()
              ? NvmlStructs.readFieldValue(field)
              : dev.tessera.agent.gpu.GpuSample.UNKNOWN;
    }
    return values;
  }

  /** The PCI address NVML gives ("00000000:3B:00.0"), dcgm-exporter's pci_bus_id. */
  String pciBusId(Pointer device) {
    Memory info = NvmlStructs.zeroed(NvmlStructs.PCI_INFO_SIZE);
    library.check(NvmlLibrary.PCI_INFO, library.call(NvmlLibrary.PCI_INFO, device, info));
    byte[] id = info.getByteArray(NvmlStructs.PCI_BUS_ID_OFFSET, NvmlStructs.PCI_BUS_ID_SIZE);
    int end = 0;
    while (end < id.length && id[end] != 0) {
      end++;
    }
    return new String(id, 0, end, StandardCharsets.US_ASCII);
  }

  /** The N of /dev/nvidiaN. */
  int minorNumber(Pointer device) {
    Memory minor = NvmlStructs.zeroed(4);
    library.check(
        NvmlLibrary.MINOR_NUMBER, library.call(NvmlLibrary.MINOR_NUMBER, device, minor));
    return minor.getInt(0);
  }

  /** A new, empty {@code nvmlEventSet_t}. */
  Pointer createEventSet() {
    Memory set = NvmlStructs.zeroed(Native.POINTER_SIZE);
    library.check(
        NvmlLibrary.EVENT_SET_CREATE, library.call(NvmlLibrary.EVENT_SET_CREATE, set));
    return set.getPointer(0);
  }

  /** Asks for {@code device}'s XID events in {@code set}. */
  void registerXidEvents(Pointer device, Pointer set) {
    library.check(
        NvmlLibrary.REGISTER_EVENTS,
        library.call(NvmlLibrary.REGISTER_EVENTS, device, NvmlStructs.EVENT_TYPE_XID, set));
  }

  /**
   * The next event of {@code set}, waiting up to {@code timeoutMillis} (0: not at all); null when
   * none came (NVML answers TIMEOUT).
   */
  NvmlEvent nextEvent(Pointer set, int timeoutMillis) {
    Memory data = NvmlStructs.zeroed(NvmlStructs.EVENT_DATA_SIZE);
    int code = library.call(NvmlLibrary.EVENT_SET_WAIT, set, data, timeoutMillis);
    if (code == NvmlReturn.TIMEOUT.code()) {
      return null;
    }
    library.check(NvmlLibrary.EVENT_SET_WAIT, code);
    return new NvmlEvent(data.getPointer(0), data.getLong(8), data.getLong(16));
  }

  void freeEventSet(Pointer set) {
    library.check(NvmlLibrary.EVENT_SET_FREE, library.call(NvmlLibrary.EVENT_SET_FREE, set));
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
