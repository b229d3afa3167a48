package dev.tessera.extender.telemetry;

import dev.tessera.extender.scheduling.ClusterSnapshot;
import dev.tessera.extender.scheduling.NodeState;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Per GPU, in bytes, the ledger's memory beside the agent's: {@code
 * tessera_gpu_memory_requested_bytes} (the requests the ledger holds, the whole GPU when held
 * whole), {@code tessera_gpu_memory_limit_bytes} (their limits summed: above the requests when
 * dynamic fractions may borrow) and, from the latest fresh report, {@code
 * tessera_gpu_memory_borrowed_bytes} (what containers use above their requests). Labels {@code
 * node} and {@code gpu} (the index). Their compute beside it, in percent: {@code
 * tessera_gpu_compute_share_guaranteed_percent} (the paced tenants' own shares, the ledger's count
 * or the agent's, whichever is larger: what placement refuses a paced pod by) and, from the latest
 * fresh report of an agent that paces, {@code tessera_gpu_compute_share_lent_percent} and {@code
 * tessera_gpu_compute_share_idle_percent} (what its node-level scheduler lent to busy tenants, and
 * what it could lend). Values are read from the latest snapshot and report when scraped; {@link
 * #update} adds and removes gauges as shared tenants and agents come and go.
 *
 * <p>Only GPUs that shared tenants are on get series: requests, limits and loans only differ
 * there, and three series for each of 40,000 GPUs (most of them whole or idle) would cost the
 * extender tens of MiB of meters and every scrape megabytes of text.
 */
public final class GpuMemoryMetrics {
  static final String REQUESTED = "tessera.gpu.memory.requested.bytes";
  static final String LIMIT = "tessera.gpu.memory.limit.bytes";
  static final String BORROWED = "tessera.gpu.memory.borrowed.bytes";
  static final String COMPUTE_GUARANTEED = "tessera.gpu.compute.share.guaranteed.percent";
  static final String COMPUTE_LENT = "tessera.gpu.compute.share.lent.percent";
  static final String COMPUTE_IDLE = "tessera.gpu.compute.share.idle.percent";
  private static final double MIB = 1024.0 * 1024;

  /** The gauges of one node, and what they were registered for: its shared GPUs, and whether its agent reports. */
  private record NodeGauges(BitSet shared, boolean reporting, List<Meter> meters) {}

  private final MeterRegistry registry;
  private final Supplier<ClusterSnapshot> ledger;
  private final AgentReports reports;
  /** By node name. Only the updating thread touches it. */
  private final Map<String, NodeGauges> registered = new HashMap<>();

  public GpuMemoryMetrics(MeterRegistry registry, Supplier<ClusterSnapshot> ledger, AgentReports reports) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.ledger = Objects.requireNonNull(ledger, "ledger");
    this.reports = Objects.requireNonNull(reports, "reports");
  }

  /**
   * Brings the set of gauges in line with the nodes' shared GPUs and the reporting agents. Cheap
   * when nothing changed: a few bits per node.
   */
  public void update() {
    Set<String> present = new HashSet<>();
    ledger.get().forEach(node -> {
      BitSet shared = new BitSet(node.gpuCount());
      for (int i = 0; i < node.gpuCount(); i++) {
        if (node.sharedTenants(i) > 0) {
          shared.set(i);
        }
      }
      if (shared.isEmpty()) {
        return;
      }
      present.add(node.name());
      boolean reporting = reports.reportedGpus(node.name()) > 0;
      NodeGauges known = registered.get(node.name());
      if (known != null && known.shared().equals(shared) && known.reporting() == reporting) {
        return;
      }
      if (known != null) {
        known.meters().forEach(registry::remove);
      }
      registered.put(node.name(), register(node.name(), shared, reporting));
    });
    registered.entrySet().removeIf(entry -> {
      if (present.contains(entry.getKey())) {
        return false;
      }
      entry.getValue().meters().forEach(registry::remove);
      return true;
    });
  }

  private NodeGauges register(String node, BitSet shared, boolean reporting) {
    List<Meter> meters = new ArrayList<>(6 * shared.cardinality());
    for (int gpu = shared.nextSetBit(0); gpu >= 0; gpu = shared.nextSetBit(gpu + 1)) {
      int index = gpu;
      meters.add(gauge(REQUESTED, "GPU memory the ledger holds for shared tenants' requests", node, index,
          m -> m.ledgerBytes(node, index, false)));
      meters.add(gauge(LIMIT, "GPU memory shared tenants may use at most: their limits summed, above the"
          + " requests when dynamic fractions may borrow", node, index, m -> m.ledgerBytes(node, index, true)));
      meters.add(gauge(COMPUTE_GUARANTEED, "Compute share of the GPU guaranteed to paced tenants, percent: the"
          + " ledger's count or the node agent's, the larger", node, index, m -> m.guaranteedPercent(node, index)));
      if (reporting) {
        meters.add(gauge(BORROWED, "GPU memory containers use above their requests, on loan, by the node"
            + " agent's latest report", node, index, m -> m.reports.borrowedBytes(node, index)));
        meters.add(gauge(COMPUTE_LENT, "Compute share of the GPU the node agent lent to busy tenants above their"
            + " own, percent, by its latest report", node, index, m -> m.reports.computeLentPercent(node, index)));
        meters.add(gauge(COMPUTE_IDLE, "Compute share of the GPU the node agent could lend now (nobody's, or"
            + " unused by its owner), percent, by its latest report", node, index,
            m -> m.reports.computeIdlePercent(node, index)));
      }
    }
    return new NodeGauges(shared, reporting, meters);
  }

  private Meter gauge(
      String name, String description, String node, int gpu, ToDoubleFunction<GpuMemoryMetrics> value) {
    // Read through this object rather than a Supplier<Number>: a scrape then boxes nothing.
    return Gauge.builder(name, this, value)
        .description(description)
        .tag("node", node)
        .tag("gpu", Integer.toString(gpu))
        .strongReference(true)
        .register(registry);
  }

  /** The compute shares guaranteed on the GPU now, percent; NaN if the node or GPU is gone. */
  private double guaranteedPercent(String node, int gpu) {
    NodeState state = ledger.get().node(node);
    return state == null || gpu >= state.gpuCount() ? Double.NaN : state.computeGuaranteed(gpu);
  }

  /** The ledger's requests or limits on the GPU now, in bytes; NaN if the node or GPU is gone. */
  private double ledgerBytes(String node, int gpu, boolean limits) {
    NodeState state = ledger.get().node(node);
    if (state == null || gpu >= state.gpuCount()) {
      return Double.NaN;
    }
    return (limits ? state.limitMiB(gpu) : state.usedMiB(gpu)) * MIB;
  }
}
