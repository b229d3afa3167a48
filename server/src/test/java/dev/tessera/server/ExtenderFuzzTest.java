package dev.tessera.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.api.WellKnown;
import dev.tessera.extender.ExtenderConfig;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing of the four verbs over real HTTP against the whole extender and an in-process API
 * server: no body gets a 5xx, no name the API server could never hold reaches it, and a valid
 * request is answered correctly afterwards. CI sends {@value #CI_BODIES} bodies; {@code mvn -Pfuzz
 * -pl server test} sends 100,000 ({@code -Dtessera.fuzz.bodies=N}, {@code -Dtessera.fuzz.seed=S}).
 */
class ExtenderFuzzTest {
  static final int CI_BODIES = 2_000;
  private static final Pattern NAMESPACED = Pattern.compile("^/api/v1/namespaces/([^/?]+)(?:/([^/?]+)/([^/?]+))?");
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

  private EmbeddedApiServer api;
  private KubernetesClient client;
  private ExtenderCalls calls;
  private final Queue<String> apiPaths = new ConcurrentLinkedQueue<>();

  @BeforeEach
  void setUp() {
    api = EmbeddedApiServer.start();
    client = api.client();
    calls = new ExtenderCalls(client);
  }

  @AfterEach
  void tearDown() {
    api.close();
  }

  @Test
  void fuzzedBodiesGetNo5xxAndNoInvalidNameReachesTheApiServer() throws Exception {
    int bodies = Integer.getInteger("tessera.fuzz.bodies", CI_BODIES);
    long seed = Long.getLong("tessera.fuzz.seed", 20_261_207L);
    for (String node : List.of("n1", "n2", "check-node")) {
      client.nodes().resource(gpuNode(node)).create();
    }
    Pod pod = client.resource(pod("p", "0.5")).create();
    ExtenderConfig d = ExtenderConfig.defaults();
    ExtenderConfig config = new ExtenderConfig(0, PlacementStrategy.BINPACK, d.bindTimeout(), d.assumeTtl(), d.maxRequestBytes());
    try (ExtenderRuntime runtime = ExtenderRuntime.start(config, Duration.ofMinutes(5), client)) {
      URI base = URI.create("http://127.0.0.1:" + runtime.port());
      ObjectNode preempt = (ObjectNode) FuzzBodies.parse("{\"NodeNameToMetaVictims\":{\"n1\":{\"Pods\":[{\"UID\":\"v1\"}],"
          + "\"NumPDBViolations\":0}}}");
      preempt.set("Pod", calls.filterArgs(pod, List.of()).get("Pod"));
      FuzzBodies generator = new FuzzBodies(seed, Map.of(
          "filter", calls.filterArgs(pod, List.of("n1", "n2")),
          "prioritize", calls.filterArgs(pod, List.of("n1", "n2")),
          "bind", calls.bindArgs(pod, "n1"),
          "preempt", preempt));
      api.observeRequests(request -> apiPaths.add(request.getPath()));

      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      Map<Integer, Integer> statuses = new TreeMap<>();
      for (int i = 0; i < bodies; i++) {
        FuzzBodies.Body body = generator.next();
        HttpResponse<String> response = http.send(
            HttpRequest.newBuilder(base.resolve("/" + body.verb())).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes())).build(),
            HttpResponse.BodyHandlers.ofString());
        statuses.merge(response.statusCode(), 1, Integer::sum);
        assertTrue(response.statusCode() < 500, "body " + i + " of seed " + seed + " (" + body.verb() + ": "
            + body.mutations() + ") got HTTP " + response.statusCode() + ": " + response.body());
      }
      api.observeRequests(null);
      System.out.printf("fuzz: %d bodies, seed %d, statuses %s, %d API calls%n", bodies, seed, statuses, apiPaths.size());

      for (String path : apiPaths) {
        Matcher m = NAMESPACED.matcher(path);
        if (!m.find()) {
          continue;
        }
        String namespace = URLDecoder.decode(m.group(1), StandardCharsets.UTF_8);
        assertTrue(LABEL.matcher(namespace).matches(), "an invalid namespace reached the API server: " + path);
        if ("pods".equals(m.group(2))) {
          String name = URLDecoder.decode(m.group(3), StandardCharsets.UTF_8);
          assertTrue(SUBDOMAIN.matcher(name).matches(), "an invalid pod name reached the API server: " + path);
        }
      }

      // Whatever the fuzzing left behind, a valid request is still answered, and answered right.
      Pod fresh = client.resource(wholePod("fresh")).create();
      JsonNode filtered = calls.post(base, "filter", calls.filterArgs(fresh, List.of("check-node")));
      assertEquals("check-node", filtered.path("NodeNames").path(0).asText(), filtered.toString());
      assertEquals("", calls.post(base, "bind", calls.bindArgs(fresh, "check-node")).path("Error").asText());
      Pod bound = client.pods().inNamespace("team").withName("fresh").get();
      assertEquals("check-node", bound.getSpec().getNodeName());
      assertTrue(bound.getMetadata().getAnnotations().containsKey(WellKnown.GPU_ASSIGNMENT));
    }
  }

  private static io.fabric8.kubernetes.api.model.Node gpuNode(String name) {
    return new NodeBuilder().withNewMetadata().withName(name)
        .addToLabels(WellKnown.GFD_PRODUCT, "NVIDIA-A100-SXM4-80GB")
        .addToLabels(WellKnown.GFD_MEMORY_MIB, "81920")
        .endMetadata()
        .withNewStatus().addToAllocatable(WellKnown.GPU_RESOURCE, new Quantity("8")).endStatus()
        .build();
  }

  private static Pod pod(String name, String fraction) {
    return new PodBuilder().withNewMetadata().withNamespace("team").withName(name)
        .addToAnnotations(WellKnown.GPU_FRACTION, fraction).endMetadata()
        .withNewSpec().withSchedulerName(WellKnown.SCHEDULER_NAME)
        .addNewContainer().withName("main").withImage("busybox").endContainer().endSpec()
        .build();
  }

  private static Pod wholePod(String name) {
    return new PodBuilder().withNewMetadata().withNamespace("team").withName(name).endMetadata()
        .withNewSpec().withSchedulerName(WellKnown.SCHEDULER_NAME)
        .addNewContainer().withName("main").withImage("busybox").withNewResources()
        .addToLimits(WellKnown.GPU_RESOURCE, new Quantity("1")).endResources().endContainer().endSpec()
        .build();
  }
}
