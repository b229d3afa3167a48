package dev.tessera.bench;

import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.extender.actions.BindResult;
import dev.tessera.extender.actions.PodEvents;
import dev.tessera.extender.controllers.RefusedPods;
import dev.tessera.extender.controllers.Unschedulable;
import dev.tessera.extender.gangs.GangCoordinator;
import dev.tessera.extender.gangs.PreemptionClaims;
import dev.tessera.extender.informers.PodGroupLookup;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.ledger.PodIndex;
import dev.tessera.extender.model.GpuDevice;
import dev.tessera.extender.model.GpuNode;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.scheduling.Allocation;
import dev.tessera.extender.scheduling.ClusterSnapshot;
import dev.tessera.extender.scheduling.GangPlanner;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.scheduling.Placement;
import dev.tessera.extender.scheduling.PolicySnapshot;
import dev.tessera.extender.scheduling.VictimSelector;
import dev.tessera.extender.verbs.SchedulingExtender;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * A large, realistically fragmented cluster for benchmarks: nodes of 8 A100-80GB, filled with
 * a fixed-seed mix of whole-GPU and fractional pods placed by the real placement code, so some
 * nodes are full, many partly used and a few empty.
 */
public final class BenchCluster {
  private BenchCluster() {}

  public static List<String> nodeNames(int nodes) {
    List<String> names = new ArrayList<>(nodes);
    for (int i = 0; i < nodes; i++) {
      names.add(String.format("gpu-node-%05d", i));
    }
    return names;
  }

  /** A cache holding {@code nodes} nodes and up to {@code pods} placed pods (as many as fit). */
  public static ClusterCache build(int nodes, int gpusPerNode, int pods, long seed) {
    Placement placement = new Placement(PlacementStrategy.BINPACK);
    List<String> names = nodeNames(nodes);
    List<GpuNode> inventory = new ArrayList<>(nodes);
    List<NodeState> states = new ArrayList<>(nodes);
    for (String name : names) {
      List<GpuDevice> gpus = new ArrayList<>(gpusPerNode);
      for (int g = 0; g < gpusPerNode; g++) {
        gpus.add(new GpuDevice(g, null, "NVIDIA-A100-SXM4-80GB", 81920));
      }
      GpuNode node = new GpuNode(name, gpus, null);
      inventory.add(node);
      states.add(NodeState.empty(node));
    }
    Random random = new Random(seed);
    List<Allocation> allocations = new ArrayList<>(pods);
    for (int p = 0; p < pods; p++) {
      GpuRequest request = randomRequest(random);
      // Try a few random nodes, as a busy cluster's history would have spread pods around.
      for (int attempt = 0; attempt < 8; attempt++) {
        int n = random.nextInt(nodes);
        GpuAssignment assignment = placement.pick(states.get(n), request);
        if (assignment != null) {
          PodKey key = new PodKey("bench", "pod-" + p, "uid-" + p);
          Allocation allocation = new Allocation(key, assignment, false);
          states.set(n, states.get(n).with(allocation));
          allocations.add(allocation);
          break;
        }
      }
    }
    ClusterCache cache = new ClusterCache(Clock.systemUTC(), Duration.ofSeconds(30), placement);
    cache.replaceAll(inventory, allocations);
    cache.markSynced();
    return cache;
  }

  /**
   * The decision core over the cache, without scheduling policy (no projects, pools or gangs) and
   * without binding: what filter and prioritize cost for ordinary pods.
   */
  public static SchedulingExtender extender(ClusterCache cache) {
    PodIndex pods = new PodIndex();
    PreemptionClaims claims = new PreemptionClaims(Clock.systemUTC());
    return new SchedulingExtender(
        cache,
        (namespace, name) -> Optional.empty(),
        (pod, node, assignment, annotations) -> BindResult.apiError(pod, node, 0, "binding is not part of this benchmark"),
        PodEvents.NOOP,
        new SchedulingExtender.PolicyContext(
            () -> PolicySnapshot.EMPTY,
            () -> PolicySnapshot.EMPTY,
            new GangCoordinator(cache, pods, new GangPlanner(cache.placement()), claims, Clock.systemUTC()),
            new Unschedulable(Clock.systemUTC()),
            pods,
            new VictimSelector(cache.placement()),
            new io.micrometer.core.instrument.simple.SimpleMeterRegistry(),
            new dev.tessera.extender.ledger.CpuLedger(),
            pod -> 0L,
            (namespace, name) -> new PodGroupLookup.Result.Missing(),
            new RefusedPods(cache, () -> PolicySnapshot.EMPTY, pods, (pod, why) -> {}, gang -> true, Clock.systemUTC()),
            claims),
        () -> true);
  }

  static GpuRequest randomRequest(Random random) {
    int kind = random.nextInt(10);
    if (kind < 3) {
      return GpuRequest.whole(1 + random.nextInt(2));
    }
    if (kind < 6) {
      return GpuRequest.fraction(0.25, 1);
    }
    if (kind < 9) {
      return GpuRequest.fraction(0.5, 1);
    }
    return GpuRequest.memory(10_000, 1);
  }

  /** Pods placed in the cache. */
  public static int placedPods(ClusterSnapshot snapshot) {
    int[] count = {0};
    snapshot.forEach(node -> count[0] += node.allocations().size());
    return count[0];
  }
}
