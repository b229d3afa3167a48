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
   * Registers Tessera's per-container gauges over snapshots; feed the result every new snapshot.
   * The DCGM-named GPU series are written by {@link DcgmMetrics} beside the registry's (see there
   * why); {@link #scrape} joins the two.
   *
   * @param hostname the {@code Hostname} label: the Kubernetes node name, as dcgm-exporter uses
   */
  public static SnapshotGauges register(MeterRegistry registry, String hostname, NodeSnapshot initial) {
    List<GaugeFamily> families = new ArrayList<>(ContainerMetrics.families());
    return new SnapshotGauges(registry, initial, families);
  }

  /** What {@code /metrics} answers: the DCGM series of {@code snapshot}, then the registry's. */
  public static String scrape(PrometheusMeterRegistry registry, DcgmMetrics dcgm, NodeSnapshot snapshot) {
    return dcgm.render(snapshot) + registry.scrape();
  }

  /** Exposed name of {@link #registerReportFreshness}'s gauge. */
  public static final String ACCEPTED_SAMPLE_TIME = "tessera_agent_report_accepted_sample_timestamp_seconds";

  /**
   * When the snapshot in the newest report the extender accepted was taken, in Unix seconds: how
   * current the extender's picture of this node is.
   *
   * <p>Until a report is accepted it is {@code startedAt}, as if the agent had been accepted the
   * moment it started: its age, {@code time() - tessera_agent_report_accepted_sample_timestamp_seconds},
   * then grows from the start, so an age alert fires for an agent whose reports are always
   * rejected. NaN (the gauge's value before) would never compare greater than a threshold, and
   * {@code absent()} would not fire either, the series being there.
   */
  public static void registerReportFreshness(
      MeterRegistry registry, Supplier<Optional<Instant>> acceptedSampleTime, Instant startedAt) {
    double start = startedAt.toEpochMilli() / 1000.0;
    Gauge.builder(
            ACCEPTED_SAMPLE_TIME,
            acceptedSampleTime,
            s -> s.get().map(t -> t.toEpochMilli() / 1000.0).orElse(start))
        .description(
            "when the snapshot of the newest report the extender accepted was taken; the agent's"
                + " start until one is")
        .strongReference(true) // the supplier is a method reference nothing else holds
        .register(registry);
  }
}
