package dev.tessera.bench;

import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.scheduling.ClusterSnapshot;
import dev.tessera.extender.scheduling.GangPlanner;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Planning a 256-pod gang over a 5,000-node, 8-GPU cluster that is already partly used (20,000
 * pods of mixed sizes). Target: ≤ 10 ms per plan. Run with
 * {@code java -cp bench/target/tessera-bench.jar org.openjdk.jmh.Main GangPlanBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class GangPlanBenchmark {
  @Param({"whole", "fraction", "mixed"})
  public String members;

  @Param({"256"})
  public int size;

  private GangPlanner planner;
  private ClusterSnapshot snapshot;
  private List<GangPlanner.Member> gang;

  @Setup
  public void setUp() {
    var cache = BenchCluster.build(5000, 8, 20_000, 42);
    snapshot = cache.snapshot();
    planner = new GangPlanner(cache.placement());
    gang = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      GpuRequest request = switch (members) {
        case "whole" -> GpuRequest.whole(1);
        case "fraction" -> GpuRequest.fraction(0.5, 1);
        default -> i == 0 ? GpuRequest.whole(8) : i % 2 == 0 ? GpuRequest.whole(2) : GpuRequest.fraction(0.25, 1);
      };
      gang.add(new GangPlanner.Member(new PodKey("bench", "member-" + i, "member-uid-" + i), request));
    }
    if (!(planner.plan(snapshot, gang, node -> true) instanceof GangPlanner.Plan.Placed)) {
      throw new IllegalStateException("the benchmark gang does not fit the benchmark cluster");
    }
  }

  @Benchmark
  public GangPlanner.Plan plan() {
    return planner.plan(snapshot, gang, node -> true);
  }
}
