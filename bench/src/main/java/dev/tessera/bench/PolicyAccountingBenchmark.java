package dev.tessera.bench;

import dev.tessera.extender.model.NodePool;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.model.PoolQuota;
import dev.tessera.extender.model.Project;
import dev.tessera.extender.scheduling.ClusterSnapshot;
import dev.tessera.extender.scheduling.LedgerTotals;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.scheduling.Policy;
import dev.tessera.extender.scheduling.PolicyAccounting;
import dev.tessera.extender.scheduling.PolicySnapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the extender recomputes after a change, end to end: every project's allocation read from a
 * 5,000-node ledger holding about 50,000 pods, 10,000 pending pods' demand, and the fair share of
 * 500 projects in 4 pools ({@link FairShareBenchmark} measures the fair share alone). Target:
 * 2 ms after a change. Run with
 * {@code java -cp bench/target/tessera-bench.jar org.openjdk.jmh.Main PolicyAccountingBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PolicyAccountingBenchmark {
  private static final int PROJECTS = 500;
  private static final List<String> POOLS = List.of("a100", "h100", "l40");

  private Policy policy;
  private ClusterSnapshot cluster;
  private List<PolicyAccounting.PendingDemand> pending;
  private ClusterSnapshot changed;
  private final LedgerTotals totals = new LedgerTotals();
  private boolean flip;

  @Setup
  public void setUp() {
    cluster = BenchCluster.build(5000, 8, 50_000, 42).snapshot();
    // The same cluster with one node's ledger emptied: a change the totals must follow.
    NodeState one = cluster.node(BenchCluster.nodeNames(5000).get(17));
    changed = cluster.with(NodeState.empty(one.node()), cluster.version() + 1);
    totals.update(cluster);
    Random random = new Random(7);
    Map<String, Project> projects = new HashMap<>();
    for (int i = 0; i < PROJECTS; i++) {
      Map<String, PoolQuota> quotas = new HashMap<>();
      quotas.put("default", new PoolQuota(random.nextInt(60), 1 + random.nextInt(3), PoolQuota.UNLIMITED));
      quotas.put(POOLS.get(random.nextInt(POOLS.size())), new PoolQuota(random.nextInt(8), 1, PoolQuota.UNLIMITED));
      // The benchmark ledger's pods are all in namespace "bench": project 0 owns it.
      List<String> namespaces = i == 0 ? List.of("bench") : List.of("ns-" + i);
      projects.put("project-" + i, new Project("project-" + i, namespaces, null, quotas, 0, true));
    }
    List<NodePool> pools = new ArrayList<>();
    for (String pool : POOLS) {
      pools.add(new NodePool(pool, Map.of("pool", pool), PlacementStrategy.BINPACK, PlacementStrategy.SPREAD));
    }
    policy = new Policy(pools, projects, Map.of(), Map.of());
    pending = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      pending.add(new PolicyAccounting.PendingDemand("ns-" + (1 + random.nextInt(PROJECTS - 1)), "default", 1 + random.nextInt(4)));
    }
  }

  /** After one pod's bind: the ledger totals revisit one node; then every figure is recomputed. */
  @Benchmark
  public PolicySnapshot recomputeAfterOneChange() {
    flip = !flip;
    ClusterSnapshot next = flip ? changed : cluster;
    totals.update(next);
    return PolicyAccounting.compute(policy, totals, pending, next.version());
  }

  /** From nothing, as after a restart: every node's allocations are read. */
  @Benchmark
  public PolicySnapshot recomputeFromScratch() {
    return PolicyAccounting.compute(policy, cluster, pending);
  }
}
