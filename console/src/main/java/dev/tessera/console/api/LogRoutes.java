package dev.tessera.console.api;

import dev.tessera.console.access.Authorizer;
import dev.tessera.console.access.Caller;
import dev.tessera.console.access.Permission;
import dev.tessera.console.catalog.PodRow;
import dev.tessera.console.catalog.WorkloadDetails;
import dev.tessera.console.http.ApiException;
import dev.tessera.console.http.Reply;
import dev.tessera.console.http.Request;
import dev.tessera.console.http.Router;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import io.fabric8.kubernetes.client.dsl.PodResource;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.ExecutorService;

/**
 * A pod's log: {@code GET .../pods/{pod}/log}, whole or its last {@code tailLines}, followed as it
 * grows ({@code follow=true}) or as a file ({@code download=true}). Only pods of the workload, and
 * only for a caller RBAC lets read pods' logs in the namespace.
 */
final class LogRoutes {
  private static final int MAX_TAIL_LINES = 100_000;

  private final DetailRoutes details;
  private final KubernetesClient client;
  private final Authorizer authorizer;
  private final ExecutorService followers;

  /**
   * @param followers the threads that copy followed logs: each followed log holds one while it is
   *     open
   */
  LogRoutes(DetailRoutes details, KubernetesClient client, Authorizer authorizer, ExecutorService followers) {
    this.details = details;
    this.client = client;
    this.authorizer = authorizer;
    this.followers = followers;
  }

  void register(Router router) {
    router.add("GET", DetailRoutes.BASE + "/pods/{pod}/log", this::log);
  }

  private Reply log(Request request, Map<String, String> vars, Caller caller) {
    WorkloadDetails found = details.found(vars, caller, "get");
    String namespace = found.row().namespace();
    Visibility.require(authorizer, caller, Permission.podLogs(namespace));
    String podName = vars.get("pod");
    PodRow pod = found.pods().stream().filter(p -> p.name().equals(podName)).findFirst().orElseThrow(() ->
        ApiException.notFound("pod \"" + podName + "\" is not one of " + found.row().name() + "'s pods"));
    String container = request.param("container");
    Integer tail = null;
    if (request.param("tailLines") != null) {
      try {
        tail = Integer.parseInt(request.param("tailLines"));
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("tailLines is a whole number, not \"" + request.param("tailLines") + "\"");
      }
      if (tail < 0 || tail > MAX_TAIL_LINES) {
        throw ApiException.badRequest("tailLines is between 0 and " + MAX_TAIL_LINES + ", not " + tail);
      }
    }
    PodResource resource = client.pods().inNamespace(namespace).withName(pod.name());
    var source = container == null ? resource : resource.inContainer(container);
    var lines = tail == null ? source : source.tailingLines(tail);
    Map<String, String> headers = "true".equals(request.param("download"))
        ? Map.of("Content-Disposition", "attachment; filename=\"" + pod.name() + ".log\"")
        : Map.of();
    if (!"true".equals(request.param("follow"))) {
      try {
        String text = lines.getLog();
        return new Reply.Full(200, "text/plain; charset=utf-8",
            text == null ? new byte[0] : text.getBytes(java.nio.charset.StandardCharsets.UTF_8), headers);
      } catch (KubernetesClientException e) {
        throw ApiErrors.from(e, "read the log of pod " + namespace + "/" + pod.name());
      }
    }
    return new Reply.Stream("text/plain; charset=utf-8", headers, sink -> {
      LogWatch watch = lines.watchLog();
      followers.execute(() -> {
        byte[] buffer = new byte[8192];
        try (InputStream in = watch.getOutput()) {
          int read;
          while (sink.open() && (read = in.read(buffer)) >= 0) {
            sink.write(java.util.Arrays.copyOf(buffer, read));
          }
        } catch (IOException e) {
          // The client went, or the log ended: either way the answer is over.
        } finally {
          sink.end();
          watch.close();
        }
      });
      return watch::close;
    });
  }
}
