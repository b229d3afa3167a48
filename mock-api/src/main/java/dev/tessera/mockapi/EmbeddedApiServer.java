package dev.tessera.mockapi;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.dsl.MockServerExpectation;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.internal.MockDispatcher;
import io.fabric8.mockwebserver.internal.SimpleRequest;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process Kubernetes API on a free loopback port: fabric8's mock server in CRUD mode (real
 * HTTP, lists and watches, resource versions) with pod binding as the API server does it
 * ({@link BindingAwareCrudDispatcher}), and admission webhooks called in process where they are
 * {@linkplain #register registered}. The embedded demo runs on it; so do the cluster tests.
 *
 * <pre>{@code
 * try (EmbeddedApiServer api = EmbeddedApiServer.start()) {
 *   KubernetesClient client = api.client();
 *   ...
 * }
 * }</pre>
 */
public final class EmbeddedApiServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedApiServer.class);
  /**
   * The mock server logs every request at INFO through java.util.logging; the demo and the tests
   * would drown in it. Held here because JUL keeps only weak references to its loggers.
   */
  private static final java.util.logging.Logger MOCK_SERVER_LOG =
      java.util.logging.Logger.getLogger(MockWebServer.class.getName());

  private final KubernetesMockServer server;
  private final ExpectationsFirst dispatcher;
  private final BindingAwareCrudDispatcher crud;
  private final KubernetesClient client;
  private final List<KubernetesClient> extraClients = new ArrayList<>();

  private EmbeddedApiServer(
      KubernetesMockServer server, ExpectationsFirst dispatcher, BindingAwareCrudDispatcher crud) {
    this.server = server;
    this.dispatcher = dispatcher;
    this.crud = crud;
    this.client = server.createClient();
  }

  /** Starts a server on a free loopback port; {@link #close} stops it. */
  public static EmbeddedApiServer start() {
    MOCK_SERVER_LOG.setLevel(java.util.logging.Level.WARNING);
    Map<ServerRequest, Queue<ServerResponse>> expectations = new ConcurrentHashMap<>();
    BindingAwareCrudDispatcher crud = new BindingAwareCrudDispatcher();
    ExpectationsFirst dispatcher = new ExpectationsFirst(expectations, crud);
    KubernetesMockServer server =
        new KubernetesMockServer(new Context(), new MockWebServer(), expectations, dispatcher, false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    EmbeddedApiServer api = new EmbeddedApiServer(server, dispatcher, crud);
    api.installCrds();
    log.info("in-process Kubernetes API serving {}", api.client.getMasterUrl());
    return api;
  }

  /** The CRD files bundled from {@code deploy/}, in apply order: policies, workloads, workload policies. */
  static final java.util.List<String> CRD_FILES =
      java.util.List.of("05-crds.yaml", "06-workload-crds.yaml", "07-workload-policy-crd.yaml");

  /** Tessera's CRDs, from the same files {@code deploy/} installs on a real cluster. */
  private void installCrds() {
    for (String file : CRD_FILES) {
      try (java.io.InputStream in = EmbeddedApiServer.class.getResourceAsStream(file)) {
        if (in == null) {
          throw new IllegalStateException(file + " is missing from the jar; rebuild with mvn package");
        }
        client.load(in).items().forEach(crd -> client.resource(crd).create());
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot read the bundled CRDs in " + file, e);
      }
    }
  }

  /** A client of this server, closed with it. */
  public KubernetesClient client() {
    return client;
  }

  /**
   * Another client of this server with its own connections and informers (e.g. a second extender
   * process in a test), closed with the server.
   */
  public synchronized KubernetesClient newClient() {
    KubernetesClient another = server.createClient();
    extraClients.add(another);
    return another;
  }

  public String url() {
    return client.getMasterUrl().toString();
  }

  /**
   * Calls {@code webhook} for the creates and updates its rule names from now on, as kube-apiserver
   * calls the webhooks a {@code MutatingWebhookConfiguration} or {@code
   * ValidatingWebhookConfiguration} registers: mutating ones first, in the order registered, then
   * validating ones. Requests made with {@code Impersonate-User} are reviewed as that user; others
   * as the cluster admin ({@code kubernetes-admin}, group {@code system:masters}). The reviewer runs
   * on the server's request thread: it must not call this server back.
   *
   * @throws IllegalArgumentException when a webhook of that name is registered already
   */
  public void register(Webhook webhook) {
    crud.register(webhook);
  }

  /**
   * Answers {@code GET .../pods/{name}/log} from {@code logs}, standing in for the kubelets a real
   * API server would ask; until then a log request is refused as for a container not started.
   */
  public void podLogs(PodLogs logs) {
    crud.podLogs(logs);
  }

  /**
   * Calls {@code observer} with every request the server receives from now on (tests that check
   * what reaches the API server); null stops observing.
   */
  public void observeRequests(Consumer<RecordedRequest> observer) {
    dispatcher.observers.set(observer);
  }

  /**
   * Answers that come before the CRUD store's, for what the store does not serve (a pod's log):
   * {@code expect().get().withPath(...).andReturn(200, text).always()}.
   */
  public MockServerExpectation expect() {
    return server.expect();
  }

  @Override
  public synchronized void close() {
    for (KubernetesClient another : extraClients) {
      another.close();
    }
    client.close();
    try {
      server.destroy();
    } catch (IllegalStateException e) {
      // fabric8's mock server (7.9.0) blocks its event loop for up to a minute when a watch is
      // closed while one of its events is still queued (WatchEventsListener.onClosed awaits its
      // sender, which needs that loop), and then gives up closing after 10 s. The port and the
      // threads are released once that wait ends; nothing of ours is left behind.
      log.debug("in-process API server shut down late: {}", e.getMessage());
    }
  }

  /**
   * Serves the mock server's own expectations (its root paths and {@code /version}) first, and
   * everything else from the CRUD store, as fabric8's {@code KubernetesMixedDispatcher} does for
   * its built-in CRUD dispatcher.
   */
  private static final class ExpectationsFirst extends Dispatcher {
    private final Map<ServerRequest, Queue<ServerResponse>> expectations;
    private final MockDispatcher expected;
    private final Dispatcher crud;

    /** Set by {@link EmbeddedApiServer#observeRequests}; none by default. */
    private final java.util.concurrent.atomic.AtomicReference<Consumer<RecordedRequest>> observers =
        new java.util.concurrent.atomic.AtomicReference<>();

    ExpectationsFirst(Map<ServerRequest, Queue<ServerResponse>> expectations, Dispatcher crud) {
      this.expectations = expectations;
      this.expected = new MockDispatcher(expectations);
      this.crud = crud;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      Consumer<RecordedRequest> observer = observers.get();
      if (observer != null) {
        observer.accept(request);
      }
      Queue<ServerResponse> queued =
          expectations.get(new SimpleRequest(request.method(), request.getPath()));
      if (queued != null && !queued.isEmpty()) {
        return expected.dispatch(request);
      }
      return crud.dispatch(request);
    }

    @Override
    public void shutdown() {
      expected.shutdown();
      crud.shutdown();
    }
  }
}
