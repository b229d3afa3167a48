package dev.tessera.extender.model;

import java.util.Objects;

/**
 * A pod's GPU demand, normalised into one value (as KAI-Scheduler does): whole GPUs, a fraction
 * of each of N GPUs, or memory on each of N GPUs. A pod whose annotations or resources cannot be
 * understood is {@link Kind#INVALID} with the reason, so every node can report it.
 *
 * @param devices whole GPUs for WHOLE; GPUs that each get the share for FRACTION and MEMORY
 * @param fraction share of one GPU for FRACTION (0 &lt; f &lt; 1), else 0
 * @param memoryMiB memory per GPU for MEMORY, else 0
 */
public record GpuRequest(Kind kind, int devices, double fraction, long memoryMiB, String invalidReason) {

  public enum Kind {
    NONE,
    WHOLE,
    FRACTION,
    MEMORY,
    INVALID
  }

  public static final GpuRequest NONE = new GpuRequest(Kind.NONE, 0, 0, 0, null);

  public GpuRequest {
    Objects.requireNonNull(kind, "kind");
    switch (kind) {
      case NONE -> {}
      case WHOLE -> require(devices >= 1, "whole-GPU count must be >= 1");
      case FRACTION -> {
        require(devices >= 1, "device count must be >= 1");
        require(fraction > 0 && fraction < 1, "fraction must be in (0, 1)");
      }
      case MEMORY -> {
        require(devices >= 1, "device count must be >= 1");
        require(memoryMiB >= 1, "memory must be >= 1 MiB");
      }
      case INVALID -> Objects.requireNonNull(invalidReason, "invalidReason");
    }
  }

  public static GpuRequest whole(int count) {
    return new GpuRequest(Kind.WHOLE, count, 0, 0, null);
  }

  public static GpuRequest fraction(double fraction, int devices) {
    return new GpuRequest(Kind.FRACTION, devices, fraction, 0, null);
  }

  public static GpuRequest memory(long memoryMiB, int devices) {
    return new GpuRequest(Kind.MEMORY, devices, 0, memoryMiB, null);
  }

  public static GpuRequest invalid(String reason) {
    return new GpuRequest(Kind.INVALID, 0, 0, 0, reason);
  }

  public boolean wantsGpu() {
    return kind != Kind.NONE;
  }

  /** True for FRACTION and MEMORY: the pod shares GPUs with other tenants. */
  public boolean shared() {
    return kind == Kind.FRACTION || kind == Kind.MEMORY;
  }

  /**
   * Memory this request takes on each GPU of the given size. A fraction rounds down, so that n
   * pods of 1/n always fit one GPU together.
   */
  public long mibPerDevice(long gpuMemoryMiB) {
    return switch (kind) {
      case FRACTION -> (long) Math.floor(fraction * gpuMemoryMiB);
      case MEMORY -> memoryMiB;
      case WHOLE -> gpuMemoryMiB;
      default -> 0;
    };
  }

  /**
   * GPUs this request counts as against quotas: whole GPUs, or the share of each device. A memory
   * request counts as its share of a GPU of {@code gpuMemoryMiB}, or a whole GPU per device when
   * that size is unknown (0): quota errs on the side of counting too much rather than too little.
   */
  public double gpus(long gpuMemoryMiB) {
    return switch (kind) {
      case WHOLE -> devices;
      case FRACTION -> fraction * devices;
      case MEMORY -> gpuMemoryMiB > 0 ? Math.min(1.0, (double) memoryMiB / gpuMemoryMiB) * devices : devices;
      default -> 0;
    };
  }

  /** What the pod asks for, in the words failure reasons use: "0.50 of one GPU". */
  public String describe() {
    return switch (kind) {
      case NONE -> "no GPU";
      case WHOLE -> devices == 1 ? "1 whole GPU" : devices + " whole GPUs";
      case FRACTION -> fractionText(fraction) + (devices == 1 ? " of one GPU" : " of each of " + devices + " GPUs");
      case MEMORY -> memoryMiB + " MiB" + (devices == 1 ? " of one GPU" : " on each of " + devices + " GPUs");
      case INVALID -> "an invalid GPU request";
    };
  }

  /** A fraction with two decimals, "0.25". Failure reasons print thousands of these per call. */
  public static String fractionText(double fraction) {
    return hundredthsText(Math.round(fraction * 100));
  }

  /** Hundredths as a decimal with two places: 25 is "0.25", 100 is "1.00". */
  public static String hundredthsText(long hundredths) {
    long magnitude = Math.abs(hundredths);
    long rest = magnitude % 100;
    return (hundredths < 0 ? "-" : "") + magnitude / 100 + (rest < 10 ? ".0" : ".") + rest;
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
