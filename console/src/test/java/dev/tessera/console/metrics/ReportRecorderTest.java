package dev.tessera.console.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.extender.telemetry.ReportListener.GpuReading;
import dev.tessera.extender.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** GPU metrics from the agents' reports, recorded in process. */
class ReportRecorderTest {
  private static final long MIB = 1024L * 1024;
  private static final Instant T0 = Instant.ofEpochSecond(1_700_000_000L);
  private static final Duration INTERVAL = Duration.ofSeconds(5);
  /** The concurrent test's step, and how many reports back its lookback of two steps reaches. */
  private static final Duration STEP = Duration.ofSeconds(10);

  private static final int LOOKBACK_REPORTS = 4;

  private final MutableClock clock = new MutableClock(T0);
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void stopThreads() {
    threads.shutdownNow();
  }

  private static PodRef pod(String name, String node) {
    return new PodRef("ns", name, "uid-" + name, node, 1000, 1 << 30);
  }

  private static GpuReading gpu(int index, int busy, long usedMiB) {
    return new GpuReading(index, "GPU-" + index, "H100", busy, usedMiB * MIB, 81_559 * MIB);
  }

  /** Pod a holds GPU 0 of n1, pod b GPUs 0 and 1: the lookup the extender's ledger would give. */
  private static final GpuLookup LOOKUP = pod -> switch (pod.name()) {
    case "a" -> List.of(0);
    case "b" -> List.of(0, 1);
    default -> List.of();
  };

  private ReportRecorder recorder(Duration retention) {
    return new ReportRecorder(clock, retention, INTERVAL, LOOKUP);
  }

  private static MetricsRequest request(long fromSecond, long toSecond, long stepSeconds, PodRef... pods) {
    return new MetricsRequest(List.of(pods), T0.plusSeconds(fromSecond), T0.plusSeconds(toSecond),
        Duration.ofSeconds(stepSeconds));
  }

  private static List<Series.Point> points(long... secondsAndValues) {
    List<Series.Point> points = new ArrayList<>();
    for (int i = 0; i < secondsAndValues.length; i += 2) {
      points.add(new Series.Point(T0.getEpochSecond() + secondsAndValues[i], secondsAndValues[i + 1]));
    }
    return points;
  }

  private static List<Series> lines(MetricsResult result, String metric) {
    return result.series().stream().filter(s -> s.metric().equals(metric)).toList();
  }

  @Test
  void aPodsGpusAreItsLinesAtTheRequestsStepsWithTheirAverage() {
    ReportRecorder recorder = recorder(Duration.ofHours(2));
    for (int i = 0; i <= 4; i++) {
      recorder.accepted("n1", T0.plusSeconds(5L * i), List.of(gpu(0, 10 * i, 100L * i), gpu(1, 50, 1000), gpu(2, 99, 1)));
      recorder.accepted("n2", T0.plusSeconds(5L * i), List.of(gpu(0, 77, 7)));
    }

    MetricsResult result = recorder.query(request(0, 20, 10, pod("b", "n1")));

    assertEquals("recorder", result.source());
    Map<String, String> gpu0 = Map.of("node", "n1", "gpu", "0", "uuid", "GPU-0", "model", "H100", "pod", "b");
    Map<String, String> gpu1 = Map.of("node", "n1", "gpu", "1", "uuid", "GPU-1", "model", "H100", "pod", "b");
    assertEquals(List.of(
            new Series(MetricNames.GPU_UTILIZATION, gpu0, points(0, 0, 10, 20, 20, 40)),
            new Series(MetricNames.GPU_UTILIZATION, gpu1, points(0, 50, 10, 50, 20, 50)),
            new Series(MetricNames.GPU_UTILIZATION, Map.of("aggregate", "average"), points(0, 25, 10, 35, 20, 45))),
        lines(result, MetricNames.GPU_UTILIZATION));
    assertEquals(List.of(
            new Series(MetricNames.GPU_MEMORY_USED, gpu0, points(0, 0, 10, 200 * MIB, 20, 400 * MIB)),
            new Series(MetricNames.GPU_MEMORY_USED, gpu1, points(0, 1000 * MIB, 10, 1000 * MIB, 20, 1000 * MIB))),
        lines(result, MetricNames.GPU_MEMORY_USED));
    assertEquals(
        Map.of(
            MetricNames.CPU_UTILIZATION, ReportRecorder.NO_PROMETHEUS,
            MetricNames.CPU_MEMORY_USAGE, ReportRecorder.NO_PROMETHEUS,
            MetricNames.CPU_MEMORY_UTILIZATION, ReportRecorder.NO_PROMETHEUS),
        result.unavailable());
  }

  @Test
  void aGpuTwoOfThePodsHoldNamesNeither() {
    ReportRecorder recorder = recorder(Duration.ofHours(2));
    recorder.accepted("n1", T0, List.of(gpu(0, 10, 1), gpu(1, 20, 2)));

    MetricsResult result = recorder.query(request(0, 10, 10, pod("a", "n1"), pod("b", "n1")));

    assertEquals(
        List.of(Map.of("node", "n1", "gpu", "0", "uuid", "GPU-0", "model", "H100"),
            Map.of("node", "n1", "gpu", "1", "uuid", "GPU-1", "model", "H100", "pod", "b")),
        lines(result, MetricNames.GPU_MEMORY_USED).stream().map(Series::labels).toList());
  }

  @Test
  void reportsFartherApartThanTwoStepsStillDrawALineWithinTwoIntervals() {
    ReportRecorder recorder = recorder(Duration.ofHours(2));
    recorder.accepted("n1", T0, List.of(gpu(0, 10, 1)));
    recorder.accepted("n1", T0.plusSeconds(5), List.of(gpu(0, 20, 1)));
    recorder.accepted("n1", T0.plusSeconds(30), List.of(gpu(0, 30, 1)));

    MetricsResult result = recorder.query(request(0, 30, 1, pod("a", "n1")));

    List<Series.Point> busy = lines(result, MetricNames.GPU_UTILIZATION).get(0).points();
    assertEquals(points(0, 10, 1, 10, 2, 10, 3, 10, 4, 10, 5, 20, 6, 20, 7, 20, 8, 20, 9, 20, 10, 20, 11, 20, 12, 20,
        13, 20, 14, 20, 15, 20, 30, 30), busy, "a step of 1s looks back two 5s intervals, and no further");
  }

  @Test
  void aReportWithoutUtilizationStillGivesMemory() {
    ReportRecorder recorder = recorder(Duration.ofHours(2));
    recorder.accepted("n1", T0, List.of(gpu(0, -1, 3)));

    MetricsResult result = recorder.query(request(0, 10, 10, pod("a", "n1")));

    assertEquals(List.of(), lines(result, MetricNames.GPU_UTILIZATION));
    assertEquals(points(0, 3 * MIB, 10, 3 * MIB), lines(result, MetricNames.GPU_MEMORY_USED).get(0).points());
    assertTrue(result.unavailable().get(MetricNames.GPU_UTILIZATION).startsWith("no node agent reported"),
        result.unavailable().toString());
  }

  @Test
  void whatTheRecorderCannotKnowSaysWhy() {
    ReportRecorder recorder = recorder(Duration.ofHours(2));
    recorder.accepted("n1", T0, List.of(gpu(0, 10, 1)));

    assertEquals(ReportRecorder.NO_GPUS_KNOWN,
        recorder.query(request(0, 10, 10, pod("c", "n1"))).unavailable().get(MetricNames.GPU_UTILIZATION));
    assertEquals(ReportRecorder.NO_GPUS_KNOWN,
        recorder.query(request(0, 10, 10, pod("a", null))).unavailable().get(MetricNames.GPU_MEMORY_USED),
        "a pod never placed holds no GPU");
    assertEquals(ReportRecorder.NO_PODS,
        recorder.query(request(0, 10, 10)).unavailable().get(MetricNames.GPU_UTILIZATION));
    assertEquals("no node agent reported on these pods' GPUs in the period: the console keeps the last 120 minutes"
            + " of reports, and only since it started",
        recorder.query(request(100, 110, 10, pod("a", "n1"))).unavailable().get(MetricNames.GPU_UTILIZATION));
  }

  @Test
  void aRingHoldsTheRetentionAtTheReportIntervalAndNoMore() {
    ReportRecorder recorder = recorder(Duration.ofMinutes(1));
    for (int i = 0; i <= 24; i++) { // two minutes of reports: the ring holds the last 13
      recorder.accepted("n1", T0.plusSeconds(5L * i), List.of(gpu(0, i, i)));
    }

    List<Series.Point> busy = lines(recorder.query(request(0, 120, 5, pod("a", "n1"))), MetricNames.GPU_UTILIZATION)
        .get(0).points();

    assertEquals(13, busy.size());
    assertEquals(new Series.Point(T0.getEpochSecond() + 60, 12), busy.get(0));
  }

  @Test
  void aGpuSilentForTheRetentionIsForgotten() {
    ReportRecorder recorder = recorder(Duration.ofMinutes(8));
    recorder.accepted("gone", clock.instant(), List.of(gpu(0, 1, 1), gpu(1, 1, 1)));
    recorder.accepted("n1", clock.instant(), List.of(gpu(0, 1, 1)));
    assertEquals(3, recorder.gpusRecorded());

    clock.advance(Duration.ofMinutes(8).plusSeconds(1));
    recorder.accepted("n1", clock.instant(), List.of(gpu(0, 1, 1)));

    assertEquals(1, recorder.gpusRecorded(), "the node that went silent eight minutes ago");
  }

  @Test
  void aRetentionOfMoreSamplesThanSenseIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ReportRecorder(clock, Duration.ofDays(30), Duration.ofSeconds(1), LOOKUP));
    assertTrue(e.getMessage().contains("2592001 samples per GPU"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new ReportRecorder(clock, Duration.ofSeconds(1), Duration.ofSeconds(5), LOOKUP));
  }

  /**
   * Reports for many nodes arrive on many threads while queries run, each ring wrapping around
   * again and again: every point a query sees must be one a report wrote, and once the writers are
   * done each line holds exactly the last reports.
   */
  @Test
  void concurrentReportsAndQueriesSeeOnlyWholeSamples() throws Exception {
    int nodes = 8;
    int reports = 20_000;
    List<PodRef> pods = new ArrayList<>();
    for (int n = 0; n < nodes; n++) {
      pods.add(new PodRef("ns", "p" + n, "uid-" + n, "node-" + n, 0, 0));
    }
    ReportRecorder shared = new ReportRecorder(clock, Duration.ofMinutes(1), INTERVAL, pod -> List.of(0, 1)); // 13 a GPU
    CountDownLatch go = new CountDownLatch(1);
    CountDownLatch readersSawPoints = new CountDownLatch(4);
    AtomicBoolean writing = new AtomicBoolean(true);
    List<Future<Integer>> writers = new ArrayList<>();
    for (int n = 0; n < nodes; n++) {
      String node = "node-" + n;
      writers.add(threads.submit(() -> {
        go.await();
        for (int i = 0; i < reports; i++) {
          // What a sample holds follows from its time, so a reader can check each point it sees.
          shared.accepted(node, T0.plusSeconds(5L * i), List.of(gpu(0, i % 101, i), gpu(1, 100 - i % 101, 2L * i)));
          if (i == reports / 2) {
            // So that the queries surely overlap the reports, however the threads are scheduled.
            assertTrue(readersSawPoints.await(30, TimeUnit.SECONDS), "the readers never saw a point");
          }
        }
        return reports;
      }));
    }
    MetricsRequest all = new MetricsRequest(pods, T0, T0.plusSeconds(5L * (reports - 1)), STEP);
    List<Future<Integer>> readers = new ArrayList<>();
    for (int r = 0; r < 4; r++) {
      readers.add(threads.submit((Callable<Integer>) () -> {
        go.await();
        int checked = 0;
        boolean counted = false;
        while (writing.get()) {
          for (Series line : shared.query(all).series()) {
            checked += checkPoints(line, false);
          }
          if (!counted && checked > 0) {
            counted = true;
            readersSawPoints.countDown();
          }
        }
        return checked;
      }));
    }

    go.countDown();
    for (Future<Integer> writer : writers) {
      assertEquals(reports, writer.get(60, TimeUnit.SECONDS));
    }
    writing.set(false);
    int checked = 0;
    for (Future<Integer> reader : readers) {
      checked += reader.get(60, TimeUnit.SECONDS);
    }

    MetricsResult done = shared.query(all);
    assertEquals(2 * nodes, lines(done, MetricNames.GPU_MEMORY_USED).size());
    for (Series line : done.series()) {
      // The ring holds the last 13 reports, 5s apart; the steps 10s apart among them are 6.
      assertEquals(6, line.points().size(), line.labels().toString());
      checkPoints(line, true);
    }
    assertTrue(checked > 0);
  }

  /**
   * Each point must be a sample a report wrote: while reports come in, a step just past the newest
   * report stands for one of those within the lookback (two 10s steps) before it, and an average may
   * mix a report's first GPU with the report before's second. Once settled, each is exactly the
   * report at its step. Returns how many points were checked.
   */
  private static int checkPoints(Series line, boolean settled) {
    long previous = Long.MIN_VALUE;
    for (Series.Point point : line.points()) {
      assertTrue(point.time() > previous, "points in time order: " + line.labels());
      previous = point.time();
      long step = (point.time() - T0.getEpochSecond()) / 5;
      if (line.labels().containsKey("aggregate")) {
        assertTrue(settled ? point.value() == 50 : point.value() >= 0 && point.value() <= 100, point.toString());
        continue;
      }
      boolean matched = false;
      for (long i = step; i >= (settled ? step : Math.max(0, step - LOOKBACK_REPORTS)) && !matched; i--) {
        matched = point.value() == expected(line, i);
      }
      assertTrue(matched, line.labels() + " " + line.metric() + ": " + point + " is no report's sample");
    }
    return line.points().size();
  }

  /** What report {@code i} wrote for this line's GPU. */
  private static double expected(Series line, long i) {
    boolean first = "0".equals(line.labels().get("gpu"));
    return switch (line.metric()) {
      case MetricNames.GPU_UTILIZATION -> first ? i % 101 : 100 - i % 101;
      case MetricNames.GPU_MEMORY_USED -> (first ? i : 2 * i) * (double) MIB;
      default -> throw new AssertionError(line.metric());
    };
  }
}
