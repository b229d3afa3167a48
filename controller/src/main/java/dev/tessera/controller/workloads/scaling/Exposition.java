package dev.tessera.controller.workloads.scaling;

import dev.tessera.api.syntax.LabelPairs;
import dev.tessera.api.syntax.SeriesSelector;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.regex.Pattern;

/**
 * Reads one series off a page in the Prometheus text exposition format (version 0.0.4, which
 * OpenMetrics pages also parse as): only what autoscaling needs, the sum of the samples that match
 * a {@link SeriesSelector}. Comments ({@code # HELP}, {@code # TYPE}, {@code # EOF}) and blank lines
 * are skipped; so are lines that cannot be read and samples that are not finite (NaN, ±Inf), which
 * measure nothing. Pure: no I/O.
 */
public final class Exposition {
  /** A decimal number; Java would also take "Infinity" and hex, which the format does not write. */
  private static final Pattern NUMBER = Pattern.compile("[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?");

  private Exposition() {}

  /**
   * The sum of the finite samples of {@code series} on {@code page}; empty when there is none (the
   * server does not serve the series, or has not yet created it with these labels).
   */
  public static OptionalDouble sum(String page, SeriesSelector series) {
    double sum = 0;
    boolean found = false;
    String name = series.name();
    for (String line : page.split("\n", -1)) {
      String text = line.strip();
      // Cheap first look: most lines of a server's page are other series.
      if (!text.startsWith(name) || text.length() == name.length()) {
        continue;
      }
      char next = text.charAt(name.length());
      if (next != '{' && next != ' ' && next != '\t') {
        continue; // a longer name sharing the prefix: vllm:num_requests_running_total
      }
      Map<String, String> labels = new HashMap<>();
      int at = name.length();
      if (next == '{') {
        at = LabelPairs.read(text, at, labels);
        if (at < 0) {
          continue;
        }
      }
      if (!series.matches(name, labels)) {
        continue;
      }
      OptionalDouble value = value(text.substring(at));
      if (value.isPresent()) {
        sum += value.getAsDouble();
        found = true;
      }
    }
    return found ? OptionalDouble.of(sum) : OptionalDouble.empty();
  }

  /** The sample value at the start of {@code rest} (a timestamp may follow); empty when unreadable or not finite. */
  private static OptionalDouble value(String rest) {
    String[] fields = rest.strip().split("[ \t]+");
    if (fields.length == 0 || fields.length > 2 || fields[0].isEmpty()) {
      return OptionalDouble.empty();
    }
    String token = fields[0];
    if (!NUMBER.matcher(token).matches()) {
      return OptionalDouble.empty(); // NaN, +Inf, -Inf, or not a number at all
    }
    double value = Double.parseDouble(token);
    return Double.isFinite(value) ? OptionalDouble.of(value) : OptionalDouble.empty();
  }
}
