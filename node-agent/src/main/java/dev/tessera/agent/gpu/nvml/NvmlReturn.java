package dev.tessera.agent.gpu.nvml;

/**
 * NVML's {@code nvmlReturn_t}. The description is only a fallback: messages prefer the driver's
 * own {@code nvmlErrorString}, which may be more precise than what this enum knows.
 */
public enum NvmlReturn {
  SUCCESS(0, "Success"),
  UNINITIALIZED(1, "Uninitialized"),
  INVALID_ARGUMENT(2, "Invalid Argument"),
  NOT_SUPPORTED(3, "Not Supported"),
  NO_PERMISSION(4, "Insufficient Permissions"),
  ALREADY_INITIALIZED(5, "Already Initialized"),
  NOT_FOUND(6, "Not Found"),
  INSUFFICIENT_SIZE(7, "Insufficient Size"),
  INSUFFICIENT_POWER(8, "Insufficient External Power"),
  DRIVER_NOT_LOADED(9, "Driver Not Loaded"),
  TIMEOUT(10, "Timeout"),
  IRQ_ISSUE(11, "Interrupt request issue"),
  LIBRARY_NOT_FOUND(12, "NVML Shared Library Not Found"),
  FUNCTION_NOT_FOUND(13, "Function Not Found"),
  CORRUPTED_INFOROM(14, "Corrupted infoROM"),
  GPU_IS_LOST(15, "GPU is lost"),
  RESET_REQUIRED(16, "GPU requires restart"),
  OPERATING_SYSTEM(17, "The operating system has blocked the request"),
  LIB_RM_VERSION_MISMATCH(18, "RM has detected an NVML/RM version mismatch"),
  ARGUMENT_VERSION_MISMATCH(25, "Version mismatch in the argument passed"),
  UNKNOWN(999, "Unknown Error");

  private final int code;
  private final String description;

  NvmlReturn(int code, String description) {
    this.code = code;
    this.description = description;
  }

  /** The constant for {@code code}; codes this enum does not name are {@link #UNKNOWN}. */
  public static NvmlReturn of(int code) {
    for (NvmlReturn value : values()) {
      if (value.code == code) {
        return value;
      }
    }
    return UNKNOWN;
  }

  public int code() {
    return code;
  }

  /** NVML's own text for this code, used when {@code nvmlErrorString} cannot be called. */
  public String description() {
    return description;
  }

  /** The name as NVML's header spells it, so that messages can be searched for. */
  public String constantName() {
    return this == SUCCESS ? "NVML_SUCCESS" : "NVML_ERROR_" + name();
  }

  /**
   * True when a GPU answering this can no longer be trusted for anything, so the agent reports it
   * unhealthy rather than one figure unknown: it is gone, needs a reset, or the agent may not
   * talk to it.
   */
  public boolean makesGpuUnhealthy() {
    return switch (this) {
      case GPU_IS_LOST, NO_PERMISSION, RESET_REQUIRED, UNINITIALIZED, DRIVER_NOT_LOADED -> true;
      default -> false;
    };
  }
}
