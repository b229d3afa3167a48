package dev.tessera.api.assignment;

import dev.tessera.api.WellKnown;
import java.util.Locale;
import java.util.Objects;

/**
 * A fractional pod's compute share: the percent of a GPU's time the native library guarantees it
 * while its neighbours want the GPU too. The extender counts it per GPU at placement and writes it
 * in the assignment ({@link GpuShare#computeShare()}); the node agent hands it to the library. Both
 * read the pod's {@value WellKnown#COMPUTE_SHARE} annotation with {@link #parse}, so they agree on
 * what it means.
 */
public final class ComputeShares {
  /** The whole GPU: a share that is never paced (whole-GPU pods, and a share of 100). */
  public static final int WHOLE = 100;
  /** A share written as 0 in an assignment: the pod opted out and is not paced. */
  public static final int NOT_PACED = 0;

  private ComputeShares() {}

  /** What a pod's {@value WellKnown#COMPUTE_SHARE} annotation asks for. */
  public sealed interface Setting {
    /** No annotation: the share follows the pod's fraction. */
    record Default() implements Setting {}

    /** {@value WellKnown#COMPUTE_SHARE_NONE}: not paced, and no share counted. */
    record None() implements Setting {}

    /** A share of 1..100 percent, whatever the pod's memory fraction. */
    record Percent(int percent) implements Setting {
      public Percent {
        if (percent < 1 || percent > WHOLE) {
          throw new IllegalArgumentException("a compute share is 1..100 percent, was " + percent);
        }
      }
    }

    /** Not a value the annotation takes; {@code reason} says what it takes. */
    record Invalid(String reason) implements Setting {
      public Invalid {
        Objects.requireNonNull(reason, "reason");
      }
    }
  }

  /**
   * Reads the annotation's value: null is {@link Setting.Default}; {@code "none"} (any case); a
   * whole number of percent from 1 to 100, with or without a trailing {@code %}. Never throws on
   * user input.
   */
  public static Setting parse(String value) {
    if (value == null) {
      return new Setting.Default();
    }
    String text = value.trim();
    if (text.toLowerCase(Locale.ROOT).equals(WellKnown.COMPUTE_SHARE_NONE)) {
      return new Setting.None();
    }
    String digits = text.endsWith("%") ? text.substring(0, text.length() - 1) : text;
    if (!digits.isEmpty() && digits.length() <= 3 && digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      int percent = Integer.parseInt(digits);
      if (percent >= 1 && percent <= WHOLE) {
        return new Setting.Percent(percent);
      }
    }
    return new Setting.Invalid(
        WellKnown.COMPUTE_SHARE + " must be a whole percent of the GPU's compute from 1 to 100 (\"30\") or \""
            + WellKnown.COMPUTE_SHARE_NONE + "\" to run unpaced, was '" + value + "'");
  }

  /**
   * The share that goes with a fraction of a GPU: whole percent, rounded down so that n pods of
   * 1/n never guarantee more than the GPU has (the same rounding as their memory), and at least 1.
   */
  public static int ofFraction(double fraction) {
    if (!(fraction > 0)) {
      throw new IllegalArgumentException("fraction must be above 0, was " + fraction);
    }
    // The tolerance keeps 0.29 (28.999999999999996 percent in binary) at 29.
    int percent = (int) Math.floor(fraction * WHOLE + 1e-9);
    return Math.max(1, Math.min(WHOLE, percent));
  }

  /** The share a setting gives a pod holding {@code fraction} of a GPU; 0 when it is not paced. */
  public static int of(Setting setting, double fraction) {
    if (setting instanceof Setting.Percent p) {
      return p.percent();
    }
    // An invalid setting is reported where it is read; the pod keeps the share of its fraction.
    return setting instanceof Setting.None ? NOT_PACED : ofFraction(fraction);
  }
}
