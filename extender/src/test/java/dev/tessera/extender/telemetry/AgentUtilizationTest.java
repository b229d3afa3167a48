package dev.tessera.extender.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.extender.ledger.AgentView;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.model.ObservedGpu;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.scheduling.Placement;
import dev.tessera.extender.testing.MutableClock;
import dev.tessera.extender.testing.Nodes;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** GPU utilisation from agents' reports: kept apart from the cache, gone when the agent goes quiet. */
class AgentUtilizationTest {
  @Test
  void theBusiestOfAPodsGpusComesFromTheLatestFreshReport() {
    MutableClock clock = MutableClock.atEpochOfTests();
    ClusterCache cache = new ClusterCache(clock, Duration.ofSeconds(30), new Placement(PlacementStrategy.BINPACK));
    var node = Nodes.node("n1").gpus(2).build();
    cache.upsertNode(node);
    AgentReports reports = new AgentReports(cache, clock, Duration.ofSeconds(30));
    AgentView view = new AgentView(node.gpus(), List.of(new ObservedGpu(0, true, ""), new ObservedGpu(0, true, "")));
    reports.accept("n1", view, new int[] {0, 35});
    long version = cache.snapshot().version();

    assertEquals(OptionalInt.of(0), reports.busiest("n1", List.of(0)));
    assertEquals(OptionalInt.of(35), reports.busiest("n1", List.of(0, 1)));
    assertEquals(OptionalInt.empty(), reports.busiest("n1", List.of(2)), "a GPU the report does not list");
    assertEquals(OptionalInt.empty(), reports.busiest("n2", List.of(0)), "a node without an agent");

    reports.accept("n1", view, new int[] {90, 35});
    assertEquals(OptionalInt.of(90), reports.busiest("n1", List.of(0)));
    assertEquals(version, cache.snapshot().version(), "utilisation alone does not republish the cache");

    clock.advance(Duration.ofMinutes(1));
    reports.expireStale();
    assertEquals(OptionalInt.empty(), reports.busiest("n1", List.of(0)), "a stale report says nothing");
  }
}
