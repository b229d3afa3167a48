package dev.tessera.agent.metrics;

import dev.tessera.agent.NodeSnapshot;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;

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
}
