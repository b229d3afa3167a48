package dev.tessera.extender.telemetry;

import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.scheduling.ClusterSnapshot;
import dev.tessera.extender.scheduling.NodeState;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.ToDoubleFunction;

/** Gauges over the extender's cache, computed from the latest snapshot when scraped. */
public final class CacheMetrics {
  private CacheMetrics() {}

  public static void register(ClusterCache cache, MeterRegistry registry) {
    gauge(registry, cache, "tessera.cache.nodes", "Nodes in the extender's cache", ClusterSnapshot::size);
    gauge(registry, cache, "tessera.cache.ready", "1 once the informers have synced", s -> cache.synced() ? 1 : 0);
    gauge(registry, cache, "tessera.gpus", "GPUs on all nodes", s -> sum(s, n -> n.gpuCount()));
    gauge(registry, cache, "tessera.gpus.free", "GPUs with no tenant", s -> sum(s, NodeState::freeWholeGpus));
    gauge(registry, cache, "tessera.gpus.allocated", "GPUs held, fractions counted by their share", s -> sum(s, NodeState::load));
    gauge(registry, cache, "tessera.pods.placed", "Pods holding GPUs, assumed or bound", s -> sum(s, n -> n.allocations().size()));
    gauge(registry, cache, "tessera.gpus.overcommitted",
        "GPUs claimed by more than they have (two pods on the same capacity); should be 0",
        s -> sum(s, NodeState::overcommittedGpus));
    Gauge.builder("tessera.pods.assumed", cache, c -> sum(c.snapshot(), CacheMetrics::assumed))
        .description("Pods handed GPUs at bind but not yet seen bound")
        .register(registry);
  }

  private static void gauge(
      MeterRegistry registry,
      ClusterCache cache,
      String name,
      String description,
      ToDoubleFunction<ClusterSnapshot> value) {
    Gauge.builder(name, cache, c -> value.applyAsDouble(c.snapshot()))
        .description(description)
        .register(registry);
  }

  private static double assumed(NodeState node) {
    return node.allocations().values().stream().filter(a -> a.assumed()).count();
  }

  private static double sum(ClusterSnapshot snapshot, ToDoubleFunction<NodeState> perNode) {
    double[] total = {0};
    snapshot.forEach(node -> total[0] += perNode.applyAsDouble(node));
    return total[0];
  }
}
