package dev.tessera.console.metrics;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the body of Prometheus' {@code /api/v1/query_range}: a matrix, Prometheus' own error, or
 * something else (a proxy's page, a truncated body), said as such.
 */
final class QueryRangeResponse {
  /** What the body says. */
  sealed interface Parsed {
    /** The matrix: one entry per series. */
    record Matrix(List<RawSeries> series) implements Parsed {
      public Matrix {
        series = List.copyOf(series);
      }
    }

    /** Prometheus refused or failed the query, in its words. */
    record Failure(String errorType, String error) implements Parsed {}

    /** Not Prometheus' API: why the body cannot be read as it. */
    record Malformed(String reason) implements Parsed {}
  }

  /**
   * A series as Prometheus returned it. Samples that are not finite numbers (Prometheus writes
   * {@code "NaN"}, {@code "+Inf"}, {@code "-Inf"}) are left out: JSON cannot carry them to the UI,
   * and a chart has nothing to draw for them, so they count as steps without a sample.
   */
  record RawSeries(Map<String, String> labels, List<Series.Point> points) {
    RawSeries {
      labels = Map.copyOf(labels);
      points = List.copyOf(points);
    }
  }

  private final ObjectMapper json;

  QueryRangeResponse(ObjectMapper json) {
    this.json = json;
  }

  Parsed parse(byte[] body) {
    JsonNode root;
    try {
      root = json.readTree(body);
    } catch (JacksonException e) {
      return new Parsed.Malformed("not JSON (" + e.getOriginalMessage() + ")");
    } catch (java.io.IOException e) {
      return new Parsed.Malformed("unreadable (" + e.getMessage() + ")");
    }
    if (root == null || !root.isObject()) {
      return new Parsed.Malformed("not a JSON object");
    }
    String status = root.path("status").asText("");
    if (status.equals("error")) {
      return new Parsed.Failure(root.path("errorType").asText(""), root.path("error").asText(""));
    }
    if (!status.equals("success")) {
      return new Parsed.Malformed("its \"status\" is neither \"success\" nor \"error\"");
    }
    JsonNode data = root.path("data");
    String type = data.path("resultType").asText("");
    if (!type.equals("matrix")) {
      return new Parsed.Malformed("its result is a \"" + type + "\", not the \"matrix\" a range query gives");
    }
    JsonNode result = data.path("result");
    if (!result.isArray()) {
      return new Parsed.Malformed("data.result is not an array");
    }
    List<RawSeries> series = new ArrayList<>(result.size());
    for (int i = 0; i < result.size(); i++) {
      String where = "data.result[" + i + "]";
      try {
        series.add(series(result.get(i), where));
      } catch (BadShape e) {
        return new Parsed.Malformed(e.getMessage());
      }
    }
    return new Parsed.Matrix(series);
  }

  private static RawSeries series(JsonNode entry, String where) throws BadShape {
    JsonNode metric = entry.path("metric");
    if (!metric.isObject()) {
      throw new BadShape(where + ".metric is not an object");
    }
    Map<String, String> labels = new HashMap<>();
    for (Map.Entry<String, JsonNode> label : metric.properties()) {
      if (!label.getValue().isTextual()) {
        throw new BadShape(where + ".metric." + label.getKey() + " is not a string");
      }
      labels.put(label.getKey(), label.getValue().asText());
    }
    JsonNode values = entry.path("values");
    if (!values.isArray()) {
      throw new BadShape(where + ".values is not an array");
    }
    List<Series.Point> points = new ArrayList<>(values.size());
    for (int i = 0; i < values.size(); i++) {
      JsonNode pair = values.get(i);
      String at = where + ".values[" + i + "]";
      if (!pair.isArray() || pair.size() != 2 || !pair.get(0).isNumber() || !pair.get(1).isTextual()) {
        throw new BadShape(at + " is not a [time, \"value\"] pair");
      }
      double time = pair.get(0).asDouble();
      if (!Double.isFinite(time)) {
        throw new BadShape(at + " has no usable time");
      }
      double value = value(pair.get(1).asText(), at);
      if (Double.isFinite(value)) {
        points.add(new Series.Point((long) Math.floor(time), value));
      }
    }
    return new RawSeries(labels, points);
  }

  /** A sample's value as Prometheus formats it (Go's strconv), and nothing more lenient. */
  private static double value(String text, String where) throws BadShape {
    return switch (text) {
      case "NaN" -> Double.NaN;
      case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> number(text, where);
    };
  }

  /** Not Double.parseDouble: it also takes "1f", "0x1p3" and padding, which Prometheus never writes. */
  private static double number(String text, String where) throws BadShape {
    try {
      return new BigDecimal(text).doubleValue();
    } catch (NumberFormatException e) {
      throw new BadShape(where + " has the value \"" + text + "\", not a number");
    }
  }

  /** The body is JSON but not shaped as the API's. */
  static final class BadShape extends Exception {
    private static final long serialVersionUID = 1L;

    BadShape(String message) {
      super(message);
    }
  }
}
