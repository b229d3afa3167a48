package dev.tessera.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.extender.ExtenderConfig;
import dev.tessera.extender.telemetry.ReportConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The demo a newcomer runs first: every sample pod gets the outcome its request deserves, a
 * workload of each kind runs, and the Workloads API serves them with history in PostgreSQL and
 * metrics from the simulated agents' reports. One demo serves every test here.
 */
class EmbeddedDemoTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static EmbeddedDemo.Running demo;
  private static String printed;

  @BeforeAll
  static void startTheDemo() throws Exception {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
    demo = new EmbeddedDemo(ExtenderConfig.defaults().withPort(0), ReportConfig.defaults().withPort(0),
        Duration.ofMinutes(5), 0, out).start();
    printed = buffer.toString(StandardCharsets.UTF_8);
  }

  @AfterAll
  static void stopTheDemo() {
    if (demo != null) {
      demo.close();
    }
  }

  @Test
  void schedulesTheSamplePodsThroughTheRealEndpointsAndPrintsTheLedger() {
    // Pods the cluster can hold are placed, each named in the ledger the informers rebuilt.
    for (String pod :
        new String[] {
          "team-vision/train-resnet", "team-nlp/finetune-llama", "team-vision/notebook-alice",
          "team-vision/notebook-bob", "team-nlp/embeddings-api", "team-nlp/eval-sharded",
          "team-vision/notebook-carol", "team-nlp/ddp-worker-0", "team-nlp/ddp-worker-1"
        }) {
      assertTrue(printed.contains("  " + pod + " -> gpu-"), pod + " was not placed:\n" + printed);
      String ledger = printed.substring(printed.indexOf("GPU ledger"));
      assertTrue(ledger.contains(pod), pod + " is missing from the ledger:\n" + printed);
    }
    // The two that cannot be placed say why, in words.
    assertTrue(printed.contains("team-nlp/pretrain-huge -> not placed: ") && printed.contains("needs 16 whole GPUs"), printed);
    assertTrue(printed.contains("team-vision/typo-fraction -> not placed: ") && printed.contains("was '1.5'"), printed);
    assertFalse(printed.contains("assumed"), "every binding is confirmed by the informer:\n" + printed);
    // The gang's workers went to the pool they asked for; the projects' figures add up.
    assertTrue(printed.contains("team-nlp/ddp-worker-0 -> gpu-a100-"), printed);
    assertTrue(printed.contains("team-vision    a100          6.00        9.25       9.25     0.00"), printed);
  }

  @Test
  void runsAWorkloadOfEachKindAndSaysHowToTryTheWorkloadsApi() {
    String workloads = printed.substring(printed.indexOf("Workloads, run by the workload controller"));
    for (String row : new String[] {
      "team-vision  jupyter-alice  workspace", "team-vision  vit-finetune   training",
      "team-nlp     bert-pretrain  distributed-training", "team-nlp     llama-serve    inference"}) {
      assertTrue(workloads.contains(row), row + "\n" + printed);
    }
    assertEquals(4, workloads.lines().filter(line -> line.contains(" Running ")).count(), printed);
    // Their pods are in the ledger, on the H100 node that had room.
    String ledger = printed.substring(printed.indexOf("GPU ledger"), printed.indexOf("Projects ("));
    for (String pod : new String[] {"team-vision/vit-finetune-0", "team-vision/jupyter-alice-0",
        "team-nlp/bert-pretrain-master-0", "team-nlp/bert-pretrain-worker-1", "team-nlp/llama-serve-"}) {
      assertTrue(ledger.contains(pod), pod + " is missing from the ledger:\n" + printed);
    }
    String api = demo.workloadsApi().toString();
    assertTrue(printed.contains("alice  tessera-demo-alice   tessera-researcher in team-vision"), printed);
    assertTrue(printed.contains("curl -s -H 'Authorization: Bearer tessera-demo-alice' '" + api
        + "/api/v1/workloads?sortBy=name'"), printed);
    assertTrue(printed.contains(api + "/docs/"), printed);
  }

  @Test
  void theWorkloadsApiShowsEachUserTheProjectsTheyMaySee() throws Exception {
    JsonNode all = JSON.readTree(get("/api/v1/workloads?sortBy=name", "tessera-demo-admin").body());
    Set<String> kinds = new TreeSet<>();
    all.path("items").forEach(row -> kinds.add(row.path("type").asText()));
    assertEquals(Set.of("workspace", "training", "distributed-training", "inference"), kinds, all.toString());
    all.path("items").forEach(row -> assertEquals("Running", row.path("status").asText(), row.toString()));

    JsonNode alices = JSON.readTree(get("/api/v1/workloads?sortBy=name", "tessera-demo-alice").body());
    List<String> names = new ArrayList<>();
    alices.path("items").forEach(row -> names.add(row.path("project").asText() + "/" + row.path("name").asText()));
    assertEquals(List.of("team-vision/jupyter-alice", "team-vision/vit-finetune"), names, alices.toString());

    assertEquals(401, get("/api/v1/workloads", null).statusCode());
  }

  @Test
  void theNewWorkloadFormLearnsWhoIsSignedInTheirProjectsAndItsPolicy() throws Exception {
    assertEquals("alice", JSON.readTree(get("/api/v1/session", "tessera-demo-alice").body()).path("user").asText());
    JsonNode projects = JSON.readTree(get("/api/v1/projects", "tessera-demo-alice").body());
    assertEquals(1, projects.path("items").size(), projects.toString());
    JsonNode vision = projects.path("items").get(0);
    assertEquals("team-vision", vision.path("namespace").asText());
    assertEquals("[\"a100\",\"h100\"]", vision.path("nodePools").toString());
    assertTrue(vision.path("canSubmit").path("trainings").asBoolean(), vision.toString());
    JsonNode policy = JSON.readTree(get("/api/v1/namespaces/team-vision/effectivepolicies/trainings",
        "tessera-demo-alice").body());
    assertEquals("EffectivePolicy", policy.path("kind").asText(), policy.toString());
    assertEquals("team-vision", policy.path("project").asText(), policy.toString());
    assertEquals(403, get("/api/v1/namespaces/team-vision/effectivepolicies/trainings", "tessera-demo-bob")
        .statusCode());
  }

  @Test
  void aWorkloadsGpuMetricsComeFromTheRecordedAgentReports() throws Exception {
    AtomicReference<JsonNode> metrics = new AtomicReference<>();
    await(() -> {
      long now = Instant.now().getEpochSecond();
      JsonNode answer = JSON.readTree(get("/api/v1/namespaces/team-vision/trainings/vit-finetune/metrics?start="
          + (now - 60) + "&end=" + now + "&step=2s", "tessera-demo-alice").body());
      metrics.set(answer);
      // Reports from before the pod was placed say its GPUs were idle: the latest ones say busy.
      return gpuSeries(answer, "gpu_utilization_percent").size() == 2
          && gpuSeries(answer, "gpu_utilization_percent").stream().allMatch(s -> latest(s) >= 55)
          && gpuSeries(answer, "gpu_memory_used_bytes").stream().allMatch(s -> latest(s) > 0);
    }, () -> "no busy GPU series for vit-finetune: " + metrics.get());
    JsonNode answer = metrics.get();
    assertEquals("recorder", answer.path("source").asText(), answer.toString());
    for (JsonNode series : gpuSeries(answer, "gpu_utilization_percent")) {
      assertEquals("gpu-h100-02", series.path("labels").path("node").asText(), series.toString());
      assertEquals("vit-finetune-0", series.path("labels").path("pod").asText(), series.toString());
      assertTrue(latest(series) <= 95, "busy, within the simulated range: " + series);
    }
    // Memory in use: some of the whole GPU's, never more.
    assertEquals(2, gpuSeries(answer, "gpu_memory_used_bytes").size(), answer.toString());
    for (JsonNode series : gpuSeries(answer, "gpu_memory_used_bytes")) {
      series.path("points").forEach(point -> assertTrue(point.path("value").asDouble() <= 81559L * 1024 * 1024,
          series.toString()));
    }
  }

  private static double latest(JsonNode series) {
    JsonNode points = series.path("points");
    return points.isEmpty() ? Double.NaN : points.get(points.size() - 1).path("value").asDouble();
  }

  @Test
  void aWorkloadThatReachedRunningHasItsPhasesInPostgres() throws Exception {
    await(() -> {
      JsonNode history = JSON.readTree(get(
          "/api/v1/namespaces/team-vision/trainings/vit-finetune/history?category=status", "tessera-demo-alice").body());
      List<String> messages = new ArrayList<>();
      history.path("items").forEach(item -> messages.add(item.path("message").asText()));
      return messages.stream().anyMatch(m -> m.startsWith("Running"))
          && messages.stream().anyMatch(m -> m.startsWith("Pending"));
    }, () -> "no Running entry in vit-finetune's history");
    // Read from the database itself: kept there, not only in the console's memory.
    try (Connection connection = DriverManager.getConnection(demo.historyJdbcUrl(), "postgres", null);
        PreparedStatement query = connection.prepareStatement("SELECT count(*) FROM history_events"
            + " WHERE namespace = 'team-vision' AND name = 'vit-finetune' AND message LIKE 'Running%'");
        ResultSet rows = query.executeQuery()) {
      assertTrue(rows.next());
      assertTrue(rows.getLong(1) >= 1, "vit-finetune's Running phase is in history_events");
    }
  }

  private static List<JsonNode> gpuSeries(JsonNode answer, String metric) {
    List<JsonNode> series = new ArrayList<>();
    answer.path("series").forEach(s -> {
      if (metric.equals(s.path("metric").asText()) && s.path("labels").has("gpu")) {
        series.add(s);
      }
    });
    return series;
  }

  private static HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(demo.workloadsApi() + path))
        .timeout(Duration.ofSeconds(10));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  @FunctionalInterface
  private interface Check {
    boolean holds() throws Exception;
  }

  private static void await(Check check, Supplier<String> failure) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!check.holds()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(failure.get());
      }
      Thread.sleep(200);
    }
  }
}
