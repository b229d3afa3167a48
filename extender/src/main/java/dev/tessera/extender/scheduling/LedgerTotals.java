package dev.tessera.extender.scheduling;

import dev.tessera.extender.model.GpuNode;
import java.util.HashMap;
import java.util.Map;

/**
 * GPUs held per pool and namespace, and healthy GPUs per pool, kept current from successive
 * {@link ClusterSnapshot}s by visiting again only the nodes whose state changed: snapshots share
 * unchanged {@link NodeState} instances, so after one pod's bind only that node is read. Totals
 * are kept in millionths of a GPU, so adding and taking away never drifts.
 *
 * <p>Not thread-safe: one owner updates and reads it.
 */
public final class LedgerTotals {
  private static final double MICROS = 1_000_000;

  private record NodeShare(NodeState state, String pool, long capacityMicros, Map<String, Long> heldByNamespace) {}

  private final Map<String, NodeShare> nodes = new HashMap<>();
  /** Pool to namespace to GPUs held there, in millionths. */
  private final Map<String, Map<String, Long>> held = new HashMap<>();
  private final Map<String, Long> capacity = new HashMap<>();
  /** Pool to how many of its nodes have each GPU count (index 0..MAX_GPUS). */
  private final Map<String, int[]> nodesByGpuCount = new HashMap<>();

  /** Brings the totals to the snapshot's state. */
  public void update(ClusterSnapshot snapshot) {
    snapshot.forEach(state -> {
      NodeShare known = nodes.get(state.name());
      if (known != null && known.state() == state) {
        return;
      }
      if (known != null) {
        apply(known, -1);
      }
      NodeShare share = shareOf(state);
      nodes.put(state.name(), share);
      apply(share, +1);
    });
    if (nodes.size() > snapshot.size()) {
      nodes.values().removeIf(share -> {
        if (snapshot.node(share.state().name()) != null) {
          return false;
        }
        apply(share, -1);
        return true;
      });
    }
  }

  /** GPUs held in the pool, by namespace, in millionths of a GPU. */
  public Map<String, Long> heldIn(String pool) {
    return held.getOrDefault(pool, Map.of());
  }

  /** Healthy GPUs of the pool's nodes. */
  public double capacity(String pool) {
    return capacity.getOrDefault(pool, 0L) / MICROS;
  }

  /** The most GPUs any one node of the pool has: a pod asking for more can never run there. */
  public int largestNode(String pool) {
    int[] counts = nodesByGpuCount.get(pool);
    if (counts != null) {
      for (int gpus = counts.length - 1; gpus > 0; gpus--) {
        if (counts[gpus] > 0) {
          return gpus;
        }
      }
    }
    return 0;
  }

  static double gpus(long micros) {
    return micros / MICROS;
  }

  private static NodeShare shareOf(NodeState state) {
    Map<String, Long> byNamespace = new HashMap<>();
    for (Allocation allocation : state.allocations().values()) {
      long micros = Math.round(PolicyAccounting.gpusHeld(allocation) * MICROS);
      byNamespace.merge(allocation.pod().namespace(), micros, Long::sum);
    }
    long capacityMicros = (long) (state.gpuCount() - state.unhealthyGpus()) * (long) MICROS;
    return new NodeShare(state, state.node().pool(), capacityMicros, byNamespace);
  }

  private void apply(NodeShare share, int sign) {
    capacity.merge(share.pool(), sign * share.capacityMicros(), Long::sum);
    nodesByGpuCount.computeIfAbsent(share.pool(), p -> new int[GpuNode.MAX_GPUS + 1])[share.state().gpuCount()] += sign;
    Map<String, Long> inPool = held.computeIfAbsent(share.pool(), p -> new HashMap<>());
    share.heldByNamespace().forEach((namespace, micros) -> {
      long after = inPool.getOrDefault(namespace, 0L) + sign * micros;
      if (after == 0) {
        inPool.remove(namespace);
      } else {
        inPool.put(namespace, after);
      }
    });
  }
}
