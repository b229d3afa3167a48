package dev.tessera.console.metrics;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.telemetry.ReportListener;
import dev.tessera.extender.telemetry.ReportListener.GpuReading;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the node agents' GPU readings off their {@code /metrics} pages every period and hands each
 * node's to a {@link ReportListener} (the console's {@link ReportRecorder}): GPU metrics for a
 * console without Prometheus, since the agents stream their reports to the extender, another
 * process.
 *
 * <p>The agents are the pods of {@code deploy/70-node-agent.yaml}: in {@value #NAMESPACE}, labelled
 * {@value #LABEL}={@value #LABEL_VALUE}, kept by an informer. Each Running one with a pod IP, not
 * being deleted, is read at {@code http://<pod IP>:<port>}{@value #PATH}, the port being its
 * container port named {@value #PORT_NAME} (9400 in the DaemonSet), else {@link
 * Settings#defaultPort()}. At most {@link Settings#concurrency()} pages are read at once, each
 * within {@link Settings#timeout()}; a node's readings are handed over as soon as its page is
 * read, by the clock at that moment, so a slow agent delays only itself, and an agent whose last
 * read has not finished is not asked again meanwhile.
 *
 * <p>An agent that does not answer in time, cannot be reached, answers other than 200 or sends a
 * page that is not an agent's is skipped for the round and counted in {@value #FAILURES} ({@code
 * tessera_console_agent_scrape_failures_total} on Prometheus) by reason; it is logged when it
 * starts failing and when it answers again, not every round.
 */
public final class AgentScraper implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AgentScraper.class);

  public static final String NAMESPACE = WellKnown.NAMESPACE;
  public static final String LABEL = "app.kubernetes.io/name";
  public static final String LABEL_VALUE = "tessera-node-agent";
  public static final String PORT_NAME = "metrics";
  public static final String PATH = "/metrics";
  public static final String FAILURES = "tessera.console.agent.scrape.failures";
  /** An agent's page is a few KiB a GPU; beyond this it is not an agent's page. */
  static final int MAX_PAGE_BYTES = 4 * 1024 * 1024;

  /** Why a page was not read, the {@code reason} tag of {@value #FAILURES}. */
  enum Failure {
    TIMEOUT("timeout"),
    UNREACHABLE("unreachable"),
    STATUS("status"),
    MALFORMED("malformed");

    private final String tag;

    Failure(String tag) {
      this.tag = tag;
    }
  }

  /**
   * How the agents are read.
   *
   * @param period between two rounds (from the end of one's start to the next)
   * @param timeout for one page, connecting included
   * @param concurrency how many pages are read at once
   * @param defaultPort the agents' metrics port where a pod names no container port {@value
   *     #PORT_NAME}
   */
  public record Settings(Duration period, Duration timeout, int concurrency, int defaultPort) {
    /** Every 10 s, 3 s a page (the DaemonSet's probes allow as much), four at once, port 9400. */
    public static final Settings DEFAULT = new Settings(Duration.ofSeconds(10), Duration.ofSeconds(3), 4, 9400);

    public Settings {
      Objects.requireNonNull(period, "period");
      Objects.requireNonNull(timeout, "timeout");
      if (period.toMillis() < 1 || timeout.toMillis() < 1) {
        throw new IllegalArgumentException("the period (" + period + ") and the timeout (" + timeout
            + ") must be at least a millisecond");
      }
      if (concurrency < 1) {
        throw new IllegalArgumentException("at least one page is read at a time, not " + concurrency);
      }
      if (defaultPort < 1 || defaultPort > 65535) {
        throw new IllegalArgumentException("not a port: " + defaultPort);
      }
    }

    public Settings withPeriod(Duration every) {
      return new Settings(every, timeout, concurrency, defaultPort);
    }
  }

  /** One agent to read: the node it is on, the pod, and its page's address. */
  record Agent(String node, String pod, URI page) {}

  private final ReportListener listener;
  private final Settings settings;
  private final Clock clock;
  private final ScheduledExecutorService timer;
  private final SharedIndexInformer<Pod> agents;
  private final HttpClient http;
  private final ExecutorService readers;
  private final Map<Failure, Counter> failures = new EnumMap<>(Failure.class);
  /** Nodes whose agent is being read or waits for a reader: not asked again meanwhile. */
  private final Set<String> busy = ConcurrentHashMap.newKeySet();
  /** Nodes whose agent failed its last read, with why: logged once per outage. */
  private final Map<String, String> outages = new ConcurrentHashMap<>();

  private volatile ScheduledFuture<?> rounds;
  private volatile boolean closed;

  /**
   * @param client lists and watches the agents' pods (the console's account may, cluster-wide)
   * @param listener hears each node's readings; called on the readers' threads
   * @param timer runs the rounds; a round only hands pages to the readers, so it may be shared
   * @param registry where {@value #FAILURES} is
   */
  public AgentScraper(KubernetesClient client, ReportListener listener, Settings settings, Clock clock,
      ScheduledExecutorService timer, MeterRegistry registry) {
    this.listener = Objects.requireNonNull(listener, "listener");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.timer = Objects.requireNonNull(timer, "timer");
    Objects.requireNonNull(registry, "registry");
    this.agents = client.pods().inNamespace(NAMESPACE).withLabel(LABEL, LABEL_VALUE).runnableInformer(0);
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(settings.timeout())
        .build();
    this.readers = Executors.newFixedThreadPool(settings.concurrency(),
        new DefaultThreadFactory("tessera-console-agent-scrape", true));
    for (Failure failure : Failure.values()) {
      failures.put(failure, Counter.builder(FAILURES)
          .tag("reason", failure.tag)
          .description("Node agent /metrics pages the console could not read (no Prometheus configured): by"
              + " reason, timeout, unreachable, status (not 200) or malformed")
          .register(registry));
    }
  }

  /**
   * Starts watching the agents and reading them every period, the first round at once (it finds
   * nothing until the agents are listed).
   *
   * @return completes once the agents are listed
   */
  public CompletionStage<Void> start() {
    CompletionStage<Void> listed = agents.start();
    listed.whenComplete((done, error) -> {
      if (error != null && !closed) {
        log.warn("the node agents' pods in {} could not be listed ({}); GPU metrics stay empty until they are",
            NAMESPACE, error.toString());
      }
    });
    rounds = timer.scheduleWithFixedDelay(() -> {
      try {
        round();
      } catch (RuntimeException e) {
        log.warn("a round of reading the node agents' metrics failed; the next one tries again", e);
      }
    }, 0, settings.period().toMillis(), TimeUnit.MILLISECONDS);
    return listed;
  }

  /**
   * Hands every agent that is not still being read to the readers.
   *
   * @return completes when the pages this round asked for are read or given up
   */
  CompletableFuture<Void> round() {
    if (!agents.hasSynced()) {
      return CompletableFuture.completedFuture(null);
    }
    List<Agent> found = agents.getStore().list().stream()
        .map(pod -> agent(pod, settings.defaultPort()))
        .flatMap(Optional::stream)
        .toList();
    Set<String> nodes = found.stream().map(Agent::node).collect(Collectors.toSet());
    outages.keySet().retainAll(nodes); // an agent gone is no longer out
    List<CompletableFuture<Void>> reads = new ArrayList<>(found.size());
    for (Agent agent : found) {
      if (!busy.add(agent.node())) {
        continue;
      }
      try {
        reads.add(CompletableFuture.runAsync(() -> read(agent), readers));
      } catch (RejectedExecutionException e) {
        busy.remove(agent.node());
        break; // closing
      }
    }
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new));
  }

  /** The agent a pod is, when it can be read now. */
  static Optional<Agent> agent(Pod pod, int defaultPort) {
    if (pod.getMetadata().getDeletionTimestamp() != null || pod.getStatus() == null
        || !"Running".equals(pod.getStatus().getPhase()) || blank(pod.getStatus().getPodIP())
        || pod.getSpec() == null || blank(pod.getSpec().getNodeName())) {
      return Optional.empty();
    }
    int port = defaultPort;
    for (Container container : pod.getSpec().getContainers()) {
      for (ContainerPort declared : container.getPorts()) {
        if (PORT_NAME.equals(declared.getName()) && declared.getContainerPort() != null) {
          port = declared.getContainerPort();
        }
      }
    }
    String ip = pod.getStatus().getPodIP();
    String host = ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip;
    return Optional.of(new Agent(pod.getSpec().getNodeName(), pod.getMetadata().getName(),
        URI.create("http://" + host + ":" + port + PATH)));
  }

  /** Nodes whose agent failed its last read, with why; for tests. */
  Map<String, String> outages() {
    return Map.copyOf(outages);
  }

  private void read(Agent agent) {
    List<GpuReading> readings;
    try {
      String page;
      try {
        page = page(agent);
      } finally {
        busy.remove(agent.node()); // the next round may ask again
      }
      readings = AgentPage.readings(page);
    } catch (PageException e) {
      failed(agent, e.failure, e.getMessage());
      return;
    } catch (IllegalArgumentException e) {
      failed(agent, Failure.MALFORMED, "sent a page that is not an agent's: " + e.getMessage());
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // closing
      return;
    }
    try {
      listener.accepted(agent.node(), clock.instant(), readings);
    } catch (RuntimeException e) {
      log.warn("node {}: its agent's GPU readings were read but not recorded", agent.node(), e);
      return;
    }
    if (outages.remove(agent.node()) != null) {
      log.info("node {}: its agent {} answers again; its GPU readings are recorded", agent.node(), agent.pod());
    }
  }

  private String page(Agent agent) throws PageException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(agent.page())
        .timeout(settings.timeout())
        .header("Accept", "text/plain")
        .GET()
        .build();
    CompletableFuture<HttpResponse<byte[]>> response =
        http.sendAsync(request, info -> new LimitedBody(MAX_PAGE_BYTES));
    HttpResponse<byte[]> answer;
    try {
      // The request's timeout covers the wait for headers only; this covers the body too.
      answer = response.get(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      response.cancel(true);
      throw new PageException(Failure.TIMEOUT, noPage());
    } catch (InterruptedException e) {
      response.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof HttpTimeoutException) {
        throw new PageException(Failure.TIMEOUT, noPage());
      }
      if (cause instanceof PageTooLargeException) {
        throw new PageException(Failure.MALFORMED, cause.getMessage());
      }
      throw new PageException(Failure.UNREACHABLE, "cannot be reached: " + cause);
    }
    if (answer.statusCode() != 200) {
      throw new PageException(Failure.STATUS, "answered HTTP " + answer.statusCode());
    }
    return new String(answer.body(), StandardCharsets.UTF_8);
  }

  private String noPage() {
    return "sent no page within " + settings.timeout().toMillis() + " ms";
  }

  private void failed(Agent agent, Failure failure, String why) {
    failures.get(failure).increment();
    if (outages.put(agent.node(), why) == null) {
      log.warn("node {}: its agent {} ({}) {}; its GPU readings are skipped until it answers (logged once until"
          + " then)", agent.node(), agent.pod(), agent.page(), why);
    } else {
      log.debug("node {}: its agent {} still fails: {}", agent.node(), agent.pod(), why);
    }
  }

  /** Stops the rounds, the informer and the reads in flight. */
  @Override
  public void close() {
    closed = true;
    ScheduledFuture<?> scheduled = rounds;
    if (scheduled != null) {
      scheduled.cancel(false);
    }
    agents.close();
    readers.shutdownNow();
  }

  private static boolean blank(String text) {
    return text == null || text.isBlank();
  }

  /** A page not read, and why. */
  private static final class PageException extends Exception {
    private final Failure failure;

    PageException(Failure failure, String message) {
      super(message, null, false, false);
      this.failure = failure;
    }
  }

  private static final class PageTooLargeException extends IOException {
    PageTooLargeException(int limit) {
      super("sent a page over " + limit + " bytes, more than an agent writes");
    }
  }

  /** The body as bytes, refused past a limit rather than buffered without end. */
  private static final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {
    private final HttpResponse.BodySubscriber<byte[]> bytes = HttpResponse.BodySubscribers.ofByteArray();
    private final int limit;
    private long received;
    private Flow.Subscription subscription;
    private boolean refused;

    LimitedBody(int limit) {
      this.limit = limit;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return bytes.getBody();
    }

    @Override
    public void onSubscribe(Flow.Subscription given) {
      subscription = given;
      bytes.onSubscribe(given);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      if (refused) {
        return;
      }
      for (ByteBuffer item : items) {
        received += item.remaining();
      }
      if (received > limit) {
        refused = true;
        subscription.cancel();
        bytes.onError(new PageTooLargeException(limit));
        return;
      }
      bytes.onNext(items);
    }

    @Override
    public void onError(Throwable error) {
      if (!refused) {
        bytes.onError(error);
      }
    }

    @Override
    public void onComplete() {
      if (!refused) {
        bytes.onComplete();
      }
    }
  }
}
