package dev.tessera.agent.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * The pod calls the device plugin makes (list, watch, merge-patch) and the events the memory guard
 * records, on the JDK's HTTP client.
 * A full Kubernetes client costs tens of MiB of loaded classes, more than this agent may use.
 *
 * <p>Watches go over a WebSocket (the API server serves any watch that way, as for streamed JSON
 * lines) because that is what test API servers such as fabric8's mock support.
 */
public class KubeApi {
  private static final String PODS = "/api/v1/pods";

  private final KubeConfig config;
  private final HttpClient http;
  private final ObjectMapper json = new ObjectMapper();

  public KubeApi(KubeConfig config) {
    this.config = Objects.requireNonNull(config, "config");
    HttpClient.Builder builder = HttpClient.newBuilder()
        // One connection per watch, and no h2c upgrade attempts on plain http.
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10));
    if (config.sslContext() != null) {
      builder.sslContext(config.sslContext());
    }
    this.http = builder.build();
  }

  /** A listing: the pods and the resourceVersion to watch from. */
  public record PodList(List<PodInfo> pods, String resourceVersion) {}

  /** One watch event: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR, and its object. */
  public record WatchEvent(String type, JsonNode object) {}

  /** The pods bound to {@code node} (filtered here too: some test servers ignore the selector). */
  public PodList listPods(String node, Duration timeout) {
    HttpRequest request = request(PODS + "?" + nodeSelector(node)).timeout(timeout).GET().build();
    JsonNode list = json(send(request, "list the pods of node " + node));
    List<PodInfo> pods = new ArrayList<>();
    for (JsonNode item : list.path("items")) {
      PodInfo pod = PodInfo.from(item);
      if (node.equals(pod.nodeName())) {
        pods.add(pod);
      }
    }
    return new PodList(pods, list.path("metadata").path("resourceVersion").asText(""));
  }

  /**
   * Starts watching the pods bound to {@code node} from {@code resourceVersion}. Events come on the
   * HTTP client's threads, one at a time, in order.
   *
   * @throws KubeApiException when the API server refuses the watch (410: the version is too old)
   */
  public Watch watchPods(String node, String resourceVersion, Consumer<WatchEvent> events) {
    String query = nodeSelector(node) + "&watch=true&allowWatchBookmarks=true"
        + (resourceVersion.isEmpty() ? "" : "&resourceVersion=" + encode(resourceVersion));
    URI uri = config.server().resolve(PODS + "?" + query);
    URI ws = URI.create(uri.toString().replaceFirst("^http", "ws"));
    Watch watch = new Watch(events);
    WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
    String token = token();
    if (!token.isEmpty()) {
      builder.header("Authorization", "Bearer " + token);
    }
    try {
      watch.socket = builder.buildAsync(ws, watch).join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof WebSocketHandshakeException refused) {
        int status = refused.getResponse().statusCode();
        throw new KubeApiException(status, "the API server refused to watch the pods of node " + node + ": HTTP " + status, e);
      }
      throw new KubeApiException(0, "cannot watch the pods of node " + node + ": " + e.getCause(), e.getCause());
    }
    return watch;
  }

  /** Applies a JSON merge patch to a pod. */
  public void patchPod(String namespace, String name, String mergePatch) {
    HttpRequest request = request("/api/v1/namespaces/" + encode(namespace) + "/pods/" + encode(name))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/merge-patch+json")
        .method("PATCH", HttpRequest.BodyPublishers.ofString(mergePatch))
        .build();
    send(request, "patch pod " + namespace + "/" + name);
  }

  /**
   * Records an event on a pod, in the background: the caller (the memory guard's thread) must not
   * wait on the API server. The future fails with a {@link KubeApiException} saying what failed.
   *
   * @param event a core/v1 Event with its namespace set
   */
  public CompletableFuture<Void> createEvent(JsonNode event) {
    String namespace = event.path("metadata").path("namespace").asText("");
    String what = "record event " + event.path("reason").asText("") + " in " + namespace;
    HttpRequest request;
    try {
      request = request("/api/v1/namespaces/" + encode(namespace) + "/events")
          .timeout(Duration.ofSeconds(30))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(event)))
          .build();
    } catch (IOException | KubeApiException e) {
      return CompletableFuture.failedFuture(e instanceof KubeApiException k ? k : new KubeApiException(0, what + ": " + e, e));
    }
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .handle((response, error) -> {
          if (error != null) {
            throw new KubeApiException(0, "cannot " + what + ": " + error, error);
          }
          if (response.statusCode() / 100 != 2) {
            throw new KubeApiException(response.statusCode(),
                "cannot " + what + ": HTTP " + response.statusCode() + " " + message(response.body()), null);
          }
          return null;
        });
  }

  private HttpRequest.Builder request(String pathAndQuery) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(config.server().resolve(pathAndQuery))
        .header("Accept", "application/json");
    String token = token();
    if (!token.isEmpty()) {
      builder.header("Authorization", "Bearer " + token);
    }
    return builder;
  }

  private String token() {
    try {
      String token = config.token() == null ? null : config.token().get();
      return token == null ? "" : token;
    } catch (UncheckedIOException e) {
      throw new KubeApiException(0, e.getMessage(), e);
    }
  }

  private String send(HttpRequest request, String what) {
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new KubeApiException(0, "cannot " + what + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KubeApiException(0, "interrupted while trying to " + what, e);
    }
    if (response.statusCode() / 100 != 2) {
      throw new KubeApiException(
          response.statusCode(), "cannot " + what + ": HTTP " + response.statusCode() + " " + message(response.body()), null);
    }
    return response.body();
  }

  /** The Status message the API server sends with an error, else the body itself. */
  private String message(String body) {
    try {
      String message = json.readTree(body).path("message").asText("");
      return message.isEmpty() ? body : message;
    } catch (IOException e) {
      return body;
    }
  }

  private JsonNode json(String body) {
    try {
      return json.readTree(body);
    } catch (IOException e) {
      throw new KubeApiException(0, "the API server sent unreadable JSON: " + e.getMessage(), e);
    }
  }

  private static String nodeSelector(String node) {
    return "fieldSelector=" + encode("spec.nodeName=" + node);
  }

  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8);
  }

  /** A running watch; {@link #done} completes when it ends, however it ends. */
  public final class Watch implements WebSocket.Listener, AutoCloseable {
    private final Consumer<WatchEvent> events;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    private volatile WebSocket socket;

    private Watch(Consumer<WatchEvent> events) {
      this.events = events;
    }

    public CompletableFuture<Void> done() {
      return done;
    }

    @Override
    public void close() {
      WebSocket open = socket;
      if (open != null) {
        open.abort();
      }
      done.complete(null);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data); // an event may come in several frames
      if (last) {
        String text = partial.toString();
        partial.setLength(0);
        try {
          JsonNode event = json.readTree(text);
          events.accept(new WatchEvent(event.path("type").asText(""), event.path("object")));
        } catch (IOException | RuntimeException e) {
          done.completeExceptionally(e);
          webSocket.abort();
          return null;
        }
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      done.complete(null);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      done.completeExceptionally(error);
    }
  }
}
