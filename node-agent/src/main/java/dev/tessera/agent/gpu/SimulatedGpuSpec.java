package dev.tessera.agent.gpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A group of identical simulated GPUs, written {@code COUNTxMODEL:MiB} on the command line:
 * {@code 8xNVIDIA-A100-SXM4-80GB:81920} is eight 80 GiB A100s. Several groups are separated by
 * commas. The model is kept as written; dashes stand in for the spaces NVML names have, so the
 * spec needs no quoting.
 */
public record SimulatedGpuSpec(int count, String model, long memoryMiB) {
  /** More GPUs than any node has, low enough that a typo does not allocate a million. */
  public static final int MAX_COUNT = 256;

  /** 16 TiB: far beyond any GPU, and small enough that bytes never overflow a long. */
  public static final long MAX_MEMORY_MIB = 16L * 1024 * 1024;

  static final String FORMAT = "expected COUNTxMODEL:MiB, e.g. 8xNVIDIA-A100-SXM4-80GB:81920";

  public SimulatedGpuSpec {
    Objects.requireNonNull(model, "model");
    requireCount(count);
    if (model.isBlank()) {
      throw new IllegalArgumentException("GPU model must not be blank");
    }
    if (memoryMiB < 1 || memoryMiB > MAX_MEMORY_MIB) {
      throw new IllegalArgumentException(
          "GPU memory must be between 1 and " + MAX_MEMORY_MIB + " MiB, was " + memoryMiB);
    }
  }

  /** One group: {@code 8xNVIDIA-A100-SXM4-80GB:81920}. */
  public static SimulatedGpuSpec parse(String spec) {
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException("empty GPU spec; " + FORMAT);
    }
    String text = spec.strip();
    int times = indexOfTimes(text);
    if (times < 0) {
      throw new IllegalArgumentException(
          "GPU spec '" + text + "' has no 'x' between count and model; " + FORMAT);
    }
    int colon = text.lastIndexOf(':');
    if (colon < times) {
      throw new IllegalArgumentException(
          "GPU spec '" + text + "' has no ':MiB' after the model; " + FORMAT);
    }
    long count = number(text.substring(0, times), "GPU count", text);
    String model = text.substring(times + 1, colon).strip();
    if (model.isEmpty()) {
      throw new IllegalArgumentException("GPU spec '" + text + "' has no model; " + FORMAT);
    }
    long memoryMiB = number(text.substring(colon + 1), "GPU memory in MiB", text);
    try {
      requireCount(count);
      return new SimulatedGpuSpec((int) count, model, memoryMiB);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("GPU spec '" + text + "': " + e.getMessage(), e);
    }
  }

  /** Comma-separated groups: {@code 4xNVIDIA-A100-SXM4-80GB:81920,2xNVIDIA-L4:23034}. */
  public static List<SimulatedGpuSpec> parseList(String specs) {
    if (specs == null || specs.isBlank()) {
      throw new IllegalArgumentException("empty GPU spec; " + FORMAT);
    }
    List<SimulatedGpuSpec> groups = new ArrayList<>();
    for (String group : specs.split(",", -1)) {
      groups.add(parse(group));
    }
    return List.copyOf(groups);
  }

  public long memoryBytes() {
    return memoryMiB * 1024 * 1024;
  }

  /** The spec as {@link #parse} reads it. */
  @Override
  public String toString() {
    return count + "x" + model + ":" + memoryMiB;
  }

  /** The 'x' after the leading digits; a model may contain x's of its own. */
  private static int indexOfTimes(String text) {
    int i = 0;
    while (i < text.length() && Character.isDigit(text.charAt(i))) {
      i++;
    }
    // Searching on past a non-digit lets "eightxA100" fail on its count, not on a missing 'x'.
    int lower = text.indexOf('x', i);
    int upper = text.indexOf('X', i);
    return lower < 0 || (upper >= 0 && upper < lower) ? upper : lower;
  }

  /** A long rather than an int, so that a count too large for an int still says so. */
  private static void requireCount(long count) {
    if (count < 1 || count > MAX_COUNT) {
      throw new IllegalArgumentException(
          "GPU count must be between 1 and " + MAX_COUNT + ", was " + count);
    }
  }

  private static long number(String digits, String what, String spec) {
    String text = digits.strip();
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          what + " '" + text + "' in GPU spec '" + spec + "' is not a whole number; " + FORMAT);
    }
  }
}
