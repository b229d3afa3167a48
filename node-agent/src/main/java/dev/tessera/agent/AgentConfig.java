package dev.tessera.agent;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What the running agent needs beyond its GPU backend.
 *
 * @param nodeName the Kubernetes node name: sent in reports, the {@code Hostname} label
 * @param extender where to stream reports; empty: no reports (metrics only)
 * @param metricsPort {@code /metrics} and {@code /healthz}; 0 picks a free one
 * @param samplePeriod how often the GPUs are sampled
 * @param reportInterval how often to report until the extender asks for another interval
 * @param swapHostBytes host memory this node lends to GPU memory swap, reported to the extender,
 *     which may then place pods that opt in beyond a GPU's memory by that much; 0: no swap
 */
public record AgentConfig(
    String nodeName,
    Optional<HostPort> extender,
    int metricsPort,
    Duration samplePeriod,
    Duration reportInterval,
    long swapHostBytes) {
  public static final int DEFAULT_METRICS_PORT = 9400; // dcgm-exporter's
  public static final Duration DEFAULT_SAMPLE_PERIOD = Duration.ofSeconds(1);
  static final Duration MIN_SAMPLE_PERIOD = Duration.ofMillis(50);

  public AgentConfig {
    Objects.requireNonNull(nodeName, "nodeName");
    Objects.requireNonNull(extender, "extender");
    Objects.requireNonNull(samplePeriod, "samplePeriod");
    Objects.requireNonNull(reportInterval, "reportInterval");
    if (nodeName.isBlank()) {
      throw new IllegalArgumentException("node name is empty: pass --node-name or set NODE_NAME");
    }
    if (metricsPort < 0 || metricsPort > 65535) {
      throw new IllegalArgumentException("metrics port must be 0..65535, was " + metricsPort);
    }
    if (samplePeriod.compareTo(MIN_SAMPLE_PERIOD) < 0) {
      throw new IllegalArgumentException(
          "sample period must be at least " + MIN_SAMPLE_PERIOD.toMillis() + "ms (NVML updates utilization"
              + " every 1/6 s to 1 s anyway), was " + samplePeriod);
    }
    if (reportInterval.isNegative() || reportInterval.isZero()) {
      throw new IllegalArgumentException("report interval must be positive, was " + reportInterval);
    }
    if (swapHostBytes < 0) {
      throw new IllegalArgumentException("host memory for swap must be >= 0 bytes, was " + swapHostBytes);
    }
  }

  /** A node that lends no host memory to GPU swap. */
  public AgentConfig(
      String nodeName, Optional<HostPort> extender, int metricsPort, Duration samplePeriod, Duration reportInterval) {
    this(nodeName, extender, metricsPort, samplePeriod, reportInterval, 0);
  }
}
