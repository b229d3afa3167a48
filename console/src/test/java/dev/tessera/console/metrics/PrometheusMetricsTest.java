package dev.tessera.console.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link PrometheusMetrics} against a stand-in Prometheus on loopback: what it sends, how it puts
 * the answers together, and every way the answer can fail.
 */
class PrometheusMetricsTest {
  private static final long GIB = 1024L * 1024 * 1024;
  private static final Instant START = Instant.ofEpochSecond(100);
  private static final Instant END = Instant.ofEpochSecond(160);
  private static final Duration STEP = Duration.ofSeconds(60);

  /** A canned answer: HTTP status and body. */
  private record Answer(int status, String contentType, String body) {
    static Answer matrix(String result) {
      return new Answer(200, "application/json",
          "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[" + result + "]}}");
    }
  }

  private final ExecutorService handlers = Executors.newCachedThreadPool();
  private final Queue<Map<String, String>> received = new ConcurrentLinkedQueue<>();
  /** Answers by a word of the query; an answer of null keeps the request waiting until the test ends. */
  private final Map<String, Answer> answers = new HashMap<>();
  private final CountDownLatch released = new CountDownLatch(1);
  private HttpServer server;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(handlers);
    server.createContext("/prom/api/v1/query_range", this::handle);
    server.start();
  }

  @AfterEach
  void stop() {
    released.countDown();
    server.stop(0);
    handlers.shutdownNow();
  }

  private void handle(HttpExchange exchange) throws IOException {
    Map<String, String> form = new HashMap<>();
    for (String pair : new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8).split("&", -1)) {
      String[] kv = pair.split("=", 2);
      form.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8), URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
    }
    form.put("method", exchange.getRequestMethod());
    received.add(form);
    Answer answer = answers.entrySet().stream()
        .filter(e -> form.get("query").contains(e.getKey()))
        .map(Map.Entry::getValue)
        .findFirst()
        .orElse(Answer.matrix(""));
    if (answer.status() == 0) {
      try {
        released.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.close();
      return;
    }
    byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", answer.contentType());
    exchange.sendResponseHeaders(answer.status(), body.length);
    exchange.getResponseBody().write(body);
    exchange.close();
  }

  private PrometheusMetrics metrics(Duration timeout, GpuLookup gpus) {
    URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/prom");
    return new PrometheusMetrics(new PrometheusConfig(url, timeout, Duration.ofMinutes(2)), gpus);
  }

  private static MetricsRequest request(PodRef... pods) {
    return new MetricsRequest(List.of(pods), START, END, STEP);
  }

  private static List<Series> lines(MetricsResult result, String metric) {
    return result.series().stream().filter(s -> s.metric().equals(metric)).toList();
  }

  private static List<Series.Point> points(long... timesAndValues) {
    List<Series.Point> points = new java.util.ArrayList<>();
    for (int i = 0; i < timesAndValues.length; i += 2) {
      points.add(new Series.Point(timesAndValues[i], timesAndValues[i + 1]));
    }
    return points;
  }

  @Test
  void theAnswersMakeOneLinePerGpuTheirAverageAndThePodsCpuAndMemory() {
    answers.put("DCGM_FI_DEV_GPU_UTIL", Answer.matrix("""
        {"metric":{"Hostname":"n1","gpu":"1","UUID":"GPU-1","modelName":"H100"},"values":[[100,"50"]]},
        {"metric":{"Hostname":"n1","gpu":"0","UUID":"GPU-0","modelName":"H100"},"values":[[100,"10"],[160,"30"]]}"""));
    answers.put("DCGM_FI_DEV_FB_USED", Answer.matrix("""
        {"metric":{"Hostname":"n1","gpu":"0","UUID":"GPU-0","modelName":"H100"},"values":[[100,"1024"]]}"""));
    answers.put("container_cpu_usage_seconds_total", Answer.matrix("""
        {"metric":{"namespace":"ns","pod":"a"},"values":[[100,"0.5"],[160,"0.25"]]},
        {"metric":{"namespace":"ns","pod":"b"},"values":[[100,"1.5"]]}"""));
    answers.put("container_memory_working_set_bytes", Answer.matrix("""
        {"metric":{"namespace":"ns","pod":"a"},"values":[[100,"536870912"]]},
        {"metric":{"namespace":"ns","pod":"b"},"values":[[100,"1073741824"],[160,"1073741824"]]}"""));
    PodRef a = new PodRef("ns", "a", "uid-a", "n1", 1000, GIB);
    PodRef b = new PodRef("ns", "b", "uid-b", "n1", 3000, 3 * GIB);

    MetricsResult result = metrics(Duration.ofSeconds(5), pod -> pod.name().equals("a") ? List.of(0) : List.of(0, 1))
        .query(request(a, b));

    assertEquals("prometheus", result.source());
    assertEquals(Map.of(), result.unavailable());
    assertEquals(List.of(
            new Series(MetricNames.GPU_UTILIZATION,
                Map.of("node", "n1", "gpu", "0", "uuid", "GPU-0", "model", "H100"), points(100, 10, 160, 30)),
            new Series(MetricNames.GPU_UTILIZATION,
                Map.of("node", "n1", "gpu", "1", "uuid", "GPU-1", "model", "H100", "pod", "b"), points(100, 50)),
            new Series(MetricNames.GPU_UTILIZATION, Map.of("aggregate", "average"), points(100, 30, 160, 30))),
        lines(result, MetricNames.GPU_UTILIZATION), "GPU 0 is both pods': it names neither");
    assertEquals(List.of(new Series(MetricNames.GPU_MEMORY_USED,
            Map.of("node", "n1", "gpu", "0", "uuid", "GPU-0", "model", "H100"), points(100, GIB))),
        lines(result, MetricNames.GPU_MEMORY_USED), "MiB become bytes");
    assertEquals(List.of(new Series(MetricNames.CPU_UTILIZATION, Map.of(), points(100, 50, 160, 25))),
        lines(result, MetricNames.CPU_UTILIZATION), "at 160 only pod a ran: 0.25 of its 1 core");
    assertEquals(List.of(new Series(MetricNames.CPU_MEMORY_USAGE, Map.of(),
            List.of(new Series.Point(100, 1.5 * GIB), new Series.Point(160, GIB)))),
        lines(result, MetricNames.CPU_MEMORY_USAGE));
    assertEquals(List.of(new Series(MetricNames.CPU_MEMORY_UTILIZATION, Map.of(),
            List.of(new Series.Point(100, 37.5), new Series.Point(160, 100.0 / 3)))),
        lines(result, MetricNames.CPU_MEMORY_UTILIZATION));
  }

  @Test
  void eachQueryIsAFormPostWithThePeriodStepAndTimeout() {
    new PrometheusMetrics(
            new PrometheusConfig(
                URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/prom/"),
                Duration.ofMillis(2500), Duration.ofSeconds(30)),
            GpuLookup.NONE)
        .query(new MetricsRequest(List.of(new PodRef("ns", "a", "u", "n1", 0, 0)),
            Instant.ofEpochSecond(1700000000, 250_000_000), Instant.ofEpochSecond(1700003600), Duration.ofSeconds(90)));

    assertEquals(4, received.size(), "one query per kind of line, at the base URL even with its trailing slash");
    for (Map<String, String> form : received) {
      assertEquals("POST", form.get("method"));
      assertEquals("1700000000.25", form.get("start"));
      assertEquals("1700003600", form.get("end"));
      assertEquals("90", form.get("step"));
      assertEquals("2500ms", form.get("timeout"));
    }
    assertTrue(received.stream().anyMatch(form -> form.get("query").contains("[90000ms]")),
        "a step longer than the shortest rate window is the window: " + received);
  }

  @Test
  void whatCannotBeMeasuredSaysWhy() {
    PodRef noRequests = new PodRef("ns", "a", "uid-a", "n1", 0, 0);
    answers.put("container_cpu_usage_seconds_total",
        Answer.matrix("{\"metric\":{\"namespace\":\"ns\",\"pod\":\"a\"},\"values\":[[100,\"0.5\"]]}"));
    answers.put("container_memory_working_set_bytes",
        Answer.matrix("{\"metric\":{\"namespace\":\"ns\",\"pod\":\"a\"},\"values\":[[100,\"5\"]]}"));

    MetricsResult result = metrics(Duration.ofSeconds(5), GpuLookup.NONE).query(request(noRequests));

    assertEquals(
        Map.of(
            MetricNames.GPU_UTILIZATION, PrometheusMetrics.noGpuSeries("DCGM_FI_DEV_GPU_UTIL"),
            MetricNames.GPU_MEMORY_USED, PrometheusMetrics.noGpuSeries("DCGM_FI_DEV_FB_USED"),
            MetricNames.CPU_UTILIZATION, PrometheusMetrics.NO_CPU_REQUEST,
            MetricNames.CPU_MEMORY_UTILIZATION, PrometheusMetrics.NO_MEMORY_LIMIT),
        result.unavailable());
    assertEquals(List.of(MetricNames.CPU_MEMORY_USAGE), result.series().stream().map(Series::metric).toList());
  }

  @Test
  void withoutCadvisorSeriesTheCpuMetricsSayWhereTheyComeFrom() {
    MetricsResult result = metrics(Duration.ofSeconds(5), GpuLookup.NONE)
        .query(request(new PodRef("ns", "a", "uid-a", "n1", 1000, GIB)));

    assertEquals(PrometheusMetrics.NO_CPU_SERIES, result.unavailable().get(MetricNames.CPU_UTILIZATION));
    assertEquals(PrometheusMetrics.NO_MEMORY_SERIES, result.unavailable().get(MetricNames.CPU_MEMORY_USAGE));
    assertEquals(PrometheusMetrics.NO_MEMORY_SERIES, result.unavailable().get(MetricNames.CPU_MEMORY_UTILIZATION));
    assertEquals(List.of(), result.series());
  }

  @Test
  void aWorkloadWithoutPodsAsksPrometheusNothing() {
    MetricsResult result = metrics(Duration.ofSeconds(5), GpuLookup.NONE).query(request());

    assertEquals(0, received.size());
    assertEquals(MetricNames.ALL.size(), result.unavailable().size());
    assertTrue(result.unavailable().values().stream().allMatch(PrometheusMetrics.NO_PODS::equals));
  }

  @Test
  void prometheusRefusalComesWithItsOwnWordsAndWhatToDo() {
    answers.put("container_memory_working_set_bytes", new Answer(422, "application/json",
        "{\"status\":\"error\",\"errorType\":\"execution\",\"error\":\"query processing would load too many samples"
            + " into memory in query execution\"}"));

    MetricsUnavailableException e = assertThrows(MetricsUnavailableException.class,
        () -> metrics(Duration.ofSeconds(5), GpuLookup.NONE).query(request(new PodRef("ns", "a", "u", "n1", 1, 1))));

    assertEquals("Prometheus at http://127.0.0.1:" + server.getAddress().getPort() + "/prom failed the query"
            + " (execution, HTTP 422): query processing would load too many samples into memory in query execution."
            + " If it would load too many samples (its --query.max-samples), choose a shorter period or a longer step",
        e.getMessage());
  }

  @Test
  void aQueryPrometheusCallsBadIsReportedAsTesserasBugWithTheQuery() {
    answers.put("DCGM_FI_DEV_GPU_UTIL", new Answer(400, "application/json",
        "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"1:5: parse error\"}"));

    MetricsUnavailableException e = assertThrows(MetricsUnavailableException.class,
        () -> metrics(Duration.ofSeconds(5), GpuLookup.NONE).query(request(new PodRef("ns", "a", "u", "n1", 1, 1))));

    assertTrue(e.getMessage().contains("(bad_data, HTTP 400): 1:5: parse error. Tessera wrote that query, so this is"
        + " a bug in Tessera; report it with the query: max by (Hostname, gpu, UUID, modelName) (DCGM_FI_DEV_GPU_UTIL"),
        e.getMessage());
  }

  @Test
  void aPageThatIsNotPrometheusIsShownAndTheUrlQuestioned() {
    answers.put("DCGM_FI_DEV_GPU_UTIL", new Answer(502, "text/html",
        "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>"));

    MetricsUnavailableException e = assertThrows(MetricsUnavailableException.class,
        () -> metrics(Duration.ofSeconds(5), GpuLookup.NONE).query(request(new PodRef("ns", "a", "u", "n1", 1, 1))));

    assertTrue(e.getMessage().startsWith("Prometheus at http://127.0.0.1:" + server.getAddress().getPort()
        + "/prom answered HTTP 502 with a body that is not its query API's (not JSON"), e.getMessage());
    assertTrue(e.getMessage().contains("it begins: \"<html> <head><title>502 Bad Gateway</title></head> <body>nginx"
        + "</body></html>\"). Check that --prometheus-url is Prometheus' base URL"), e.getMessage());
  }

  @Test
  void aWrongPathSuggestsThePathPrefix() {
    URI wrong = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/elsewhere");

    MetricsUnavailableException e = assertThrows(MetricsUnavailableException.class,
        () -> new PrometheusMetrics(PrometheusConfig.of(wrong), GpuLookup.NONE)
            .query(request(new PodRef("ns", "a", "u", "n1", 1, 1))));

    assertTrue(e.getMessage().contains("answered HTTP 404"), e.getMessage());
    assertTrue(e.getMessage().endsWith("where Prometheus serves under a path prefix (--web.route-prefix), the URL"
        + " must include it"), e.getMessage());
  }

  @Test
  void anUnreachablePrometheusIsNamedWithWhatToCheck() throws IOException {
    int closed;
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = socket.getLocalPort();
    }
    URI url = URI.create("http://127.0.0.1:" + closed);

    MetricsUnavailableException e = assertThrows(MetricsUnavailableException.class,
        () -> new PrometheusMetrics(PrometheusConfig.of(url), GpuLookup.NONE)
            .query(request(new PodRef("ns", "a", "u", "n1", 1, 1))));

    assertTrue(e.getMessage().startsWith("cannot connect to Prometheus at " + url + " ("), e.getMessage());
    assertTrue(e.getMessage().endsWith("check --prometheus-url, that Prometheus runs, and that the console may reach it"),
        e.getMessage());
  }

  @Test
  void aPrometheusThatDoesNotAnswerTimesOut() {
    answers.put("DCGM_FI_DEV_FB_USED", new Answer(0, "", ""));

    MetricsUnavailableException e = assertThrows(MetricsUnavailableException.class,
        () -> metrics(Duration.ofMillis(300), GpuLookup.NONE).query(request(new PodRef("ns", "a", "u", "n1", 1, 1))));

    assertEquals("Prometheus at http://127.0.0.1:" + server.getAddress().getPort() + "/prom did not answer within"
        + " 300ms: it may be overloaded; a shorter period or a longer step asks less of it", e.getMessage());
  }
}
