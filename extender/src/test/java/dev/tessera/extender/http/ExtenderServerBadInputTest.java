package dev.tessera.extender.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.extender.ExtenderConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Wrong requests get a specific JSON reason, and never stop the server serving the next one. */
class ExtenderServerBadInputTest {
  private static final int TEN_MB = 10 * 1024 * 1024;

  private final ScriptedHandler handler = new ScriptedHandler();
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private ExecutorService bindExecutor;
  private ExtenderServer server;
  private HttpClient client;

  @BeforeEach
  void start() {
    bindExecutor = Executors.newSingleThreadExecutor();
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

  static Stream<Arguments> badRequests() {
    String pod = "{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"uid\":\"u\"}}";
    return Stream.of(
        Arguments.of(
            "/filter",
            "{\"Pod\": {\"metadata\": }",
            "malformed JSON at line 1 column 22: Unexpected character ('}' (code 125)): expected a"
                + " value"),
        Arguments.of(
            "/filter",
            "{\"Pod\": {",
            "malformed JSON at line 1 column 10: Unexpected end-of-input: expected close marker for"
                + " Object (start marker at line 1 column 9)"),
        Arguments.of(
            "/filter",
            "{\"Pod\":" + pod + ",\"NodeNames\": 5}",
            "NodeNames must be an array of strings, not a number"),
        Arguments.of(
            "/prioritize",
            "{\"Pod\": [], \"NodeNames\": []}",
            "Pod must be a v1.Pod object, not an array"),
        Arguments.of("/filter", "{\"NodeNames\": [\"n1\"]}", "Pod is missing"),
        Arguments.of("/filter", "", "request body is empty; expected ExtenderArgs JSON"),
        Arguments.of(
            "/filter",
            "{\"Pod\":{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\"}},\"NodeNames\":[\"n1\"]}",
            "Pod.metadata.uid is missing"),
        Arguments.of(
            "/bind",
            "[]",
            "request body must be a JSON object (ExtenderBindingArgs), not an array"),
        Arguments.of("/bind", "{\"PodName\":\"p\"}", "PodNamespace is missing"),
        Arguments.of(
            "/bind",
            "{\"PodName\":\"\\u0000\",\"PodNamespace\":\"ns\",\"PodUID\":\"u\",\"Node\":\"n1\"}",
            "PodName '\\u0000' has U+0000 at position 0; it must be a DNS-1123 subdomain: at most 253 lowercase"
                + " letters, digits, '-' and '.', starting and ending with a letter or digit"),
        Arguments.of(
            "/bind",
            "{\"PodName\":\"" + "p".repeat(10_000) + "\",\"PodNamespace\":\"ns\",\"PodUID\":\"u\",\"Node\":\"n1\"}",
            "PodName is 10000 characters long; it must be a DNS-1123 subdomain: at most 253 lowercase letters,"
                + " digits, '-' and '.', starting and ending with a letter or digit"),
        Arguments.of(
            "/bind",
            "{\"PodName\":\"p\\ud800\",\"PodNamespace\":\"ns\",\"PodUID\":\"u\",\"Node\":\"n1\"}",
            "PodName 'p\\ud800' has U+D800 at position 1; it must be a DNS-1123 subdomain: at most 253 lowercase"
                + " letters, digits, '-' and '.', starting and ending with a letter or digit"),
        Arguments.of(
            "/bind",
            "{\"PodName\":\"p\",\"PodNamespace\":\"Team.A\",\"PodUID\":\"u\",\"Node\":\"n1\"}",
            "PodNamespace 'Team.A' has 'T' at position 0; it must be a DNS-1123 label: at most 63 lowercase"
                + " letters, digits and '-', starting and ending with a letter or digit"),
        Arguments.of(
            "/bind",
            "{\"PodName\":\"p\",\"PodNamespace\":\"ns\",\"PodUID\":\"u u\",\"Node\":\"n1\"}",
            "PodUID has a space at position 1; a UID is printable ASCII"),
        Arguments.of(
            "/bind",
            "{\"PodName\":\"p\",\"PodNamespace\":\"ns\",\"PodUID\":\"u\",\"Node\":\"-n1\"}",
            "Node '-n1' has '-' at position 0; it must be a DNS-1123 subdomain: at most 253 lowercase letters,"
                + " digits, '-' and '.', starting and ending with a letter or digit"),
        Arguments.of(
            "/filter",
            "{\"Pod\":{\"metadata\":{\"name\":\"p/../x\",\"namespace\":\"ns\",\"uid\":\"u\"}},\"NodeNames\":[\"n1\"]}",
            "Pod.metadata.name 'p/../x' has '/' at position 1; it must be a DNS-1123 subdomain: at most 253"
                + " lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"),
        Arguments.of(
            "/preempt",
            "{\"Pod\":" + pod + ",\"NodeNameToMetaVictims\":[]}",
            "NodeNameToMetaVictims must be an object of victims per node name, not an array"));
  }

  @ParameterizedTest(name = "{0} {2}")
  @MethodSource("badRequests")
  void refusesBadBodiesWithA400AndASpecificReason(String path, String body, String reason)
      throws Exception {
    HttpResponse<String> response = post(path, body);

    assertEquals(400, response.statusCode());
    assertEquals("application/json", response.headers().firstValue("content-type").orElseThrow());
    assertEquals(reason, Samples.tree(response.body()).get("Error").asText());
    assertTrue(handler.pods.isEmpty() && handler.binds.isEmpty(), "nothing reached the core");
    assertEquals(200, post("/filter", Samples.text("filter-request.json")).statusCode());
  }

  @Test
  void refusesATenMegabyteBodyAndKeepsServingNewConnections() throws Exception {
    byte[] body = tenMegabytesOfNodeNames();

    HttpResponse<String> response =
        send(
            HttpRequest.newBuilder(uri("/filter"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));

    assertEquals(400, response.statusCode());
    assertEquals(
        "request body of "
            + body.length
            + " bytes exceeds the limit of 8388608 (--max-request-bytes); use nodeCacheCapable:"
            + " true",
        Samples.tree(response.body()).get("Error").asText());
    assertEquals("close", response.headers().firstValue("connection").orElseThrow());
    assertTrue(handler.nodeNames.isEmpty());
    assertEquals(200, post("/filter", Samples.text("filter-request.json")).statusCode());
    assertTrue(
        get("/metrics")
            .body()
            .contains("tessera_extender_bad_requests_total{verb=\"filter\"} 1.0"));
  }

  @Test
  void refusesATooLargeChunkedBody() throws Exception {
    byte[] body = tenMegabytesOfNodeNames();

    HttpResponse<String> response =
        send(
            HttpRequest.newBuilder(uri("/prioritize"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream(body))));

    assertEquals(400, response.statusCode());
    assertEquals(
        "request body exceeds the limit of 8388608 (--max-request-bytes); use nodeCacheCapable:"
            + " true",
        Samples.tree(response.body()).get("Error").asText());
    assertEquals(200, post("/prioritize", Samples.text("prioritize-request.json")).statusCode());
  }

  @Test
  void refusesATooLargeBodyAnnouncedWithExpectContinueBeforeItIsSent() throws Exception {
    // A raw socket: java.net.http on JDK 17 waits forever when "Expect: 100-continue" is
    // answered with a final status (JDK-8286171).
    try (RawHttp http = new RawHttp(server.port())) {
      http.send(
          "POST /filter HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              + "Expect: 100-continue\r\nContent-Length: "
              + TEN_MB
              + "\r\n\r\n");
      RawHttp.Response response = http.read();

      assertEquals(400, response.status());
      assertEquals(
          "request body of "
              + TEN_MB
              + " bytes exceeds the limit of 8388608 (--max-request-bytes); use nodeCacheCapable:"
              + " true",
          Samples.tree(response.body()).get("Error").asText());
      assertTrue(http.closedByServer(), "the server stops writing after the refusal");
    }
    assertEquals(200, post("/filter", Samples.text("filter-request.json")).statusCode());
  }

  @Test
  void answersAnExpectContinueWithinTheLimitAndServesTheBody() throws Exception {
    String body = Samples.text("filter-request.json");
    try (RawHttp http = new RawHttp(server.port())) {
      http.send(
          "POST /filter HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              + "Expect: 100-continue\r\nContent-Length: "
              + body.getBytes(StandardCharsets.UTF_8).length
              + "\r\n\r\n");
      assertEquals(100, http.read().status());
      http.send(body);
      assertEquals(200, http.read().status());
    }
  }

  @Test
  void answersAnUnknownPathWith404() throws Exception {
    HttpResponse<String> response = post("/scheduler/filter", Samples.text("filter-request.json"));

    assertEquals(404, response.statusCode());
    assertEquals(
        "nothing is served at /scheduler/filter; the extender serves POST /filter, /prioritize,"
            + " /bind, /preempt and GET /healthz, /readyz, /syncedz, /metrics",
        Samples.tree(response.body()).get("Error").asText());
  }

  @Test
  void answersTheWrongMethodWith405() throws Exception {
    HttpResponse<String> getFilter = get("/filter");
    assertEquals(405, getFilter.statusCode());
    assertEquals("POST", getFilter.headers().firstValue("allow").orElseThrow());
    assertEquals(
        "/filter takes POST, not GET", Samples.tree(getFilter.body()).get("Error").asText());

    HttpResponse<String> postHealth = post("/healthz", "{}");
    assertEquals(405, postHealth.statusCode());
    assertEquals("GET", postHealth.headers().firstValue("allow").orElseThrow());
  }

  @Test
  void survivesARunOfBadRequestsOnOneConnection() throws Exception {
    try (RawHttp http = new RawHttp(server.port())) {
      for (String body : new String[] {"{", "[]", "{\"Pod\":5}", "\"x\"", "{}}"}) {
        http.send(RawHttp.post("/filter", body));
        assertEquals(400, http.read().status());
      }
      http.send(RawHttp.post("/filter", Samples.text("filter-request.json")));
      assertEquals(200, http.read().status(), "bad bodies do not close a keep-alive connection");
    }
  }

  private static byte[] tenMegabytesOfNodeNames() {
    byte[] body = new byte[TEN_MB];
    byte[] head = "{\"Pod\":{},\"NodeNames\":[".getBytes(StandardCharsets.US_ASCII);
    Arrays.fill(body, (byte) ' ');
    System.arraycopy(head, 0, body, 0, head.length);
    body[body.length - 2] = ']';
    body[body.length - 1] = '}';
    return body;
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    return send(
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)));
  }

  private HttpResponse<String> get(String path) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return client.send(
        request.timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.port() + path);
  }
}
