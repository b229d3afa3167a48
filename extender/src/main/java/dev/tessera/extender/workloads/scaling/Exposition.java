package dev.tessera.extender.workloads.scaling;

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
        at = labels(text, at, labels);
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

  /**
   * Reads the label pairs in braces starting at {@code text[open]} (which is '{') into {@code
   * into}: {@code name="value"} separated by commas, a trailing comma allowed, values escaped with
   * {@code \\}, {@code \"} and {@code \n}. Returns the index after the closing brace, or -1 when
   * they are malformed.
   */
  static int labels(String text, int open, Map<String, String> into) {
    int i = skipSpaces(text, open + 1);
    while (i < text.length() && text.charAt(i) != '}') {
      int nameEnd = i;
      while (nameEnd < text.length() && (Character.isLetterOrDigit(text.charAt(nameEnd)) || text.charAt(nameEnd) == '_')) {
        nameEnd++;
      }
      String label = text.substring(i, nameEnd);
      if (!SeriesSelector.LABEL_NAME.matcher(label).matches()) {
        return -1;
      }
      i = skipSpaces(text, nameEnd);
      if (i >= text.length() || text.charAt(i) != '=') {
        return -1;
      }
      i = skipSpaces(text, i + 1);
      if (i >= text.length() || text.charAt(i) != '"') {
        return -1;
      }
      StringBuilder value = new StringBuilder();
      i++;
      boolean closed = false;
      while (i < text.length()) {
        char c = text.charAt(i++);
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && i < text.length()) {
          char escaped = text.charAt(i++);
          value.append(escaped == 'n' ? '\n' : escaped);
        } else {
          value.append(c);
        }
      }
      if (!closed) {
        return -1;
      }
      into.put(label, value.toString());
      i = skipSpaces(text, i);
      if (i < text.length() && text.charAt(i) == ',') {
        i = skipSpaces(text, i + 1);
      } else if (i >= text.length() || text.charAt(i) != '}') {
        return -1;
      }
    }
    return i < text.length() ? i + 1 : -1;
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

  private static int skipSpaces(String text, int i) {
    while (i < text.length() && (text.charAt(i) == ' ' || text.charAt(i) == '\t')) {
      i++;
    }
    return i;
  }
}
