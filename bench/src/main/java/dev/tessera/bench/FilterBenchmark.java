package dev.tessera.bench;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.scheduling.RequestedNodes;
import dev.tessera.extender.verbs.FilterDecision;
import dev.tessera.extender.verbs.SchedulingExtender;
import dev.tessera.extender.verbs.WirePod;
import java.util.List;
import java.util.Map;
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
 * The decision core alone, without HTTP or JSON: filter and prioritize over every node of a
 * 5,000-node, 50,000-pod cache. Run with
 * {@code java -cp bench/target/tessera-bench.jar org.openjdk.jmh.Main FilterBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FilterBenchmark {
  @Param({"fraction", "whole"})
  public String request;

  private SchedulingExtender extender;
  private RequestedNodes names;
  private WirePod pod;

  @Setup
  public void setUp() {
    ClusterCache cache = BenchCluster.build(5000, 8, 50_000, 42);
    extender = BenchCluster.extender(cache);
    names = RequestedNodes.of(BenchCluster.nodeNames(5000));
    PodKey key = new PodKey("bench", "probe", "uid-probe");
    pod =
        request.equals("fraction")
            ? new WirePod(key, Map.of(), Map.of(WellKnown.GPU_FRACTION, "0.5"), List.of(), List.of(), 0)
            : new WirePod(key, Map.of(), Map.of(), java.util.Collections.singletonList("1"), List.of(), 0);
  }

  @Benchmark
  public FilterDecision filter() {
    return extender.filter(pod, names);
  }

  @Benchmark
  public int[] prioritize() {
    return extender.prioritize(pod, names);
  }
}
