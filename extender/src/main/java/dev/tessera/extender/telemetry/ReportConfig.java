package dev.tessera.extender.telemetry;

import java.time.Duration;
import java.util.Objects;

/**
 * How the extender listens to node agents.
 *
 * @param port gRPC port for {@code tessera.agent.v1.NodeReports}; 0 picks a free one
 * @param interval how often agents are asked to report
 * @param staleAfter after this long without a report, a node's agent data is dropped and its
 *     labels describe it again; must leave room for a few missed reports
 */
public record ReportConfig(int port, Duration interval, Duration staleAfter) {
  public static final int DEFAULT_PORT = 8889;
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
  public static final Duration DEFAULT_STALE_AFTER = Duration.ofSeconds(30);

  public ReportConfig {
    Objects.requireNonNull(interval, "interval");
    Objects.requireNonNull(staleAfter, "staleAfter");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("report port must be 0..65535, was " + port);
    }
    if (interval.compareTo(Duration.ofMillis(100)) < 0) {
      throw new IllegalArgumentException("report interval must be at least 100ms, was " + interval);
    }
    if (staleAfter.compareTo(interval.multipliedBy(2)) < 0) {
      throw new IllegalArgumentException(
          "reports must go stale only after at least two intervals (" + interval.multipliedBy(2)
              + "), was " + staleAfter);
    }
  }

  public static ReportConfig defaults() {
    return new ReportConfig(DEFAULT_PORT, DEFAULT_INTERVAL, DEFAULT_STALE_AFTER);
  }

  public ReportConfig withPort(int newPort) {
    return new ReportConfig(newPort, interval, staleAfter);
  }
}
