package dev.tessera.extender.policy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * fabric8's mock API server in CRUD mode (real HTTP, watches, resourceVersions, status
 * subresources) with Tessera's CRDs installed from {@code deploy/05-crds.yaml} and {@code
 * deploy/06-workload-crds.yaml}, counting the status writes it receives.
 */
final class PolicyApi implements AutoCloseable {
  /** The mock server logs every request at INFO through java.util.logging. */
  private static final java.util.logging.Logger MOCK_SERVER_LOG =
      java.util.logging.Logger.getLogger(MockWebServer.class.getName());

  private final KubernetesMockServer server;
  private final KubernetesClient client;
  private final AtomicInteger statusWrites = new AtomicInteger();

  PolicyApi() {
    MOCK_SERVER_LOG.setLevel(java.util.logging.Level.WARNING);
    server = new KubernetesMockServer(
        new Context(), new MockWebServer(), new ConcurrentHashMap<>(), new Counting(), false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    client = server.createClient();
    for (HasMetadata crd : crds(client)) {
      client.resource(crd).create();
    }
  }

  KubernetesClient client() {
    return client;
  }

  /** PUT and PATCH requests on a {@code /status} subresource so far. */
  int statusWrites() {
    return statusWrites.get();
  }

  /** The CRDs exactly as deploy/ has them: the policy kinds and the workload kinds. */
  static List<HasMetadata> crds(KubernetesClient client) {
    List<HasMetadata> all = new java.util.ArrayList<>();
    for (String file : List.of("05-crds.yaml", "06-workload-crds.yaml")) {
      try (InputStream in = Files.newInputStream(deployDir().resolve(file))) {
        all.addAll(client.load(in).items());
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
    return all;
  }

  static Path deployDir() {
    Path start = Paths.get(System.getProperty("user.dir")).toAbsolutePath().normalize();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("deploy")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
        return dir.resolve("deploy");
      }
    }
    throw new IllegalStateException("no directory containing deploy/ and pom.xml above " + start);
  }

  @Override
  public void close() {
    client.close();
    try {
      server.destroy();
    } catch (IllegalStateException e) {
      // see EmbeddedApiServer.close: the mock server may give up closing a watch late
    }
  }

  private final class Counting extends KubernetesCrudDispatcher {
    @Override
    public MockResponse dispatch(RecordedRequest request) {
      HttpMethod method = request.method();
      String path = request.getPath();
      if ((method == HttpMethod.PUT || method == HttpMethod.PATCH) && path != null
          && path.split("\\?")[0].endsWith("/status")) {
        statusWrites.incrementAndGet();
      }
      return super.dispatch(request);
    }
  }
}
