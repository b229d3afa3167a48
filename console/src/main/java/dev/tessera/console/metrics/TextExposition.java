package dev.tessera.console.metrics;

import dev.tessera.api.syntax.LabelPairs;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a page in the Prometheus text exposition format (version 0.0.4, what the node agent
 * serves): every line must be blank, a comment ({@code # HELP}, {@code # TYPE}, {@code # EOF}) or
 * a sample {@code name{label="value",...} value [timestamp]}, with label values escaped as the
 * format escapes them and values written as Go writes floats ({@code NaN}, {@code +Inf} included).
 * A line that is none of these makes the whole page unreadable: a page that is partly garbage (an
 * error page, another server on the port) is not a measurement. Pure: no I/O.
 *
 * <p>Not the controller's {@code Exposition}: that one sums one series of a third-party server's
 * page and skips what it cannot read, by design. The shared part, the label pairs, is
 * {@link LabelPairs} in tessera-api, which both use.
 */
final class TextExposition {
  /** A decimal number; Java would also take "Infinity" and hex, which the format does not write. */
  private static final Pattern NUMBER = Pattern.compile("[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?");

  private static final Pattern TIMESTAMP = Pattern.compile("-?[0-9]+");

  /**
   * One sample.
   *
   * @param name its metric's name
   * @param labels its labels, unescaped
   * @param value its value; NaN and infinities as written
   */
  record Sample(String name, Map<String, String> labels, double value) {
    Sample {
      Objects.requireNonNull(name, "name");
      labels = Map.copyOf(labels);
    }
  }

  private TextExposition() {}

  /**
   * The samples of the metrics named in {@code names}, in page order; the page's other lines are
   * read only to check them.
   *
   * @throws IllegalArgumentException naming the first line that is not the format
   */
  static List<Sample> samples(String page, Set<String> names) {
    List<Sample> samples = new ArrayList<>();
    String[] lines = page.split("\n", -1);
    for (int number = 1; number <= lines.length; number++) {
      String text = lines[number - 1].strip();
      if (text.isEmpty() || text.charAt(0) == '#') {
        continue;
      }
      Sample sample = sample(text, number);
      if (names.contains(sample.name())) {
        samples.add(sample);
      }
    }
    return samples;
  }

  private static Sample sample(String text, int number) {
    int nameEnd = 0;
    while (nameEnd < text.length() && isNameChar(text.charAt(nameEnd), nameEnd == 0)) {
      nameEnd++;
    }
    if (nameEnd == 0) {
      throw unreadable(number, "no metric name", text);
    }
    String name = text.substring(0, nameEnd);
    int at = skipBlanks(text, nameEnd);
    Map<String, String> labels = new HashMap<>();
    if (at < text.length() && text.charAt(at) == '{') {
      at = LabelPairs.read(text, at, labels);
      if (at < 0) {
        throw unreadable(number, "its labels cannot be read", text);
      }
    } else if (at == nameEnd) {
      throw unreadable(number, "the name is not followed by labels or a value", text);
    }
    String[] fields = text.substring(at).strip().split("[ \t]+");
    if (fields[0].isEmpty() || fields.length > 2) {
      throw unreadable(number, "expected a value and at most a timestamp after the name", text);
    }
    if (fields.length == 2 && !TIMESTAMP.matcher(fields[1]).matches()) {
      throw unreadable(number, "'" + fields[1] + "' is not a timestamp", text);
    }
    return new Sample(name, labels, value(fields[0], number, text));
  }

  private static double value(String token, int number, String text) {
    switch (token.toLowerCase(Locale.ROOT)) {
      case "nan":
        return Double.NaN;
      case "+inf":
      case "inf":
        return Double.POSITIVE_INFINITY;
      case "-inf":
        return Double.NEGATIVE_INFINITY;
      default:
        if (!NUMBER.matcher(token).matches()) {
          throw unreadable(number, "'" + token + "' is not a number", text);
        }
        return Double.parseDouble(token);
    }
  }

  private static boolean isNameChar(char c, boolean first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
  }

  private static int skipBlanks(String text, int i) {
    while (i < text.length() && (text.charAt(i) == ' ' || text.charAt(i) == '\t')) {
      i++;
    }
    return i;
  }

  private static IllegalArgumentException unreadable(int number, String why, String text) {
    String shown = text.length() > 80 ? text.substring(0, 80) + "..." : text;
    return new IllegalArgumentException("line " + number + " is not the Prometheus text format (" + why + "): "
        + shown);
  }
}
