package dev.tessera.console.metrics;

import java.util.List;
import java.util.Map;

/**
 * The series found, and for each metric that has none, why (so a chart says "no CPU metrics: no
 * Prometheus configured" rather than drawing nothing).
 *
 * @param source where they came from: "prometheus" or "recorder"
 * @param series the lines
 * @param unavailable metric name to the reason it has no series
 */
public record MetricsResult(String source, List<Series> series, Map<String, String> unavailable) {
  public MetricsResult {
    series = List.copyOf(series);
    unavailable = Map.copyOf(unavailable);
  }
}
