package dev.tessera.extender.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.extender.ledger.AgentView;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.model.GpuNode;
import dev.tessera.extender.model.ObservedGpu;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.scheduling.Placement;
import dev.tessera.extender.testing.MutableClock;
import dev.tessera.extender.testing.Nodes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** What a {@link ReportListener} hears of the reports {@link AgentReports} takes, and when not. */
class ReportListenerTest {
  private static final long MIB = 1024L * 1024;

  private final MutableClock clock = MutableClock.atEpochOfTests();
  private final ClusterCache cache =
      new ClusterCache(clock, Duration.ofSeconds(30), new Placement(PlacementStrategy.BINPACK));
  private final GpuNode node = Nodes.node("n1").gpus(2).memoryMiB(80_000).build();
  private final AgentView view = new AgentView(
      node.gpus(), List.of(new ObservedGpu(1_000, true, ""), new ObservedGpu(2_500, true, "")));

  private record Heard(String node, Instant at, List<ReportListener.GpuReading> gpus) {}

  @Test
  void anAcceptedReportIsHeardWithEachGpusReadingAndTheTimeItWasAccepted() {
    cache.upsertNode(node);
    List<Heard> heard = new ArrayList<>();
    AgentReports reports = new AgentReports(
        cache, clock, Duration.ofSeconds(30), (n, at, gpus) -> heard.add(new Heard(n, at, gpus)));

    assertTrue(reports.accept("n1", view, new int[] {7, 93}, new long[2]));

    assertEquals(
        List.of(new Heard("n1", clock.instant(), List.of(
            new ReportListener.GpuReading(
                0, Nodes.uuid("n1", 0), Nodes.DEFAULT_MODEL, 7, 1_000 * MIB, 80_000 * MIB),
            new ReportListener.GpuReading(
                1, Nodes.uuid("n1", 1), Nodes.DEFAULT_MODEL, 93, 2_500 * MIB, 80_000 * MIB)))),
        heard);
  }

  @Test
  void aReportWithoutUtilizationSaysSoRatherThanZero() {
    cache.upsertNode(node);
    List<Heard> heard = new ArrayList<>();
    AgentReports reports = new AgentReports(
        cache, clock, Duration.ofSeconds(30), (n, at, gpus) -> heard.add(new Heard(n, at, gpus)));

    reports.accept("n1", view);

    assertEquals(List.of(-1, -1), heard.get(0).gpus().stream().map(g -> g.utilizationPercent()).toList());
  }

  @Test
  void aRefusedReportIsNotHeard() {
    List<Heard> heard = new ArrayList<>();
    AgentReports reports = new AgentReports(
        cache, clock, Duration.ofSeconds(30), (n, at, gpus) -> heard.add(new Heard(n, at, gpus)));

    assertFalse(reports.accept("n1", view, new int[] {7, 93}, new long[2]), "the API server has no node n1");
    assertEquals(List.of(), heard);
  }

  @Test
  void aFailingListenerDoesNotRefuseTheReport() {
    cache.upsertNode(node);
    AgentReports reports = new AgentReports(cache, clock, Duration.ofSeconds(30), (n, at, gpus) -> {
      throw new IllegalStateException("broken listener");
    });

    assertTrue(reports.accept("n1", view, new int[] {7, 93}, new long[2]));
    assertTrue(reports.accept("n1", view, new int[] {8, 94}, new long[2]), "nor the next one");
    assertEquals(1, reports.reporting());
    assertEquals(OptionalInt.of(94), reports.busiest("n1", List.of(0, 1)));
  }
}
