package dev.tessera.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.scheduling.Placement;
import dev.tessera.extender.telemetry.AgentReports;
import dev.tessera.extender.telemetry.ReportListener;
import dev.tessera.extender.testing.MutableClock;
import dev.tessera.extender.testing.Nodes;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The simulated agents' reports, through the extender's real accept path, on a fake clock: busy
 * where pods are, memory a share of what they hold, and placement none the wiser.
 */
class SimulatedAgentsTest {
  private static final long GPU_MIB = Nodes.DEFAULT_MEMORY_MIB;
  private static final long MIB = 1024L * 1024;

  private final MutableClock clock = MutableClock.atEpochOfTests();
  private final ClusterCache cache = new ClusterCache(clock, Duration.ofSeconds(30), new Placement(PlacementStrategy.BINPACK));
  private final List<ReportListener.GpuReading> heard = new CopyOnWriteArrayList<>();
  private final AgentReports reports = new AgentReports(cache, clock, Duration.ofSeconds(30),
      (node, at, gpus) -> heard.addAll(gpus));
  private SimulatedAgents agents;

  /** Node n: GPUs 0 and 1 whole to "train", half of GPU 2 to "notebook", GPU 3 idle; and a CPU node. */
  @BeforeEach
  void placeSomePods() {
    cache.upsertNode(Nodes.node("n").gpus(4).noUuids().build());
    cache.upsertNode(Nodes.node("cpu").gpus(0).build());
    cache.podBound(new PodKey("ml", "train", "uid-train"), new GpuAssignment("n", true,
        List.of(new GpuShare(0, null, GPU_MIB, 1.0), new GpuShare(1, null, GPU_MIB, 1.0))));
    cache.podBound(new PodKey("ml", "notebook", "uid-notebook"), new GpuAssignment("n", false,
        List.of(new GpuShare(2, null, GPU_MIB / 2, 0.5))));
    agents = new SimulatedAgents(cache::snapshot, reports, clock, SimulatedAgents.SEED,
        Executors.newSingleThreadScheduledExecutor());
  }

  @AfterEach
  void stop() {
    agents.close();
  }

  @Test
  void gpusHoldingPodsAreBusyAndUseMemoryUpToWhatThePodsHoldIdleOnesAreNot() {
    assertEquals(1, agents.reportAll(), "one report, from the GPU node");
    assertEquals(1, reports.reporting());
    List<ReportListener.GpuReading> first = List.copyOf(heard);
    assertEquals(4, first.size());
    for (int gpu = 0; gpu < 3; gpu++) {
      int busy = first.get(gpu).utilizationPercent();
      assertTrue(busy >= 55 && busy <= 95, "GPU " + gpu + " holds a pod: " + busy);
      assertEquals(0, first.get(gpu).memoryUsedBytes(), "a pod just seen has loaded nothing yet");
    }
    assertEquals(0, first.get(3).utilizationPercent(), "an idle GPU");

    clock.advance(SimulatedAgents.WARM_UP);
    heard.clear();
    agents.reportAll();
    long[] held = {GPU_MIB, GPU_MIB, GPU_MIB / 2, 0};
    for (int gpu = 0; gpu < 4; gpu++) {
      long used = heard.get(gpu).memoryUsedBytes() / MIB;
      assertTrue(used >= held[gpu] * 0.6 - 1 && used <= held[gpu] * 0.9, "GPU " + gpu + ": " + used + " of "
          + held[gpu] + " MiB held");
      assertEquals(GPU_MIB * MIB, heard.get(gpu).memoryTotalBytes());
      assertEquals(SimulatedAgents.uuid("n", gpu), heard.get(gpu).uuid());
    }
  }

  @Test
  void placementSeesTheSameFreeMemoryAsWithoutAgentsAndAWarmReportPublishesNothing() {
    long[] before = free(cache.snapshot().node("n"));
    for (int i = 0; i <= SimulatedAgents.WARM_UP.toSeconds(); i += 2) {
      agents.reportAll();
      assertArrayEquals(before, free(cache.snapshot().node("n")), "at " + i + "s");
      clock.advance(SimulatedAgents.INTERVAL);
    }
    agents.reportAll();
    long version = cache.snapshot().version();
    clock.advance(SimulatedAgents.INTERVAL);
    agents.reportAll();
    assertEquals(version, cache.snapshot().version(), "the same memory figures: the cache publishes nothing new");
  }

  @Test
  void eachGpuDrawsASmoothCurveOfItsOwnTheSameEveryRun() {
    SimulatedAgents again = new SimulatedAgents(cache::snapshot, reports, clock, SimulatedAgents.SEED,
        Executors.newSingleThreadScheduledExecutor());
    try {
      long start = clock.millis();
      int previous = agents.busy("n", 0, start);
      boolean differsFromGpu1 = false;
      for (int step = 1; step < 300; step++) {
        long at = start + step * SimulatedAgents.INTERVAL.toMillis();
        int busy = agents.busy("n", 0, at);
        assertTrue(busy >= 55 && busy <= 95, busy + " at step " + step);
        assertTrue(Math.abs(busy - previous) <= 6, "from " + previous + " to " + busy + " in one report");
        assertEquals(busy, again.busy("n", 0, at), "the same seed, the same curve");
        differsFromGpu1 |= busy != agents.busy("n", 1, at);
        previous = busy;
      }
      assertTrue(differsFromGpu1, "two GPUs, two curves");
    } finally {
      again.close();
    }
  }

  private static long[] free(NodeState node) {
    long[] free = new long[node.gpuCount()];
    for (int i = 0; i < free.length; i++) {
      free[i] = node.freeMiB(i);
    }
    return free;
  }
}
