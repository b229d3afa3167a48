package dev.tessera.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

/** The end-to-end tests' side of kube-scheduler's wire: its request bodies, over real HTTP. */
public final class ExtenderCalls {
  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private final KubernetesClient client;

  public ExtenderCalls(KubernetesClient client) {
    this.client = client;
  }

  /** ExtenderArgs for filter and prioritize in node-name mode. */
  public ObjectNode filterArgs(Pod pod, List<String> nodes) throws Exception {
    ObjectNode args = json.createObjectNode();
    args.set("Pod", json.readTree(client.getKubernetesSerialization().asJson(pod)));
    args.putNull("Nodes");
    nodes.forEach(args.putArray("NodeNames")::add);
    return args;
  }

  /** ExtenderBindingArgs for the pod and node. */
  public ObjectNode bindArgs(Pod pod, String node) {
    ObjectNode bind = json.createObjectNode();
    bind.put("PodName", pod.getMetadata().getName());
    bind.put("PodNamespace", pod.getMetadata().getNamespace());
    bind.put("PodUID", pod.getMetadata().getUid());
    bind.put("Node", node);
    return bind;
  }

  /** POSTs the body to the verb; the answer must be 200. */
  public JsonNode post(URI base, String verb, JsonNode body) throws Exception {
    HttpResponse<byte[]> response = http.send(
        HttpRequest.newBuilder(base.resolve("/" + verb))
            .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)))
            .header("Content-Type", "application/json")
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, response.statusCode(), () -> new String(response.body(), java.nio.charset.StandardCharsets.UTF_8));
    return json.readTree(response.body());
  }
}
