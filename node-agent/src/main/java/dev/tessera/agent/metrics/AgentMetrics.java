package dev.tessera.agent.metrics;

import dev.tessera.agent.NodeSnapshot;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/** Builds the agent's registry and its snapshot gauges. */
public final class AgentMetrics {
  private AgentMetrics() {}

  /** A Prometheus registry that exposes names exactly as written (see {@link ExactNamesConvention}). */
  public static PrometheusMeterRegistry newRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().namingConvention(new ExactNamesConvention());
    return registry;
  }

  /**
   * Registers the DCGM-named GPU gauges and Tessera's per-container gauges over snapshots; feed the
   * result every new snapshot.
   *
   * @param hostname the {@code Hostname} label: the Kubernetes node name, as dcgm-exporter uses
   */
  public static SnapshotGauges register(MeterRegistry registry, String hostname, NodeSnapshot initial) {
    List<GaugeFamily> families = new ArrayList<>(DcgmMetrics.families(hostname));
    families.addAll(ContainerMetrics.families());
    return new SnapshotGauges(registry, initial, families);
  }

  /** Exposed name of {@link #registerReportFreshness}'s gauge. */
  public static final String ACCEPTED_SAMPLE_TIME = "tessera_agent_report_accepted_sample_timestamp_seconds";

  /**
   * When the snapshot in the newest report the extender accepted was taken, in Unix seconds: how
   * current the extender's picture of this node is. Absent until a report is accepted.
   */
  public static void registerReportFreshness(MeterRegistry registry, Supplier<Optional<Instant>> acceptedSampleTime) {
    Gauge.builder(
            ACCEPTED_SAMPLE_TIME,
            acceptedSampleTime,
            s -> s.get().map(t -> t.toEpochMilli() / 1000.0).orElse(Double.NaN))
        .description("when the snapshot of the newest report the extender accepted was taken")
        .strongReference(true) // the supplier is a method reference nothing else holds
        .register(registry);
  }
}
