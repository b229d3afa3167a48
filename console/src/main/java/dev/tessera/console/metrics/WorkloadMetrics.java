package dev.tessera.console.metrics;

/** Where a workload's metrics are read from. Safe for concurrent use. */
public interface WorkloadMetrics {

  /**
   * @throws MetricsUnavailableException when the source cannot answer now (the API answers 503)
   */
  MetricsResult query(MetricsRequest request);
}
