package dev.tessera.api.syntax;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Which samples of a Prometheus text page to read: a metric name and, optionally, label values
 * they must have, written as PromQL writes an instant selector with {@code =} matchers only: {@code
 * vllm:num_requests_running} or {@code http_requests_total{code="200",handler="/v1/completions"}}.
 * Regular expressions and negative matchers are left out: one name and a few fixed labels pick the
 * series of every inference server we know.
 *
 * @param name the metric name
 * @param labels label values a sample must have; others it has do not matter
 */
public record SeriesSelector(String name, Map<String, String> labels) {
  static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  public SeriesSelector {
    Objects.requireNonNull(name, "name");
    labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels)); // in the order written, for messages
  }

  /**
   * The selector {@code text} writes.
   *
   * @throws IllegalArgumentException saying what is wrong with it
   */
  public static SeriesSelector parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("it is empty");
    }
    String trimmed = text.strip();
    int brace = trimmed.indexOf('{');
    String name = brace < 0 ? trimmed : trimmed.substring(0, brace).strip();
    if (!METRIC_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("'" + name + "' is not a metric name (letters, digits, '_' and ':', not"
          + " starting with a digit)");
    }
    Map<String, String> labels = new LinkedHashMap<>();
    if (brace >= 0) {
      int end = LabelPairs.read(trimmed, brace, labels);
      if (end < 0) {
        throw new IllegalArgumentException("the label matchers are not label=\"value\" pairs in braces");
      }
      if (end != trimmed.length()) {
        throw new IllegalArgumentException("'" + trimmed.substring(end) + "' follows the closing brace");
      }
    }
    return new SeriesSelector(name, labels);
  }

  /** Whether a sample of this name and these labels is one of the series. */
  public boolean matches(String sampleName, Map<String, String> sampleLabels) {
    if (!name.equals(sampleName)) {
      return false;
    }
    for (Map.Entry<String, String> wanted : labels.entrySet()) {
      if (!wanted.getValue().equals(sampleLabels.get(wanted.getKey()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    if (labels.isEmpty()) {
      return name;
    }
    StringBuilder text = new StringBuilder(name).append('{');
    labels.forEach((label, value) -> text.append(label).append("=\"")
        .append(value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")).append("\","));
    text.setLength(text.length() - 1);
    return text.append('}').toString();
  }
}
