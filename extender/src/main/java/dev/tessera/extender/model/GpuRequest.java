package dev.tessera.extender.model;

import dev.tessera.api.WellKnown;
import dev.tessera.api.assignment.ComputeShares;
import dev.tessera.api.assignment.GpuShare;
import java.util.Objects;

/**
 * A pod's GPU demand, normalised into one value (as KAI-Scheduler does): whole GPUs, a fraction
 * of each of N GPUs, or memory on each of N GPUs. A pod whose annotations or resources cannot be
 * understood is {@link Kind#INVALID} with the reason, so every node can report it.
 *
 * <p>A dynamic fraction also has a limit: the pod is placed by its request (the guaranteed share,
 * all that placement, scores and quotas count) and may use memory up to its limit while the GPU has
 * room; what it uses above its request is on loan, and the node agent takes it back when another
 * tenant needs its own request.
 *
 * @param devices whole GPUs for WHOLE; GPUs that each get the share for FRACTION and MEMORY
 * @param fraction share of one GPU for FRACTION (0 &lt; f &lt; 1), else 0
 * @param memoryMiB memory per GPU for MEMORY, else 0
 * @param fractionLimit for FRACTION, the share the pod may grow to ({@code fraction} &le; limit
 *     &le; 1); 0 when it has none
 * @param memoryLimitMiB for MEMORY, the memory per GPU the pod may grow to ({@code memoryMiB}
 *     &le; limit); 0 when it has none
 * @param computeShare for FRACTION and MEMORY, the percent of each GPU's compute the pod asks to
 *     be guaranteed ({@code tessera.dev/compute-share}); {@link GpuShare#UNSET} for the share of
 *     its fraction, {@link ComputeShares#NOT_PACED} when it runs unpaced
 * @param swap for FRACTION and MEMORY: the pod may be placed on its node's GPU memory swap when a
 *     GPU alone has too little memory left ({@code tessera.dev/gpu-swap: "true"})
 */
public record GpuRequest(
    Kind kind,
    int devices,
    double fraction,
    long memoryMiB,
    double fractionLimit,
    long memoryLimitMiB,
    String invalidReason,
    int computeShare,
    boolean swap) {

  public enum Kind {
    NONE,
    WHOLE,
    FRACTION,
    MEMORY,
    INVALID
  }

  public static final GpuRequest NONE = new GpuRequest(Kind.NONE, 0, 0, 0, 0, 0, null, GpuShare.UNSET, false);

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
    if (fractionLimit != 0) {
      require(kind == Kind.FRACTION, "a fraction limit needs a fraction request, not " + kind);
      require(fractionLimit >= fraction && fractionLimit <= 1, "fraction limit must be in [fraction, 1]");
    }
    if (memoryLimitMiB != 0) {
      require(kind == Kind.MEMORY, "a memory limit needs a memory request, not " + kind);
      require(
          memoryLimitMiB >= memoryMiB && memoryLimitMiB <= WellKnown.MAX_GPU_MEMORY_MIB,
          "memory limit must be in [memory, " + WellKnown.MAX_GPU_MEMORY_MIB + "] MiB");
    }
    if (computeShare != GpuShare.UNSET || swap) {
      require(kind == Kind.FRACTION || kind == Kind.MEMORY, "only fractions have a compute share or swap, not " + kind);
      require(computeShare >= GpuShare.UNSET && computeShare <= ComputeShares.WHOLE, "compute share must be 0..100");
    }
  }

  public static GpuRequest whole(int count) {
    return new GpuRequest(Kind.WHOLE, count, 0, 0, 0, 0, null, GpuShare.UNSET, false);
  }

  public static GpuRequest fraction(double fraction, int devices) {
    return new GpuRequest(Kind.FRACTION, devices, fraction, 0, 0, 0, null, GpuShare.UNSET, false);
  }

  public static GpuRequest memory(long memoryMiB, int devices) {
    return new GpuRequest(Kind.MEMORY, devices, 0, memoryMiB, 0, 0, null, GpuShare.UNSET, false);
  }

  public static GpuRequest invalid(String reason) {
    return new GpuRequest(Kind.INVALID, 0, 0, 0, 0, 0, reason, GpuShare.UNSET, false);
  }

  /**
   * This fraction request, allowed to grow to {@code limit} of each GPU: {@code fraction(0.5,
   * 1).withFractionLimit(0.8)}.
   */
  public GpuRequest withFractionLimit(double limit) {
    return new GpuRequest(kind, devices, fraction, memoryMiB, limit, 0, invalidReason, computeShare, swap);
  }

  /** This memory request, allowed to grow to {@code limitMiB} on each GPU. */
  public GpuRequest withMemoryLimit(long limitMiB) {
    return new GpuRequest(kind, devices, fraction, memoryMiB, 0, limitMiB, invalidReason, computeShare, swap);
  }

  /**
   * This fractional request with the compute share its pod asks for: 1..100 percent, {@link
   * ComputeShares#NOT_PACED}, or {@link GpuShare#UNSET} for the share of its fraction.
   */
  public GpuRequest withComputeShare(int percent) {
    return new GpuRequest(kind, devices, fraction, memoryMiB, fractionLimit, memoryLimitMiB, invalidReason, percent, swap);
  }

  /** This fractional request, which may (or may not) be placed on its node's GPU memory swap. */
  public GpuRequest withSwap(boolean mayUseSwap) {
    return new GpuRequest(
        kind, devices, fraction, memoryMiB, fractionLimit, memoryLimitMiB, invalidReason, computeShare, mayUseSwap);
  }

  /**
   * The share of the compute of a GPU of {@code gpuMemoryMiB} this request is guaranteed, in
   * percent: what it asked for, else the share of its fraction (of memory, for MEMORY), as the node
   * agent would work it out; 0 when it is not paced (whole GPUs, no GPU, opted out).
   */
  public int computeSharePercent(long gpuMemoryMiB) {
    if (kind != Kind.FRACTION && kind != Kind.MEMORY) {
      return 0;
    }
    if (computeShare != GpuShare.UNSET) {
      return computeShare;
    }
    if (kind == Kind.FRACTION) {
      return ComputeShares.ofFraction(fraction);
    }
    // As placement writes a memory request's fraction: its need over the GPU's size.
    return gpuMemoryMiB > 0
        ? ComputeShares.ofFraction(Math.min(1.0, (double) Math.max(1, memoryMiB) / gpuMemoryMiB))
        : ComputeShares.WHOLE;
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

  /** True when the pod may use more than its request: its limit is above it. */
  public boolean borrows() {
    return switch (kind) {
      case FRACTION -> fractionLimit > fraction;
      case MEMORY -> memoryLimitMiB > memoryMiB;
      default -> false;
    };
  }

  /**
   * Memory the pod may use on each GPU of the given size: its limit, floored as {@link
   * #mibPerDevice} floors the request, or the request itself when it has no limit. Never below the
   * request; a memory limit larger than the GPU is cut to the GPU's size (nothing can be borrowed
   * beyond it), unless the size is unknown (0).
   */
  public long limitMiBPerDevice(long gpuMemoryMiB) {
    long limit = switch (kind) {
      case FRACTION -> (long) Math.floor(fractionLimit * gpuMemoryMiB);
      case MEMORY -> gpuMemoryMiB > 0 ? Math.min(memoryLimitMiB, gpuMemoryMiB) : memoryLimitMiB;
      default -> 0;
    };
    // No limit is 0, and a limit never takes less than the request.
    return Math.max(mibPerDevice(gpuMemoryMiB), limit);
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

  /**
   * What the pod asks for, in the words failure reasons use: "0.50 of one GPU", and for a dynamic
   * fraction "0.50 of one GPU (may borrow up to 0.80)".
   */
  public String describe() {
    return switch (kind) {
      case NONE -> "no GPU";
      case WHOLE -> devices == 1 ? "1 whole GPU" : devices + " whole GPUs";
      case FRACTION -> fractionText(fraction) + (devices == 1 ? " of one GPU" : " of each of " + devices + " GPUs")
          + (borrows() ? " (may borrow up to " + fractionText(fractionLimit) + ")" : "") + sharing();
      case MEMORY -> memoryMiB + " MiB" + (devices == 1 ? " of one GPU" : " on each of " + devices + " GPUs")
          + (borrows() ? " (may borrow up to " + memoryLimitMiB + " MiB)" : "") + sharing();
      case INVALID -> "an invalid GPU request";
    };
  }

  /** What the pod asked of compute and swap, when it asked: " with a 30% compute share, on swap if need be". */
  private String sharing() {
    if (computeShare == GpuShare.UNSET && !swap) {
      return "";
    }
    String share = computeShare == GpuShare.UNSET ? ""
        : computeShare == ComputeShares.NOT_PACED ? " unpaced" : " with a " + computeShare + "% compute share";
    return share + (swap ? ", on GPU memory swap if need be" : "");
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
