package dev.tessera.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Plays kube-scheduler's part for the embedded demo: for each pod, filter over all nodes by name
 * ({@code nodeCacheCapable}), prioritize the survivors, take the best score, and bind through the
 * extender, all over its real HTTP endpoints with kube-scheduler's wire format. As in
 * kube-scheduler, pods are chosen a node one at a time and bound in the background: the next pod
 * is filtered while the last one's bind is under way, which a gang's binds rely on (they wait until
 * every member has been offered its place).
 */
public final class SchedulingDriver {

  /** Where one pod went, or why it went nowhere. */
  public record Outcome(String pod, String node, String reason) {
    public boolean placed() {
      return node != null;
    }
  }

  private final KubernetesClient client;
  private final URI extender;
  private final HttpClient http;
  private final ObjectMapper json = new ObjectMapper();

  public SchedulingDriver(KubernetesClient client, URI extender) {
    this.client = client;
    this.extender = extender;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  /** Schedules the pods in order, binds them in the background, and returns once all are done. */
  public List<Outcome> scheduleAll(List<Pod> pods) throws IOException, InterruptedException {
    List<CompletableFuture<Outcome>> outcomes = new ArrayList<>();
    ExecutorService binds = Executors.newCachedThreadPool();
    try {
      for (Pod pod : pods) {
        Chosen chosen = choose(pod);
        outcomes.add(chosen.outcome() != null
            ? CompletableFuture.completedFuture(chosen.outcome())
            : CompletableFuture.supplyAsync(() -> bind(pod, chosen.node()), binds));
      }
      List<Outcome> done = new ArrayList<>();
      for (CompletableFuture<Outcome> outcome : outcomes) {
        done.add(outcome.join());
      }
      return done;
    } finally {
      binds.shutdownNow();
    }
  }

  /** As kube-scheduler would, for one pod: filter, prioritize, bind. */
  public Outcome schedule(Pod pod) throws IOException, InterruptedException {
    Chosen chosen = choose(pod);
    return chosen.outcome() != null ? chosen.outcome() : bind(pod, chosen.node());
  }

  /** The node chosen for a pod, or, when there is none, the pod's outcome. */
  private record Chosen(String node, Outcome outcome) {}

  /**
   * Filter and prioritize. A gang member the extender has not seen yet is asked about again
   * shortly, as kube-scheduler's queue would retry it.
   */
  private Chosen choose(Pod pod) throws IOException, InterruptedException {
    Chosen chosen = chooseOnce(pod);
    for (int retry = 0;
        retry < 100 && chosen.outcome() != null && chosen.outcome().reason().contains(NOT_SEEN_YET);
        retry++) {
      Thread.sleep(20);
      chosen = chooseOnce(pod);
    }
    return chosen;
  }

  private static final String NOT_SEEN_YET = "has not seen this pod yet";

  private Chosen chooseOnce(Pod pod) throws IOException, InterruptedException {
    String name = name(pod);
    ArrayNode nodeNames = json.createArrayNode();
    for (Node node : client.nodes().list().getItems()) {
      nodeNames.add(node.getMetadata().getName());
    }
    JsonNode podJson = json.readTree(client.getKubernetesSerialization().asJson(pod));

    ObjectNode args = json.createObjectNode();
    args.set("Pod", podJson);
    args.putNull("Nodes");
    args.set("NodeNames", nodeNames);
    JsonNode filtered = post("filter", args);
    if (!filtered.path("Error").asText("").isEmpty()) {
      return new Chosen(null, new Outcome(name, null, filtered.path("Error").asText()));
    }
    JsonNode passing = filtered.path("NodeNames");
    if (!passing.isArray() || passing.isEmpty()) {
      return new Chosen(null, new Outcome(name, null, firstReasons(filtered)));
    }

    args.set("NodeNames", passing);
    JsonNode scores = post("prioritize", args);
    String best = null;
    int bestScore = -1;
    for (JsonNode host : scores) {
      if (host.path("Score").asInt() > bestScore) {
        bestScore = host.path("Score").asInt();
        best = host.path("Host").asText();
      }
    }
    return new Chosen(best, null);
  }

  private Outcome bind(Pod pod, String node) {
    ObjectNode bind = json.createObjectNode();
    bind.put("PodName", pod.getMetadata().getName());
    bind.put("PodNamespace", pod.getMetadata().getNamespace());
    bind.put("PodUID", pod.getMetadata().getUid());
    bind.put("Node", node);
    String error;
    try {
      error = post("bind", bind).path("Error").asText("");
    } catch (IOException e) {
      error = e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      error = "interrupted";
    }
    return error.isEmpty() ? new Outcome(name(pod), node, null) : new Outcome(name(pod), null, "bind: " + error);
  }

  private static String name(Pod pod) {
    return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
  }

  private JsonNode post(String verb, JsonNode body) throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(extender.resolve("/" + verb))
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)))
            .build();
    HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() != 200) {
      throw new IOException(
          "/" + verb + " answered HTTP " + response.statusCode() + ": "
              + new String(response.body(), java.nio.charset.StandardCharsets.UTF_8));
    }
    return json.readTree(response.body());
  }

  /** The distinct reasons nodes gave, most common first: what kube-scheduler would report. */
  private static String firstReasons(JsonNode filtered) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (String field : List.of("FailedAndUnresolvableNodes", "FailedNodes")) {
      Iterator<Map.Entry<String, JsonNode>> it = filtered.path(field).fields();
      while (it.hasNext()) {
        counts.merge(it.next().getValue().asText(), 1, Integer::sum);
      }
    }
    if (counts.isEmpty()) {
      return "no node passed the filter";
    }
    StringBuilder text = new StringBuilder();
    counts.entrySet().stream()
        .sorted((a, b) -> b.getValue() - a.getValue())
        .forEach(e -> text.append(text.length() == 0 ? "" : "; ").append(e.getValue())
            .append(e.getValue() == 1 ? " node: " : " nodes: ").append(e.getKey()));
    return text.toString();
  }
}
