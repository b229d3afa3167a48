package dev.tessera.console.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.console.testing.RealPrometheus;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.function.LongToDoubleFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@link PrometheusMetrics} against a real Prometheus (Debian's {@code prometheus} package, 2.42),
 * over series written with timestamps and backfilled with {@code promtool}, so every value the
 * queries return is known exactly. Skipped, saying so, where the binaries are not installed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RealPrometheusTest {
  private static final long T0 = 1_700_000_000L;
  private static final long MIB = 1024L * 1024;
  private static final long GIB = 1024 * MIB;
  /** Samples every 15 s for ten minutes; queries ask for the middle six, every minute. */
  private static final int SAMPLE_EVERY = 15;

  private static final int SAMPLES = 41;
  private static final Instant START = Instant.ofEpochSecond(T0 + 120);
  private static final Instant END = Instant.ofEpochSecond(T0 + 480);
  private static final Duration STEP = Duration.ofMinutes(1);

  private static final PodRef JOB_0 = new PodRef("ns", "job.0", "uid-0", "n1", 1000, 4 * GIB);
  private static final PodRef JOB_1 = new PodRef("ns", "job.1", "uid-1", "n1", 3000, 4 * GIB);
  /** The extender knows job.0's whole GPU; job.1's assignment is gone (say, the pod was deleted). */
  private static final GpuLookup LOOKUP = pod -> pod.name().equals("job.0") ? List.of(0) : List.of();

  private RealPrometheus prometheus;
  private URI url;
  private PrometheusMetrics metrics;

  @BeforeAll
  void startPrometheus() throws IOException, InterruptedException {
    if (RealPrometheus.missing().isPresent()) {
      return; // each test says so: a class-level assumption would be reported as no tests at all
    }
    prometheus = RealPrometheus.start("global:\n  scrape_interval: 1h\n",
        List.of(new RealPrometheus.NamedFile("series.om", openMetrics())),
        work -> {
          RealPrometheus.ToolResult backfill = RealPrometheus.promtool(work, "tsdb", "create-blocks-from",
              "openmetrics", "series.om", "data");
          assertEquals(0, backfill.exitCode(), backfill.output());
        },
        // Retention counts back from the newest block; far enough that no backfilled block is dropped.
        "--storage.tsdb.retention.time=100y");
    url = prometheus.url();
    metrics = new PrometheusMetrics(
        new PrometheusConfig(url, Duration.ofSeconds(10), Duration.ofMinutes(2)), LOOKUP);
  }

  @BeforeEach
  void requirePrometheus() {
    Assumptions.assumeTrue(metrics != null,
        () -> RealPrometheus.missing().orElse("") + ", so the queries are not tried against a real Prometheus");
  }

  @AfterAll
  void stopPrometheus() throws IOException, InterruptedException {
    if (prometheus != null) {
      prometheus.close();
    }
  }

  @Test
  void theWorkloadsGpusCpuAndMemoryComeBackExactly() {
    MetricsResult result = metrics.query(new MetricsRequest(List.of(JOB_0, JOB_1), START, END, STEP));

    assertEquals(Map.of(), result.unavailable());
    // GPU 0 is job.0's by the lookup only; GPU 1 names job.1 in its own series; GPU 2 is shared, so
    // only the per-container series put job.1 on it. GPU 3 is jobx1's and n2's GPU is other/job.1's.
    Map<String, String> gpu0 = Map.of("node", "n1", "gpu", "0", "uuid", "GPU-n1-0", "model", "H100", "pod", "job.0");
    Map<String, String> gpu1 = Map.of("node", "n1", "gpu", "1", "uuid", "GPU-n1-1", "model", "H100");
    Map<String, String> gpu2 = Map.of("node", "n1", "gpu", "2", "uuid", "GPU-n1-2", "model", "H100");
    assertEquals(List.of(
            new Series(MetricNames.GPU_UTILIZATION, gpu0,
                steps(t -> t == T0 + 180 ? Double.NaN : (t - T0) / (double) SAMPLE_EVERY)),
            new Series(MetricNames.GPU_UTILIZATION, gpu1, steps(t -> 50.0)),
            new Series(MetricNames.GPU_UTILIZATION, gpu2, steps(t -> 70.0)),
            new Series(MetricNames.GPU_UTILIZATION, Map.of("aggregate", "average"),
                steps(t -> t == T0 + 180 ? 60 : ((t - T0) / (double) SAMPLE_EVERY + 120) / 3))),
        lines(result, MetricNames.GPU_UTILIZATION), "the NaN sample is a step without a point");
    assertEquals(List.of(
            new Series(MetricNames.GPU_MEMORY_USED, gpu0, steps(t -> 1000 * MIB)),
            new Series(MetricNames.GPU_MEMORY_USED, gpu1, steps(t -> 2000 * MIB)),
            new Series(MetricNames.GPU_MEMORY_USED, gpu2, steps(t -> 3000 * MIB))),
        lines(result, MetricNames.GPU_MEMORY_USED));
    // job.0 runs 0.5 cores and job.1 2 (1.5 + 0.5 in two containers) of their 1 + 3 requested; the
    // pods' own cgroups, sandboxes and the other pods' series count for nothing.
    assertClose(steps(t -> 62.5), lines(result, MetricNames.CPU_UTILIZATION));
    assertEquals(List.of(new Series(MetricNames.CPU_MEMORY_USAGE, Map.of(), steps(t -> 4 * GIB))),
        lines(result, MetricNames.CPU_MEMORY_USAGE));
    assertEquals(List.of(new Series(MetricNames.CPU_MEMORY_UTILIZATION, Map.of(), steps(t -> 50.0))),
        lines(result, MetricNames.CPU_MEMORY_UTILIZATION));
  }

  @Test
  void hostileNamesSelectNothingAndBreakNothing() {
    List<PodRef> pods = List.of(JOB_0, JOB_1,
        new PodRef("ns", ".*", "uid-2", "n1\",gpu=~\".+", 0, 0),
        new PodRef("ns\"} or DCGM_FI_DEV_GPU_UTIL{gpu=~\".+", "job.1", "uid-3", null, 0, 0),
        new PodRef("ns", "job.0|jobx1", "uid-4", null, 0, 0));

    MetricsResult hostile = new PrometheusMetrics(
            new PrometheusConfig(url, Duration.ofSeconds(10), Duration.ofMinutes(2)),
            pod -> pod.name().equals(".*") ? List.of(3) : LOOKUP.gpus(pod))
        .query(new MetricsRequest(pods, START, END, STEP));
    MetricsResult plain = metrics.query(new MetricsRequest(List.of(JOB_0, JOB_1), START, END, STEP));

    assertEquals(plain, hostile);
  }

  @Test
  void prometheusOwnErrorReachesTheCallerInItsWords() {
    PrometheusClient client = new PrometheusClient(PrometheusConfig.of(url), HttpClient.newHttpClient(), new ObjectMapper());

    CompletionException e = assertThrows(
        CompletionException.class, () -> client.queryRange("sum(DCGM_FI_DEV_GPU_UTIL{", START, END, STEP).join());

    MetricsUnavailableException unavailable = assertInstanceOf(MetricsUnavailableException.class, e.getCause());
    assertTrue(unavailable.getMessage().startsWith("Prometheus at " + url + " failed the query (bad_data, HTTP 400): "),
        unavailable.getMessage());
    assertTrue(unavailable.getMessage().contains("parse error"), unavailable.getMessage());
  }

  @Test
  void infinitiesAndNotANumberAsPrometheusWritesThemAreStepsWithoutPoints() {
    PrometheusClient client = new PrometheusClient(PrometheusConfig.of(url), HttpClient.newHttpClient(), new ObjectMapper());
    String query = Stream.of("vector(1) / 0:inf", "vector(-1) / 0:-inf", "vector(0) / 0:nan", "vector(2):two")
        .map(q -> q.split(":", 2))
        .map(q -> "label_replace(" + q[0] + ", \"v\", \"" + q[1] + "\", \"\", \"\")")
        .collect(java.util.stream.Collectors.joining(" or "));

    List<QueryRangeResponse.RawSeries> found = client.queryRange(query, START, END, STEP).join();

    assertEquals(4, found.size(), found.toString());
    for (QueryRangeResponse.RawSeries series : found) {
      assertEquals(series.labels().get("v").equals("two") ? steps(t -> 2.0) : List.of(), series.points(),
          series.toString());
    }
  }

  /** A point per step of the request, but where {@code value} is NaN. */
  private static List<Series.Point> steps(LongToDoubleFunction value) {
    List<Series.Point> points = new ArrayList<>();
    for (long t = START.getEpochSecond(); t <= END.getEpochSecond(); t += STEP.toSeconds()) {
      double v = value.applyAsDouble(t);
      if (!Double.isNaN(v)) {
        points.add(new Series.Point(t, v));
      }
    }
    return points;
  }

  private static List<Series> lines(MetricsResult result, String metric) {
    return result.series().stream().filter(s -> s.metric().equals(metric)).toList();
  }

  /** A rate is extrapolated in floating point: equal to within rounding. */
  private static void assertClose(List<Series.Point> expected, List<Series> actual) {
    assertEquals(1, actual.size(), actual.toString());
    List<Series.Point> points = actual.get(0).points();
    assertEquals(expected.size(), points.size(), points.toString());
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(expected.get(i).time(), points.get(i).time());
      assertEquals(expected.get(i).value(), points.get(i).value(), 1e-9, points.toString());
    }
  }

  /** The cluster's series over ten minutes, as the node agents and kubelets would have exported them. */
  private static String openMetrics() {
    StringBuilder out = new StringBuilder();
    String n1 = "Hostname=\"n1\",modelName=\"H100\",";
    gauge(out, "DCGM_FI_DEV_GPU_UTIL", n1 + "gpu=\"0\",UUID=\"GPU-n1-0\",pod=\"\",namespace=\"\",container=\"\"",
        t -> t == T0 + 180 ? Double.NaN : (t - T0) / (double) SAMPLE_EVERY);
    gauge(out, "DCGM_FI_DEV_GPU_UTIL", n1 + "gpu=\"1\",UUID=\"GPU-n1-1\",pod=\"job.1\",namespace=\"ns\",container=\"main\"",
        t -> 50.0);
    gauge(out, "DCGM_FI_DEV_GPU_UTIL", n1 + "gpu=\"2\",UUID=\"GPU-n1-2\",pod=\"\",namespace=\"\",container=\"\"",
        t -> 70.0);
    gauge(out, "DCGM_FI_DEV_GPU_UTIL", n1 + "gpu=\"3\",UUID=\"GPU-n1-3\",pod=\"jobx1\",namespace=\"ns\",container=\"main\"",
        t -> 99.0);
    gauge(out, "DCGM_FI_DEV_GPU_UTIL",
        "Hostname=\"n2\",modelName=\"H100\",gpu=\"0\",UUID=\"GPU-n2-0\",pod=\"job.1\",namespace=\"other\",container=\"main\"",
        t -> 98.0);
    gauge(out, "DCGM_FI_DEV_FB_USED", n1 + "gpu=\"0\",UUID=\"GPU-n1-0\",pod=\"\",namespace=\"\",container=\"\"", t -> 1000.0);
    gauge(out, "DCGM_FI_DEV_FB_USED", n1 + "gpu=\"1\",UUID=\"GPU-n1-1\",pod=\"job.1\",namespace=\"ns\",container=\"main\"",
        t -> 2000.0);
    gauge(out, "DCGM_FI_DEV_FB_USED", n1 + "gpu=\"2\",UUID=\"GPU-n1-2\",pod=\"\",namespace=\"\",container=\"\"", t -> 3000.0);
    gauge(out, "DCGM_FI_DEV_FB_USED", n1 + "gpu=\"3\",UUID=\"GPU-n1-3\",pod=\"jobx1\",namespace=\"ns\",container=\"main\"",
        t -> 4000.0);
    gauge(out, "DCGM_FI_DEV_FB_USED",
        "Hostname=\"n2\",modelName=\"H100\",gpu=\"0\",UUID=\"GPU-n2-0\",pod=\"job.1\",namespace=\"other\",container=\"main\"",
        t -> 5000.0);
    String container = "tessera_container_gpu_memory_used_bytes";
    gauge(out, container, "pod=\"job.1\",namespace=\"ns\",container=\"main\",UUID=\"GPU-n1-1\"", t -> 1e9);
    gauge(out, container, "pod=\"job.1\",namespace=\"ns\",container=\"main\",UUID=\"GPU-n1-2\"", t -> 1e9);
    gauge(out, container, "pod=\"other\",namespace=\"ns2\",container=\"main\",UUID=\"GPU-n1-2\"", t -> 1e9);
    gauge(out, container, "pod=\"jobx1\",namespace=\"ns\",container=\"main\",UUID=\"GPU-n1-3\"", t -> 1e9);
    String cpu = "container_cpu_usage_seconds_total";
    gauge(out, cpu, "namespace=\"ns\",pod=\"job.0\",container=\"main\"", t -> 0.5 * (t - T0));
    gauge(out, cpu, "namespace=\"ns\",pod=\"job.0\",container=\"POD\"", t -> 10.0 * (t - T0));
    gauge(out, cpu, "namespace=\"ns\",pod=\"job.0\"", t -> 10.5 * (t - T0));
    gauge(out, cpu, "namespace=\"ns\",pod=\"job.1\",container=\"main\"", t -> 1.5 * (t - T0));
    gauge(out, cpu, "namespace=\"ns\",pod=\"job.1\",container=\"sidecar\"", t -> 0.5 * (t - T0));
    gauge(out, cpu, "namespace=\"ns\",pod=\"jobx1\",container=\"main\"", t -> 7.0 * (t - T0));
    gauge(out, cpu, "namespace=\"other\",pod=\"job.1\",container=\"main\"", t -> 9.0 * (t - T0));
    String memory = "container_memory_working_set_bytes";
    gauge(out, memory, "namespace=\"ns\",pod=\"job.0\",container=\"main\"", t -> (double) GIB);
    gauge(out, memory, "namespace=\"ns\",pod=\"job.0\",container=\"POD\"", t -> (double) MIB);
    gauge(out, memory, "namespace=\"ns\",pod=\"job.0\"", t -> 2.0 * GIB);
    gauge(out, memory, "namespace=\"ns\",pod=\"job.1\",container=\"main\"", t -> 2.0 * GIB);
    gauge(out, memory, "namespace=\"ns\",pod=\"job.1\",container=\"sidecar\"", t -> (double) GIB);
    gauge(out, memory, "namespace=\"ns\",pod=\"jobx1\",container=\"main\"", t -> 5.0 * GIB);
    gauge(out, memory, "namespace=\"other\",pod=\"job.1\",container=\"main\"", t -> 7.0 * GIB);
    return out.append("# EOF\n").toString();
  }

  /** One series' samples, every {@link #SAMPLE_EVERY} seconds from {@link #T0}. */
  private static void gauge(StringBuilder out, String name, String labels, LongToDoubleFunction value) {
    for (int i = 0; i < SAMPLES; i++) {
      long t = T0 + (long) i * SAMPLE_EVERY;
      double v = value.applyAsDouble(t);
      out.append(name).append('{').append(labels).append("} ")
          .append(Double.isNaN(v) ? "NaN" : Double.toString(v)).append(' ').append(t).append('\n');
    }
  }
}
