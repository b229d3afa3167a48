package dev.tessera.extender.telemetry;

import dev.tessera.extender.scheduling.ClusterSnapshot;
import dev.tessera.extender.scheduling.NodeState;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Per GPU node, labels {@code node} and {@code pool}: {@code tessera_node_gpus}, {@code
 * tessera_node_gpus_allocated} (fractions counted by their share), {@code tessera_node_gpus_free}
 * (GPUs with no tenant), {@code tessera_node_gpus_unhealthy} (by its agent), and {@code
 * tessera_node_report_age_seconds} (since its agent's last accepted report; it keeps growing while
 * the agent is silent, and is absent for a node whose agent has not reported since the extender
 * started). Values are read from the latest snapshot when scraped; {@link #update} adds and
 * removes series as nodes come and go, move pool, or start reporting. Nodes without GPUs get no
 * series: at 5,000 GPU nodes this is 25,000 series.
 */
public final class NodeMetrics {
  static final String GPUS = "tessera.node.gpus";
  static final String ALLOCATED = "tessera.node.gpus.allocated";
  static final String FREE = "tessera.node.gpus.free";
  static final String UNHEALTHY = "tessera.node.gpus.unhealthy";
  static final String REPORT_AGE = "tessera.node.report.age";

  /** What a node's series were registered for. */
  private record Key(String node, String pool, boolean reporting) {}

  private final Supplier<ClusterSnapshot> ledger;
  private final Function<String, Instant> lastReport;
  private final Clock clock;
  private final MeterRegistry registry;
  private final GaugeSet<Key> gauges;

  /**
   * @param lastReport when the node's agent last had a report accepted, or null ({@link
   *     AgentReports#lastReportAt}); must not block
   */
  public NodeMetrics(
      MeterRegistry registry, Supplier<ClusterSnapshot> ledger, Function<String, Instant> lastReport, Clock clock) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.ledger = Objects.requireNonNull(ledger, "ledger");
    this.lastReport = Objects.requireNonNull(lastReport, "lastReport");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.gauges = new GaugeSet<>(registry, this::register);
  }

  /** Brings the series in line with the snapshot's GPU nodes. Cheap when nothing changed. */
  public void update() {
    Set<Key> present = new HashSet<>();
    ledger.get().forEach(node -> {
      if (node.gpuCount() > 0) {
        present.add(new Key(node.name(), node.node().pool(), lastReport.apply(node.name()) != null));
      }
    });
    gauges.retain(present);
  }

  private List<Meter> register(Key key) {
    List<Meter> meters = new ArrayList<>(5);
    meters.add(gauge(GPUS, "GPUs on the node", key, n -> n.gpuCount()));
    meters.add(gauge(ALLOCATED, "GPUs the node's pods hold, fractions counted by their share", key, NodeState::load));
    meters.add(gauge(FREE, "GPUs of the node with no tenant", key, NodeState::freeWholeGpus));
    meters.add(gauge(UNHEALTHY, "GPUs of the node its agent reports unhealthy", key, NodeState::unhealthyGpus));
    if (key.reporting()) {
      meters.add(Gauge.builder(REPORT_AGE, this, m -> m.reportAgeSeconds(key.node()))
          .description("Seconds since the node agent's last accepted report; grows while the agent is silent")
          .baseUnit("seconds")
          .tag("node", key.node())
          .tag("pool", key.pool())
          .strongReference(true)
          .register(registry));
    }
    return meters;
  }

  private Meter gauge(String name, String description, Key key, ToDoubleFunction<NodeState> value) {
    return Gauge.builder(name, this, m -> {
          NodeState node = m.ledger.get().node(key.node());
          return node == null ? Double.NaN : value.applyAsDouble(node);
        })
        .description(description)
        .tag("node", key.node())
        .tag("pool", key.pool())
        .strongReference(true)
        .register(registry);
  }

  private double reportAgeSeconds(String node) {
    Instant at = lastReport.apply(node);
    return at == null ? Double.NaN : Duration.between(at, clock.instant()).toMillis() / 1000.0;
  }
}
