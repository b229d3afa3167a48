package dev.tessera.console.metrics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The metrics of a console in a cluster without a Prometheus to read: every metric is unavailable,
 * and says what would make it available.
 */
public final class NoMetrics implements WorkloadMetrics {
  public static final String SOURCE = "none";
  private static final String WHY = "no Prometheus configured: start the console with --prometheus-url pointing at"
      + " one that scrapes the node agents (GPU series) and the kubelets' cAdvisor (CPU and memory series)";

  @Override
  public MetricsResult query(MetricsRequest request) {
    Map<String, String> unavailable = new LinkedHashMap<>();
    MetricNames.ALL.forEach(name -> unavailable.put(name, WHY));
    return new MetricsResult(SOURCE, List.of(), unavailable);
  }
}
