package dev.tessera.agent.gpu.nvml;

import java.util.Objects;

/**
 * An NVML call that did not succeed. The message leads with the driver's own words
 * ({@code nvmlErrorString}) because that is what an operator searches for, then names the
 * function and the code.
 */
public final class NvmlException extends RuntimeException {
  private final String function;
  private final int code;
  private final String errorString;

  NvmlException(String function, int code, String errorString) {
    super(message(function, code, errorString));
    this.function = Objects.requireNonNull(function, "function");
    this.code = code;
    this.errorString = Objects.requireNonNull(errorString, "errorString");
  }

  private static String message(String function, int code, String errorString) {
    NvmlReturn error = NvmlReturn.of(code);
    // A code this enum does not know still shows as a number, not as a misleading UNKNOWN.
    String name =
        error == NvmlReturn.UNKNOWN && code != NvmlReturn.UNKNOWN.code()
            ? "NVML return code " + code
            : error.constantName();
    return errorString + " (" + function + " returned " + name + ")";
  }

  /** The NVML function that failed, e.g. "nvmlDeviceGetUtilizationRates". */
  public String function() {
    return function;
  }

  /** The raw return code; kept apart from {@link #error()} because NVML adds codes over time. */
  public int code() {
    return code;
  }

  public NvmlReturn error() {
    return NvmlReturn.of(code);
  }

  /** What {@code nvmlErrorString} said, e.g. "GPU is lost". */
  public String errorString() {
    return errorString;
  }
}
