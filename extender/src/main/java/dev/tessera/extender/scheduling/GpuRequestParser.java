package dev.tessera.extender.scheduling;

import static dev.tessera.api.WellKnown.GPU_FRACTION;
import static dev.tessera.api.WellKnown.GPU_FRACTION_LIMIT;
import static dev.tessera.api.WellKnown.GPU_FRACTION_NUM_DEVICES;
import static dev.tessera.api.WellKnown.GPU_MEMORY;
import static dev.tessera.api.WellKnown.GPU_MEMORY_LIMIT;
import static dev.tessera.api.WellKnown.GPU_RESOURCE;

import dev.tessera.api.WellKnown;
import dev.tessera.api.assignment.ComputeShares;
import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.model.GpuNode;
import dev.tessera.extender.model.GpuRequest;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads a pod's GPU request from its {@code nvidia.com/gpu} resources and fraction annotations
 * (with their limits, for dynamic fractions, and a fraction's compute share and swap opt-in). Anything it cannot understand becomes {@link
 * GpuRequest#invalid} with a reason a user can act on; it never throws on user input.
 */
public final class GpuRequestParser {

  private static final long MAX_WHOLE = 1_000_000_000_000L;
  private static final Pattern DIGITS = Pattern.compile("[0-9]+");
  private static final Pattern DECIMAL = Pattern.compile("[0-9]*\\.?[0-9]+");

  private GpuRequestParser() {}

  /**
   * @param gpuQuantities per app container, its {@code nvidia.com/gpu} limit (or request) as
   *     written, or null when absent
   * @param initGpuQuantities the same for init containers, which run one at a time before the
   *     app containers, so the pod needs the larger of their maximum and the app containers' sum
   */
  public static GpuRequest parse(
      Map<String, String> annotations, List<String> gpuQuantities, List<String> initGpuQuantities) {
    GpuRequest request = parseRequest(annotations, gpuQuantities, initGpuQuantities);
    return request.kind() == GpuRequest.Kind.INVALID ? request : withSharing(request, annotations);
  }

  /**
   * The request with what its pod asks of a shared GPU beyond memory: a compute share ({@value
   * WellKnown#COMPUTE_SHARE}) and GPU memory swap ({@value WellKnown#GPU_SWAP}). Both only mean
   * something for a fraction; on any other request they are a mistake to report.
   */
  private static GpuRequest withSharing(GpuRequest request, Map<String, String> annotations) {
    String share = annotations.get(WellKnown.COMPUTE_SHARE);
    String swap = annotations.get(WellKnown.GPU_SWAP);
    if (share == null && swap == null) {
      return request; // the common case
    }
    boolean mayUseSwap = false;
    if (swap != null) {
      String value = swap.trim().toLowerCase(Locale.ROOT);
      if (!value.equals("true") && !value.equals("false")) {
        return GpuRequest.invalid(WellKnown.GPU_SWAP + " must be \"true\" or \"false\", was '" + swap + "'");
      }
      mayUseSwap = value.equals("true");
    }
    ComputeShares.Setting setting = ComputeShares.parse(share);
    if (setting instanceof ComputeShares.Setting.Invalid invalid) {
      return GpuRequest.invalid(invalid.reason());
    }
    if (!request.shared()) {
      boolean whole = request.kind() == GpuRequest.Kind.WHOLE;
      String with = whole
          ? " with " + GPU_RESOURCE + "=" + request.devices() + "; whole GPUs are not shared, so they"
          : " without " + GPU_FRACTION + " or " + GPU_MEMORY + "; only a fraction of a GPU";
      if (share != null) {
        return GpuRequest.invalid(
            WellKnown.COMPUTE_SHARE + " is set" + with + (whole ? " have no compute share to set" : " has a compute share"));
      }
      if (mayUseSwap) {
        return GpuRequest.invalid(
            WellKnown.GPU_SWAP + " is \"true\"" + with + (whole ? " never go" : " goes") + " on GPU memory swap");
      }
      return request;
    }
    int percent = setting instanceof ComputeShares.Setting.Percent p
        ? p.percent()
        : setting instanceof ComputeShares.Setting.None ? ComputeShares.NOT_PACED : GpuShare.UNSET;
    return request.withComputeShare(percent).withSwap(mayUseSwap);
  }

  private static GpuRequest parseRequest(
      Map<String, String> annotations, List<String> gpuQuantities, List<String> initGpuQuantities) {
    long whole;
    try {
      long sum = 0;
      for (String quantity : gpuQuantities) {
        sum += wholeGpus(quantity);
      }
      long maxInit = 0;
      for (String quantity : initGpuQuantities) {
        maxInit = Math.max(maxInit, wholeGpus(quantity));
      }
      whole = Math.max(sum, maxInit);
    } catch (IllegalArgumentException e) {
      return GpuRequest.invalid(e.getMessage());
    }

    String fraction = trimmed(annotations.get(GPU_FRACTION));
    String memory = trimmed(annotations.get(GPU_MEMORY));
    String devices = trimmed(annotations.get(GPU_FRACTION_NUM_DEVICES));
    String fractionLimit = trimmed(annotations.get(GPU_FRACTION_LIMIT));
    String memoryLimit = trimmed(annotations.get(GPU_MEMORY_LIMIT));

    if (fraction != null && memory != null) {
      return GpuRequest.invalid(
          GPU_FRACTION + " and " + GPU_MEMORY + " are both set; use one of them");
    }
    String shared = fraction != null ? GPU_FRACTION + "=" + fraction : memory != null ? GPU_MEMORY + "=" + memory : null;
    if (whole > 0 && shared != null) {
      return GpuRequest.invalid(
          "asks for " + GPU_RESOURCE + "=" + whole + " and " + shared
              + "; ask for whole GPUs or a fraction, not both");
    }
    if (shared == null) {
      if (devices != null) {
        return GpuRequest.invalid(
            GPU_FRACTION_NUM_DEVICES + " is set without " + GPU_FRACTION + " or " + GPU_MEMORY);
      }
      String limit = fractionLimit != null ? GPU_FRACTION_LIMIT : memoryLimit != null ? GPU_MEMORY_LIMIT : null;
      if (limit != null && whole > 0) {
        return GpuRequest.invalid(
            limit + " is set with " + GPU_RESOURCE + "=" + whole
                + "; whole GPUs are not shared, so there is no limit to grow to");
      }
      if (limit != null) {
        String request = limit.equals(GPU_FRACTION_LIMIT) ? GPU_FRACTION : GPU_MEMORY;
        return GpuRequest.invalid(
            limit + " is set without " + request + "; the limit is what the pod may grow to above"
                + " its request, so set " + request + " too");
      }
      if (whole > GpuNode.MAX_GPUS) {
        return GpuRequest.invalid(
            GPU_RESOURCE + "=" + whole + " is more GPUs than any node can have ("
                + GpuNode.MAX_GPUS + ")");
      }
      return whole == 0 ? GpuRequest.NONE : GpuRequest.whole((int) whole);
    }

    int deviceCount = 1;
    if (devices != null) {
      try {
        deviceCount = Integer.parseInt(devices);
      } catch (NumberFormatException e) {
        deviceCount = -1;
      }
      if (deviceCount < 1 || deviceCount > GpuNode.MAX_GPUS) {
        return GpuRequest.invalid(
            GPU_FRACTION_NUM_DEVICES + " must be a whole number from 1 to " + GpuNode.MAX_GPUS
                + ", was '" + devices + "'");
      }
    }

    if (fraction != null && memoryLimit != null) {
      return GpuRequest.invalid(
          GPU_MEMORY_LIMIT + " is set with " + GPU_FRACTION + "; a fraction's limit is "
              + GPU_FRACTION_LIMIT);
    }
    if (memory != null && fractionLimit != null) {
      return GpuRequest.invalid(
          GPU_FRACTION_LIMIT + " is set with " + GPU_MEMORY + "; a memory request's limit is "
              + GPU_MEMORY_LIMIT);
    }

    if (fraction != null) {
      double value = plainDecimal(fraction);
      if (!(value > 0 && value < 1)) {
        return GpuRequest.invalid(
            GPU_FRACTION + " must be a number between 0 and 1 (exclusive), was '" + fraction
                + "'; for whole GPUs use the " + GPU_RESOURCE + " resource");
      }
      GpuRequest request = GpuRequest.fraction(value, deviceCount);
      if (fractionLimit == null) {
        return request;
      }
      double limit = plainDecimal(fractionLimit);
      if (!(limit > 0 && limit <= 1)) {
        return GpuRequest.invalid(
            GPU_FRACTION_LIMIT + " must be a number above 0 and at most 1, was '" + fractionLimit + "'");
      }
      if (limit < value) {
        return GpuRequest.invalid(
            GPU_FRACTION_LIMIT + " " + fractionLimit + " is below " + GPU_FRACTION + " " + fraction
                + "; the limit is the most the pod may use, at least its request");
      }
      return request.withFractionLimit(limit);
    }

    long mib = wholeMiB(memory);
    if (mib < 1 || mib > WellKnown.MAX_GPU_MEMORY_MIB) {
      return GpuRequest.invalid(
          GPU_MEMORY + " must be a whole number of MiB from 1 to " + WellKnown.MAX_GPU_MEMORY_MIB + ", was '"
              + memory + "'");
    }
    GpuRequest request = GpuRequest.memory(mib, deviceCount);
    if (memoryLimit == null) {
      return request;
    }
    long limit = wholeMiB(memoryLimit);
    if (limit < 1 || limit > WellKnown.MAX_GPU_MEMORY_MIB) {
      return GpuRequest.invalid(
          GPU_MEMORY_LIMIT + " must be a whole number of MiB from 1 to " + WellKnown.MAX_GPU_MEMORY_MIB
              + ", was '" + memoryLimit + "'");
    }
    if (limit < mib) {
      return GpuRequest.invalid(
          GPU_MEMORY_LIMIT + " " + limit + " is below " + GPU_MEMORY + " " + mib
              + "; the limit is the most the pod may use, at least its request");
    }
    return request.withMemoryLimit(limit);
  }

  /** The value of a plain decimal ("0.5", ".5", "1"), or NaN for anything else. */
  private static double plainDecimal(String text) {
    // Double.parseDouble alone would also take "1e-1", "0x1p-1", "0.5f" and "NaN".
    return DECIMAL.matcher(text).matches() ? Double.parseDouble(text) : Double.NaN;
  }

  /** A whole number of MiB, or -1 when the text is not one (or too long to be a GPU's). */
  private static long wholeMiB(String text) {
    return DIGITS.matcher(text).matches() && text.length() <= 18 ? Long.parseLong(text) : -1;
  }

  private static long wholeGpus(String quantity) {
    if (quantity == null) {
      return 0;
    }
    String text = quantity.trim();
    if (!DIGITS.matcher(text).matches()) {
      throw new IllegalArgumentException(
          GPU_RESOURCE + " must be a whole number of GPUs, was '" + quantity
              + "'; for part of a GPU use the " + GPU_FRACTION + " annotation");
    }
    // Anything past a node's GPU count is refused with that reason by the caller; the cap only
    // keeps a sum over containers from overflowing.
    return text.length() > 12 ? MAX_WHOLE : Math.min(MAX_WHOLE, Long.parseLong(text));
  }

  private static String trimmed(String value) {
    if (value == null) {
      return null;
    }
    String t = value.trim();
    return t; // an empty value is a mistake to report, not an absent annotation
  }
}
