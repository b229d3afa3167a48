package dev.tessera.api.syntax;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as Kubernetes objects write them (Go's format, like metav1.Duration): "8h", "90m",
 * "1h30m", "45s". One format only, the one people already use in manifests; no fractions, no
 * days (a day is not always 24 hours), no ISO-8601.
 */
public final class Durations {
  public static final String FORMAT_HINT = "write e.g. 8h, 90m or 1h30m";
  private static final Pattern GO = Pattern.compile("(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?");

  private Durations() {}

  /** The duration, or empty when {@code text} is not one in this format. */
  public static Optional<Duration> parse(String text) {
    if (text == null || text.isEmpty()) {
      return Optional.empty();
    }
    Matcher m = GO.matcher(text);
    if (!m.matches()) {
      return Optional.empty();
    }
    try {
      Duration d = Duration.ofHours(part(m.group(1)))
          .plusMinutes(part(m.group(2)))
          .plusSeconds(part(m.group(3)));
      return Optional.of(d);
    } catch (ArithmeticException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** {@code duration} as {@link #parse} reads it: 5m, 90s as 1m30s, 1h30m; 0s for zero. Whole seconds only. */
  public static String format(Duration duration) {
    long seconds = duration.getSeconds();
    if (seconds <= 0) {
      return "0s";
    }
    StringBuilder text = new StringBuilder();
    if (seconds >= 3600) {
      text.append(seconds / 3600).append('h');
    }
    if (seconds % 3600 >= 60) {
      text.append(seconds % 3600 / 60).append('m');
    }
    if (seconds % 60 > 0) {
      text.append(seconds % 60).append('s');
    }
    return text.toString();
  }

  private static long part(String digits) {
    return digits == null ? 0 : Long.parseLong(digits);
  }
}
