package dev.tessera.agent.deviceplugin;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import java.net.InetAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.stream.Collectors;

/** fabric8's mock Kubernetes API in CRUD mode, on a free loopback port. */
final class KubeApi implements AutoCloseable {
  /** Held: JUL keeps only weak references to its loggers, and the mock server logs every request. */
  private static final java.util.logging.Logger MOCK_SERVER_LOG =
      java.util.logging.Logger.getLogger(MockWebServer.class.getName());

  private final KubernetesMockServer server;
  private final KubernetesClient client;

  KubeApi() {
    MOCK_SERVER_LOG.setLevel(java.util.logging.Level.WARNING);
    server = new KubernetesMockServer(
        new Context(), new MockWebServer(), new HashMap<>(), new NodeNameSelectorIgnored(), false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    client = server.createClient();
  }

  KubernetesClient client() {
    return client;
  }

  /** The agent's own client, pointed at this server (plain http, a dummy token). */
  dev.tessera.agent.kube.KubeApi agentApi() {
    return new dev.tessera.agent.kube.KubeApi(agentConfig());
  }

  dev.tessera.agent.kube.KubeConfig agentConfig() {
    return new dev.tessera.agent.kube.KubeConfig(java.net.URI.create(server.url("/")), () -> "test-token", null);
  }

  Pod create(Pod pod) {
    return client.pods().inNamespace(pod.getMetadata().getNamespace()).resource(pod).create();
  }

  Pod get(String namespace, String name) {
    return client.pods().inNamespace(namespace).withName(name).get();
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }

  /**
   * The CRUD store knows field selectors on metadata only and answers {@code spec.nodeName=x} with
   * nothing; the real API server filters on it. Here it is dropped, so pods of every node come back
   * and the plugin's own filter on {@code spec.nodeName} is what the tests see working.
   */
  private static final class NodeNameSelectorIgnored extends KubernetesCrudDispatcher {
    @Override
    public MockResponse handleGet(String path) {
      return super.handleGet(strip(path));
    }

    @Override
    public MockResponse handleWatch(String path) {
      return super.handleWatch(strip(path));
    }

    private static String strip(String path) {
      int query = path.indexOf('?');
      if (query < 0) {
        return path;
      }
      String kept = Arrays.stream(path.substring(query + 1).split("&"))
          .filter(p -> !URLDecoder.decode(p, StandardCharsets.UTF_8).startsWith("fieldSelector=spec.nodeName="))
          .collect(Collectors.joining("&"));
      return kept.isEmpty() ? path.substring(0, query) : path.substring(0, query) + "?" + kept;
    }
  }
}
