package dev.tessera.agent.gpu.nvml;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One loaded libnvidia-ml and the symbols the agent calls, each looked up on its own: a driver too
 * old for a versioned entry point still serves the rest, and {@link Nvml} falls back per function.
 * A missing symbol answers {@link NvmlReturn#FUNCTION_NOT_FOUND}, as NVML itself does for
 * functions a GPU generation lacks, so callers handle both the same way.
 */
final class NvmlLibrary {
  /**
   * The driver's runtime name. The unversioned {@code libnvidia-ml.so} only exists where the
   * development package is installed, which a GPU node usually lacks.
   */
  static final String DEFAULT_NAME = "libnvidia-ml.so.1";

  static final String INIT = "nvmlInit_v2";
  static final String SHUTDOWN = "nvmlShutdown";
  static final String ERROR_STRING = "nvmlErrorString";
  static final String DRIVER_VERSION = "nvmlSystemGetDriverVersion";
  static final String NVML_VERSION = "nvmlSystemGetNVMLVersion";
  static final String DEVICE_COUNT = "nvmlDeviceGetCount_v2";
  static final String HANDLE_BY_INDEX = "nvmlDeviceGetHandleByIndex_v2";
  static final String UUID = "nvmlDeviceGetUUID";
  static final String NAME = "nvmlDeviceGetName";
  static final String MEMORY_INFO_V2 = "nvmlDeviceGetMemoryInfo_v2";
  static final String MEMORY_INFO = "nvmlDeviceGetMemoryInfo";
  static final String UTILIZATION = "nvmlDeviceGetUtilizationRates";
  static final String PROCESSES_V3 = "nvmlDeviceGetComputeRunningProcesses_v3";
  static final String PROCESSES_V2 = "nvmlDeviceGetComputeRunningProcesses_v2";
  static final String PROCESSES_V1 = "nvmlDeviceGetComputeRunningProcesses";
  static final String POWER_USAGE = "nvmlDeviceGetPowerUsage";
  static final String TEMPERATURE_V = "nvmlDeviceGetTemperatureV";
  static final String TEMPERATURE = "nvmlDeviceGetTemperature";
  static final String CLOCK_INFO = "nvmlDeviceGetClockInfo";
  static final String MIG_MODE = "nvmlDeviceGetMigMode";
  static final String PCI_INFO = "nvmlDeviceGetPciInfo_v3";
  static final String MINOR_NUMBER = "nvmlDeviceGetMinorNumber";
  static final String ENCODER_UTILIZATION = "nvmlDeviceGetEncoderUtilization";
  static final String DECODER_UTILIZATION = "nvmlDeviceGetDecoderUtilization";
  static final String TOTAL_ENERGY = "nvmlDeviceGetTotalEnergyConsumption";
  static final String PCIE_REPLAY_COUNTER = "nvmlDeviceGetPcieReplayCounter";
  static final String REMAPPED_ROWS = "nvmlDeviceGetRemappedRows";
  static final String FIELD_VALUES = "nvmlDeviceGetFieldValues";
  static final String PCIE_THROUGHPUT = "nvmlDeviceGetPcieThroughput";
  static final String RETIRED_PAGES = "nvmlDeviceGetRetiredPages";
  static final String EVENT_SET_CREATE = "nvmlEventSetCreate";
  static final String REGISTER_EVENTS = "nvmlDeviceRegisterEvents";
  static final String EVENT_SET_WAIT = "nvmlEventSetWait_v2";
  static final String EVENT_SET_FREE = "nvmlEventSetFree";

  private static final List<String> SYMBOLS =
      List.of(
          INIT,
          SHUTDOWN,
          ERROR_STRING,
          DRIVER_VERSION,
          NVML_VERSION,
          DEVICE_COUNT,
          HANDLE_BY_INDEX,
          UUID,
          NAME,
          MEMORY_INFO_V2,
          MEMORY_INFO,
          UTILIZATION,
          PROCESSES_V3,
          PROCESSES_V2,
          PROCESSES_V1,
          POWER_USAGE,
          TEMPERATURE_V,
          TEMPERATURE,
          CLOCK_INFO,
          MIG_MODE,
          PCI_INFO,
          MINOR_NUMBER,
          ENCODER_UTILIZATION,
          DECODER_UTILIZATION,
          TOTAL_ENERGY,
          PCIE_REPLAY_COUNTER,
          REMAPPED_ROWS,
          FIELD_VALUES,
          PCIE_THROUGHPUT,
          RETIRED_PAGES,
          EVENT_SET_CREATE,
          REGISTER_EVENTS,
          EVENT_SET_WAIT,
          EVENT_SET_FREE);

  private final String name;
  private final Map<String, Function> functions;

  private NvmlLibrary(String name, Map<String, Function> functions) {
    this.name = name;
    this.functions = Map.copyOf(functions);
  }

  /**
   * Loads {@code nameOrPath} (a soname the dynamic linker searches for, or an absolute path) and
   * resolves every symbol it has.
   *
   * @throws UnsatisfiedLinkError when the library itself cannot be loaded
   */
  static NvmlLibrary load(String nameOrPath) {
    Objects.requireNonNull(nameOrPath, "nameOrPath");
    // The library stays loaded for the life of the process: NVML counts its own init/shutdown
    // calls, and unloading it under threads it may have started gains nothing.
    NativeLibrary library = NativeLibrary.getInstance(nameOrPath);
    Map<String, Function> found = new HashMap<>();
    for (String symbol : SYMBOLS) {
      try {
        found.put(symbol, library.getFunction(symbol));
      } catch (UnsatisfiedLinkError absent) {
        // An older driver: the callers fall back for this function alone.
      }
    }
    return new NvmlLibrary(nameOrPath, found);
  }

  /** The name or path the library was loaded by. */
  String name() {
    return name;
  }

  boolean has(String symbol) {
    return functions.containsKey(symbol);
  }

  /** Calls {@code symbol} and returns its {@code nvmlReturn_t}. */
  int call(String symbol, Object... args) {
    Function function = functions.get(symbol);
    return function == null ? NvmlReturn.FUNCTION_NOT_FOUND.code() : function.invokeInt(args);
  }

  /** Throws the {@link NvmlException} for a failed call; does nothing on success. */
  void check(String symbol, int code) {
    if (code != NvmlReturn.SUCCESS.code()) {
      throw new NvmlException(symbol, code, errorString(code));
    }
  }

  /** The driver's text for {@code code}, or this binding's own when the driver gives none. */
  String errorString(int code) {
    Function function = functions.get(ERROR_STRING);
    String text = function == null ? null : function.invokeString(new Object[] {code}, false);
    return text == null || text.isBlank() ? NvmlReturn.of(code).description() : text;
  }
}
