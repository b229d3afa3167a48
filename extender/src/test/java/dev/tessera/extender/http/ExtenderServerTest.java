package dev.tessera.extender.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.extender.ExtenderConfig;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.verbs.ExtenderHandler;
import dev.tessera.extender.verbs.FilterDecision;
import dev.tessera.extender.verbs.WirePod;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The server over real loopback HTTP, with a scripted decision core. */
class ExtenderServerTest {
  private static final String SAMPLE_FAILED =
      "no GPU with 0.50 free: best has 0.25 free (GPU-3f1a...)";
  private static final String SAMPLE_UNRESOLVABLE =
      "node pool h100 is not allowed for project vision";

  private final ScriptedHandler handler = new ScriptedHandler();
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final AtomicInteger bindThreadCount = new AtomicInteger();
  private ExecutorService bindExecutor;
  private ExtenderServer server;
  private HttpClient client;

  @BeforeEach
  void start() {
    bindExecutor =
        Executors.newFixedThreadPool(
            4, r -> new Thread(r, "test-bind-" + bindThreadCount.incrementAndGet()));
    server =
        new ExtenderServer(ExtenderConfig.defaults().withPort(0), handler, registry, bindExecutor);
    server.start();
    client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
  }

  @AfterEach
  void stop() {
    server.close();
    bindExecutor.shutdownNow();
  }

  @Test
  void answersTheSampleFilterRequestLikeTheSampleResponse() throws Exception {
    handler.filter =
        (pod, names) ->
            new FilterDecision(
                new String[] {SAMPLE_FAILED, null, SAMPLE_UNRESOLVABLE},
                new boolean[] {false, false, true},
                "");

    HttpResponse<String> response = post("/filter", Samples.text("filter-request.json"));

    assertEquals(200, response.statusCode());
    assertEquals("application/json", response.headers().firstValue("content-type").orElseThrow());
    assertEquals(Samples.sampleTree("filter-response.json"), Samples.tree(response.body()));
    assertTrue(response.body().contains("\"Nodes\":null"), "Go's nil NodeList is written as null");
  }

  @Test
  void handsTheDecisionCoreThePodAsSent() throws Exception {
    post("/filter", Samples.text("filter-request.json"));

    WirePod pod = handler.pods.get(0);
    assertEquals(
        new PodKey("team-vision", "train-resnet-worker-1", "5f0c1d2e-7a4b-4c1e-9f3a-1b2c3d4e5f60"),
        pod.key());
    assertEquals("train-resnet", pod.labels().get("scheduling.x-k8s.io/pod-group"));
    assertEquals("0.5", pod.annotations().get("gpu-fraction"));
    assertEquals(Arrays.asList((String) null), pod.gpuQuantities());
    assertEquals(50, pod.priority());
    assertEquals(List.of("gpu-a100-01", "gpu-a100-02", "gpu-h100-01"), handler.nodeNames.get(0));
  }

  @Test
  void answersFullNodeRequestsWithThePassingNodesBytesUnchanged() throws Exception {
    String body = Samples.text("filter-request-full-nodes.json");
    handler.filter =
        (pod, names) ->
            new FilterDecision(new String[] {null, "all 8 GPUs in use", null}, new boolean[3], "");

    HttpResponse<String> response = post("/filter", body);

    assertEquals(200, response.statusCode());
    assertEquals(List.of("2"), handler.pods.get(0).gpuQuantities());
    JsonNode answer = Samples.tree(response.body());
    assertTrue(answer.get("NodeNames").isNull());
    JsonNode sent = Samples.tree(body).at("/Nodes/items");
    assertEquals(2, answer.at("/Nodes/items").size());
    assertEquals(sent.get(0), answer.at("/Nodes/items/0"));
    assertEquals(sent.get(2), answer.at("/Nodes/items/1"));
    // Byte for byte, whitespace and non-ASCII included: the original text of both nodes.
    for (int i : new int[] {0, 2}) {
      String original = nodeText(body, i);
      assertTrue(response.body().contains(original), "node " + i + " copied verbatim");
    }
    assertTrue(response.body().contains("Rack 3 — Zürich hall (ü, ß, 東京)"));
  }

  @Test
  void answersPrioritizeWithAHostPriorityList() throws Exception {
    handler.prioritize = (pod, names) -> new int[] {7};

    HttpResponse<String> response = post("/prioritize", Samples.text("prioritize-request.json"));

    assertEquals(200, response.statusCode());
    assertEquals("[{\"Host\":\"gpu-a100-02\",\"Score\":7}]", response.body());
    assertEquals(Samples.sampleTree("prioritize-response.json"), Samples.tree(response.body()));
  }

  @Test
  void bindsOnTheBindExecutorAndReportsItsResult() throws Exception {
    HttpResponse<String> ok = post("/bind", Samples.text("bind-request.json"));

    assertEquals(200, ok.statusCode());
    assertEquals(Samples.sampleTree("bind-response.json"), Samples.tree(ok.body()));
    assertEquals(
        new ExtenderHandler.BindRequest(
            "train-resnet-worker-1",
            "team-vision",
            "5f0c1d2e-7a4b-4c1e-9f3a-1b2c3d4e5f60",
            "gpu-a100-02"),
        handler.binds.get(0));
    assertTrue(
        handler.bindThreads.get(0).getName().startsWith("test-bind-"),
        "bind ran on " + handler.bindThreads.get(0).getName() + ", not the injected executor");

    handler.bind = request -> "node gpu-a100-02 no longer has 0.5 of a GPU free";
    HttpResponse<String> failed = post("/bind", Samples.text("bind-request.json"));

    assertEquals(200, failed.statusCode(), "a failed bind is an answer, not an HTTP error");
    assertEquals("{\"Error\":\"node gpu-a100-02 no longer has 0.5 of a GPU free\"}", failed.body());
  }

  @Test
  void answersPreemptionWithMetaVictims() throws Exception {
    HttpResponse<String> response = post("/preempt", Samples.text("preempt-request.json"));

    assertEquals(200, response.statusCode());
    assertEquals(Samples.sampleTree("preempt-response.json"), Samples.tree(response.body()));
  }

  @Test
  void answersPreemptionOfWholePodVictimsWithTheirUids() throws Exception {
    String body =
        "{\"Pod\":"
            + Samples.tree(Samples.text("preempt-request.json")).get("Pod")
            + ",\"NodeNameToMetaVictims\":null,\"NodeNameToVictims\":{"
            + "\"gpu-a100-01\":{\"Pods\":["
            + WireReaderTest.podWithUid("uid-1")
            + ","
            + WireReaderTest.podWithUid("uid-2")
            + "],\"NumPDBViolations\":1},"
            + "\"gpu-a100-02\":{\"Pods\":["
            + WireReaderTest.podWithUid("uid-3")
            + "],\"NumPDBViolations\":0}}}";
    handler.preempt = (pod, offered) -> Map.of("gpu-a100-01", List.of("uid-2"));

    HttpResponse<String> response = post("/preempt", body);

    assertEquals(200, response.statusCode());
    assertEquals(
        Map.of("gpu-a100-01", List.of("uid-1", "uid-2"), "gpu-a100-02", List.of("uid-3")),
        handler.victims.get(0));
    assertEquals(
        "{\"NodeNameToMetaVictims\":{\"gpu-a100-01\":{\"Pods\":[{\"UID\":\"uid-2\"}],"
            + "\"NumPDBViolations\":1}}}",
        response.body());
  }

  @Test
  void servesHealthAndReadiness() throws Exception {
    HttpResponse<String> health = get("/healthz");
    assertEquals(200, health.statusCode());
    assertEquals("ok", health.body());

    handler.ready.set(false);
    HttpResponse<String> notReady = get("/readyz");
    assertEquals(503, notReady.statusCode());
    assertTrue(Samples.tree(notReady.body()).get("Error").asText().startsWith("not ready"));

    handler.ready.set(true);
    HttpResponse<String> ready = get("/readyz");
    assertEquals(200, ready.statusCode());
    assertEquals("ok", ready.body());
  }

  @Test
  void aSchedulingCallBeforeReadinessWaitsForItAndIsThenAnswered() throws Exception {
    handler.ready.set(false);
    java.util.concurrent.CompletableFuture<HttpResponse<String>> answer = client.sendAsync(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/filter"))
            .POST(HttpRequest.BodyPublishers.ofString(Samples.text("filter-request.json"))).build(),
        HttpResponse.BodyHandlers.ofString());
    Thread.sleep(300);
    assertFalse(answer.isDone(), "nothing is decided from a cache still being filled");
    assertTrue(handler.pods.isEmpty(), "the decision core was not asked");
    handler.ready.set(true);
    HttpResponse<String> response = answer.get(5, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(200, response.statusCode());
    assertEquals(1, handler.pods.size());
    assertEquals(200, post("/filter", Samples.text("filter-request.json")).statusCode(), "the connection serves on");
  }

  @Test
  void aSchedulingCallStillUnreadyAfterTheWaitGetsA503() throws Exception {
    server.close();
    ExtenderConfig d = ExtenderConfig.defaults();
    server = new ExtenderServer(new ExtenderConfig(0, d.defaultStrategy(), d.bindTimeout(), d.assumeTtl(),
        d.maxRequestBytes(), Duration.ofMillis(200)), handler, registry, bindExecutor);
    server.start();
    handler.ready.set(false);
    long start = System.nanoTime();
    HttpResponse<String> response = post("/bind", Samples.text("bind-request.json"));
    long waited = System.nanoTime() - start;
    assertEquals(503, response.statusCode());
    assertTrue(Samples.tree(response.body()).get("Error").asText().startsWith("the extender is starting"));
    assertTrue(waited >= Duration.ofMillis(200).toNanos(), "answered after the wait, not at once");
    assertTrue(handler.binds.isEmpty());
  }

  @Test
  void exposesRequestMetricsInPrometheusTextFormat() throws Exception {
    post("/filter", Samples.text("filter-request.json"));
    post("/filter", "{");

    HttpResponse<String> metrics = get("/metrics");

    assertEquals(200, metrics.statusCode());
    assertEquals(
        "text/plain; version=0.0.4; charset=utf-8",
        metrics.headers().firstValue("content-type").orElseThrow());
    assertTrue(
        metrics
            .body()
            .contains("tessera_extender_requests_seconds_count{outcome=\"ok\",verb=\"filter\"} 1"),
        metrics.body());
    assertTrue(
        metrics
            .body()
            .contains(
                "tessera_extender_requests_seconds_count{outcome=\"bad_request\",verb=\"filter\"}"
                    + " 1"));
    assertTrue(metrics.body().contains("tessera_extender_bad_requests_total{verb=\"filter\"} 1.0"));
    assertTrue(
        metrics
            .body()
            .contains("tessera_extender_requests_seconds_count{outcome=\"ok\",verb=\"bind\"} 0"),
        "every verb and outcome is registered up front");
  }

  @Test
  void answers500WhenTheDecisionCoreThrowsAndKeepsServing() throws Exception {
    handler.filter =
        (pod, names) -> {
          throw new IllegalStateException("snapshot is inconsistent");
        };

    HttpResponse<String> failed = post("/filter", Samples.text("filter-request.json"));

    assertEquals(500, failed.statusCode());
    assertEquals(
        "filter of pod team-vision/train-resnet-worker-1 failed:"
            + " java.lang.IllegalStateException: snapshot is inconsistent",
        Samples.tree(failed.body()).get("Error").asText());

    handler.filter = new ScriptedHandler().filter;
    assertEquals(200, post("/filter", Samples.text("filter-request.json")).statusCode());

    handler.bind =
        request -> {
          throw new AssertionError("bind bug");
        };
    HttpResponse<String> bindFailed = post("/bind", Samples.text("bind-request.json"));
    assertEquals(500, bindFailed.statusCode());
    assertTrue(Samples.tree(bindFailed.body()).get("Error").asText().contains("bind bug"));
    handler.bind = request -> "";
    assertEquals(200, post("/bind", Samples.text("bind-request.json")).statusCode());
  }

  @Test
  void answers500WhenTheDecisionDoesNotCoverTheNodesSent() throws Exception {
    handler.prioritize = (pod, names) -> new int[] {1, 2};

    HttpResponse<String> response = post("/prioritize", Samples.text("prioritize-request.json"));

    assertEquals(500, response.statusCode());
    assertTrue(
        Samples.tree(response.body())
            .get("Error")
            .asText()
            .endsWith("prioritize returned 2 scores but the request sent 1 nodes"),
        response.body());
  }

  @Test
  void servesManyConcurrentKeepAliveClients() throws Exception {
    handler.filter =
        (pod, names) -> {
          String[] reasons = new String[names.size()];
          reasons[0] = "busy " + pod.key().uid();
          reasons[2] = "full";
          return new FilterDecision(reasons, new boolean[names.size()], "");
        };
    int threads = 16;
    int calls = 200;
    ExecutorService clients = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        results.add(
            clients.submit(
                () -> {
                  int good = 0;
                  for (int i = 0; i < calls; i++) {
                    String uid = "uid-" + thread + "-" + i;
                    String body =
                        "{\"Pod\":{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"uid\":\""
                            + uid
                            + "\"}},\"NodeNames\":[\"n1\",\"n2\",\"n3\"]}";
                    HttpResponse<String> response = post("/filter", body);
                    if (response.statusCode() == 200
                        && response
                            .body()
                            .equals(
                                "{\"Nodes\":null,\"NodeNames\":[\"n2\"],\"FailedNodes\":{\"n1\":\"busy"
                                    + " "
                                    + uid
                                    + "\",\"n3\":\"full\"},\"FailedAndUnresolvableNodes\":{},\"Error\":\"\"}")) {
                      good++;
                    }
                  }
                  return good;
                }));
      }
      int good = 0;
      for (Future<Integer> result : results) {
        good += result.get(2, TimeUnit.MINUTES);
      }
      assertEquals(threads * calls, good);
    } finally {
      clients.shutdownNow();
    }
  }

  @Test
  void keepsTheConnectionOpenAndAnswersPipelinedRequestsInOrder() throws Exception {
    CountDownLatch bindEntered = new CountDownLatch(1);
    CountDownLatch releaseBind = new CountDownLatch(1);
    handler.bind =
        request -> {
          bindEntered.countDown();
          try {
            releaseBind.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return "";
        };
    try (RawHttp http = new RawHttp(server.port())) {
      http.send(
          RawHttp.post("/bind", Samples.text("bind-request.json"))
              + RawHttp.post("/filter", Samples.text("filter-request.json")));
      assertTrue(bindEntered.await(10, TimeUnit.SECONDS));
      assertTrue(handler.nodeNames.isEmpty(), "the filter waits behind the bind on its connection");
      releaseBind.countDown();

      RawHttp.Response bind = http.read();
      RawHttp.Response filter = http.read();
      assertEquals("{\"Error\":\"\"}", bind.body());
      assertTrue(filter.body().startsWith("{\"Nodes\":null,\"NodeNames\":[\"gpu-a100-01\""));

      http.send(RawHttp.post("/prioritize", Samples.text("prioritize-request.json")));
      assertEquals(200, http.read().status(), "same connection still serves");
    }
  }

  @Test
  void closesTheConnectionWhenTheClientAsks() throws Exception {
    try (RawHttp http = new RawHttp(server.port())) {
      http.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      RawHttp.Response response = http.read();
      assertEquals(200, response.status());
      assertEquals("close", response.headers().get("connection"));
      assertTrue(http.closedByServer());
    }
  }

  @Test
  void refusesAMalformedHttpRequestAndKeepsServingOthers() throws Exception {
    try (RawHttp http = new RawHttp(server.port())) {
      http.send("THIS IS NOT HTTP\r\n\u0000\u0001\r\n\r\n");
      RawHttp.Response response = http.read();
      assertEquals(400, response.status());
      assertTrue(
          Samples.tree(response.body()).get("Error").asText().startsWith("malformed HTTP request"));
      assertTrue(http.closedByServer());
    }
    assertEquals(200, get("/healthz").statusCode());
  }

  @Test
  void stopsServingWhenClosed() {
    int port = server.port();
    server.close();
    server.close();
    assertThrows(IOException.class, () -> new RawHttp(port).close());
  }

  private static String nodeText(String body, int index) {
    // The fixture is written one node per object in "items"; find the index-th by its name.
    String name = List.of("gpu-a100-01", "gpu-a100-02", "gpu-h100-01").get(index);
    int nameAt = body.indexOf("\"name\": \"" + name + "\"");
    int start = body.lastIndexOf("\n  {", nameAt) + 3;
    int end = body.indexOf("\n  }", nameAt) + 4;
    return body.substring(start, end);
  }

  HttpResponse<String> post(String path, String body) throws Exception {
    return send(
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)));
  }

  HttpResponse<String> get(String path) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return client.send(
        request.timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.port() + path);
  }
}
