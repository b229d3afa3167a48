package dev.tessera.bench;

import dev.tessera.extender.model.PoolQuota;
import dev.tessera.extender.scheduling.FairShare;
import dev.tessera.extender.scheduling.FairShare.Claim;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * One fair-share recomputation: 500 projects in 20 departments, over 4 node pools (four {@link
 * FairShare} calls per operation). Demand exceeds every pool, so the over-quota phase always runs
 * with department caps in play. Target: 2 ms for the whole recomputation. Run with {@code java -cp
 * bench/target/tessera-bench.jar org.openjdk.jmh.Main FairShareBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FairShareBenchmark {
  private static final int PROJECTS = 500;
  private static final int DEPARTMENTS = 20;
  private static final double[] POOL_GPUS = {4096, 2048, 1024, 256};

  private final double[] capacity = new double[POOL_GPUS.length];
  private final Claim[][] claims = new Claim[POOL_GPUS.length][];
  private final double[][] departmentQuota = new double[POOL_GPUS.length][];
  private final double[][] shares = new double[POOL_GPUS.length][PROJECTS];
  private final FairShare fairShare = new FairShare();

  @Setup
  public void setUp() {
    Random random = new Random(42);
    int[] department = new int[PROJECTS];
    for (int i = 0; i < PROJECTS; i++) {
      department[i] = random.nextInt(10) == 0 ? -1 : random.nextInt(DEPARTMENTS);
    }
    for (int p = 0; p < POOL_GPUS.length; p++) {
      double gpus = POOL_GPUS[p];
      capacity[p] = gpus - random.nextInt(8); // a few unhealthy
      // Deserved adds up to about 80% of the pool; demand to about twice the pool.
      double meanDeserved = 0.8 * gpus / PROJECTS;
      double meanDemand = 2.0 * gpus / PROJECTS;
      claims[p] = new Claim[PROJECTS];
      for (int i = 0; i < PROJECTS; i++) {
        // Quarter GPUs: the smaller pools have fewer GPUs than projects.
        double deserved = quarters(random.nextDouble() * 2 * meanDeserved);
        double weight = random.nextInt(10) == 0 ? 0 : 1 + random.nextInt(4);
        double limit =
            random.nextInt(3) == 0
                ? deserved + quarters(random.nextDouble() * 4 * meanDeserved)
                : PoolQuota.UNLIMITED;
        // A fifth of the projects idle.
        double demand = random.nextInt(5) == 0 ? 0 : quarters(random.nextDouble() * 2.5 * meanDemand);
        claims[p][i] = new Claim(deserved, weight, limit, random.nextInt(8) != 0, demand, department[i]);
      }
      departmentQuota[p] = new double[DEPARTMENTS];
      for (int k = 0; k < DEPARTMENTS; k++) {
        // A fair slice of the pool give or take half; a quarter of departments uncapped.
        departmentQuota[p][k] =
            random.nextInt(4) == 0
                ? PoolQuota.UNLIMITED
                : Math.floor(gpus / DEPARTMENTS * (0.5 + random.nextDouble()));
      }
    }
  }

  private static double quarters(double gpus) {
    return Math.floor(gpus * 4) / 4;
  }

  /** Four pools with reused scratch and result arrays: what the recomputation loop does. */
  @Benchmark
  public void recompute(Blackhole blackhole) {
    for (int p = 0; p < POOL_GPUS.length; p++) {
      blackhole.consume(fairShare.compute(capacity[p], claims[p], departmentQuota[p], shares[p]));
    }
  }

  /** The same through the static method, allocating result and scratch each call. */
  @Benchmark
  public void recomputeAllocating(Blackhole blackhole) {
    for (int p = 0; p < POOL_GPUS.length; p++) {
      blackhole.consume(FairShare.compute(capacity[p], claims[p], departmentQuota[p]));
    }
  }
}
