package dev.tessera.console.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.tessera.extender.telemetry.ReportListener;
import dev.tessera.extender.testing.MutableClock;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The scraper against real {@code /metrics} pages served on loopback by test servers standing for
 * the agents, found as pods on fabric8's mock API server, into a real {@link ReportRecorder}.
 */
class AgentScraperTest {
  private static final long MIB = 1024L * 1024;
  private static final Instant T0 = Instant.ofEpochSecond(1_700_000_000L);
  private static final Duration PERIOD = Duration.ofSeconds(10);
  /** The trainer holds both GPUs of gpu-1; the server pod holds GPU 0 of gpu-2, whose agent is broken. */
  private static final GpuLookup LOOKUP = pod -> switch (pod.name()) {
    case "trainer", "server" -> pod.node().equals("gpu-1") ? List.of(0, 1) : List.of(0);
    default -> List.of();
  };

  private final MutableClock clock = new MutableClock(T0);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final ReportRecorder recorder = new ReportRecorder(clock, PERIOD, LOOKUP);
  private final HeldTimer timer = new HeldTimer();
  private final List<Agent> agents = new ArrayList<>();
  /** Released at the end, so that a handler holding its exchange lets its server stop. */
  private final CountDownLatch release = new CountDownLatch(1);
  private EmbeddedApiServer api;
  private KubernetesClient client;
  private AgentScraper scraper;

  @BeforeEach
  void setUp() {
    api = EmbeddedApiServer.start();
    client = api.client();
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(AgentScraper.NAMESPACE)
        .endMetadata().build()).create();
  }

  @AfterEach
  void tearDown() {
    release.countDown();
    if (scraper != null) {
      scraper.close();
    }
    agents.forEach(agent -> {
      agent.server.stop(0);
      agent.threads.shutdownNow();
    });
    timer.shutdownNow();
    api.close();
  }

  @Test
  void aGoodAgentsReadingsAreRecordedForItsPodsWhileAGarbledOneIsSkippedAndCounted() throws Exception {
    Agent good = agent(() -> AgentPageTest.agentPage("gpu-1", 37, 1024, 64, 40960));
    Agent garbled = agent(() -> "<html><body>502 Bad Gateway</body></html>\n");
    runningPod("tessera-node-agent-a", "gpu-1", good.port());
    runningPod("tessera-node-agent-b", "gpu-2", garbled.port());
    start(AgentScraper.Settings.DEFAULT);

    scraper.round().get(10, TimeUnit.SECONDS);
    clock.advance(PERIOD);
    good.page.set(AgentPageTest.agentPage("gpu-1", 40, 2048, 66, 40960));
    scraper.round().get(10, TimeUnit.SECONDS);

    MetricsResult trainer = recorder.query(request(pod("trainer", "gpu-1")));
    assertEquals(
        Map.of(
            "gpu 0", List.of(point(0, 37), point(10, 40)),
            "gpu 1", List.of(point(0, 64), point(10, 66)),
            "average", List.of(point(0, 50.5), point(10, 53))),
        lines(trainer, MetricNames.GPU_UTILIZATION));
    assertEquals(
        Map.of("gpu 0", List.of(point(0, 1024 * MIB), point(10, 2048 * MIB)),
            "gpu 1", List.of(point(0, 40960 * MIB), point(10, 40960 * MIB))),
        lines(trainer, MetricNames.GPU_MEMORY_USED));
    assertEquals(Set.of(MetricNames.CPU_UTILIZATION, MetricNames.CPU_MEMORY_USAGE,
        MetricNames.CPU_MEMORY_UTILIZATION), trainer.unavailable().keySet(), "GPU metrics are available");

    MetricsResult server = recorder.query(request(pod("server", "gpu-2")));
    assertTrue(server.unavailable().get(MetricNames.GPU_UTILIZATION).startsWith("no node agent reported"),
        server.unavailable().toString());
    assertEquals(2.0, failures("malformed"), "one a round");
    assertEquals(0.0, failures("timeout") + failures("unreachable") + failures("status"));
    assertEquals(Set.of("gpu-2"), scraper.outages().keySet());
    assertTrue(scraper.outages().get("gpu-2").contains("no metric name"), scraper.outages().toString());

    garbled.page.set(AgentPageTest.agentPage("gpu-2", 5, 100, 0, 0));
    clock.advance(PERIOD);
    scraper.round().get(10, TimeUnit.SECONDS);
    assertEquals(Map.of(), scraper.outages(), "it answers again");
    assertEquals(List.of(point(20, 5)),
        lines(recorder.query(request(pod("server", "gpu-2"))), MetricNames.GPU_UTILIZATION).get("gpu 0"));
  }

  @Test
  void anAgentThatDoesNotAnswerDelaysNoOtherAndIsNotAskedAgainMeanwhile() throws Exception {
    Agent good = agent(() -> AgentPageTest.agentPage("gpu-1", 37, 1024, 64, 40960));
    Agent silent = agent(() -> {
      await(release);
      return "";
    });
    runningPod("tessera-node-agent-a", "gpu-1", good.port());
    runningPod("tessera-node-agent-b", "gpu-2", silent.port());
    CountDownLatch goodRecorded = new CountDownLatch(1);
    start(new AgentScraper.Settings(PERIOD, Duration.ofMinutes(1), 4, 9400), (node, at, readings) -> {
      recorder.accepted(node, at, readings);
      if (node.equals("gpu-1")) {
        goodRecorded.countDown();
      }
    });

    CompletableFuture<Void> first = scraper.round();
    await(goodRecorded);
    await(silent.asked(1));
    scraper.round().get(10, TimeUnit.SECONDS); // the good agent only: the silent one is still being read

    assertEquals(2, good.requests.get());
    assertEquals(1, silent.requests.get());
    assertFalse(first.isDone(), "the first round still waits on the silent agent");
    assertEquals(Set.of("gpu 0", "gpu 1", "average"),
        lines(recorder.query(request(pod("trainer", "gpu-1"))), MetricNames.GPU_UTILIZATION).keySet(),
        "gpu-1's GPUs were recorded meanwhile");
    release.countDown();
    first.get(10, TimeUnit.SECONDS);
  }

  @Test
  void anAgentPastTheTimeoutIsCountedAndLoggedOnceUntilItAnswers() throws Exception {
    AtomicReference<CountDownLatch> held = new AtomicReference<>(new CountDownLatch(1));
    Agent slow = agent(() -> {
      await(held.get());
      return AgentPageTest.agentPage("gpu-1", 37, 1024, 64, 40960);
    });
    runningPod("tessera-node-agent-a", "gpu-1", slow.port());
    start(new AgentScraper.Settings(PERIOD, Duration.ofMillis(300), 4, 9400));

    scraper.round().get(10, TimeUnit.SECONDS);
    String firstWhy = scraper.outages().get("gpu-1");
    held.get().countDown(); // the server's thread moves on to the next request
    held.set(new CountDownLatch(1));
    scraper.round().get(10, TimeUnit.SECONDS);

    assertEquals(2.0, failures("timeout"));
    assertEquals("sent no page within 300 ms", firstWhy);
    assertEquals(Set.of("gpu-1"), scraper.outages().keySet(), "one outage, however many rounds");
    held.get().countDown();
    held.set(new CountDownLatch(0));
    scraper.round().get(10, TimeUnit.SECONDS);
    assertEquals(Map.of(), scraper.outages());
  }

  @Test
  void anAgentThatRefusesOrAnswersAnErrorIsCountedByReason() throws Exception {
    Agent erring = agent(() -> {
      throw new IllegalStateException("a handler that fails answers 500");
    });
    int closed;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = free.getLocalPort();
    }
    runningPod("tessera-node-agent-a", "gpu-1", erring.port());
    runningPod("tessera-node-agent-b", "gpu-2", closed);
    start(AgentScraper.Settings.DEFAULT);

    scraper.round().get(10, TimeUnit.SECONDS);

    assertEquals(1.0, failures("status"));
    assertEquals(1.0, failures("unreachable"));
    assertEquals("answered HTTP 500", scraper.outages().get("gpu-1"));
    assertTrue(scraper.outages().get("gpu-2").startsWith("cannot be reached"), scraper.outages().toString());
  }

  @Test
  void onlyRunningAgentsWithAnAddressAreReadAtTheirNamedPortElseTheDefault() throws Exception {
    Agent unnamed = agent(() -> AgentPageTest.agentPage("gpu-1", 37, 1024, 64, 40960));
    Agent pending = agent(() -> AgentPageTest.agentPage("gpu-2", 1, 1, 1, 1));
    client.resource(agentPod("tessera-node-agent-a", "gpu-1", null, "Running", "127.0.0.1")).create();
    client.resource(agentPod("tessera-node-agent-b", "gpu-2", pending.port(), "Pending", "127.0.0.1")).create();
    client.resource(agentPod("tessera-node-agent-c", "gpu-3", pending.port(), "Running", null)).create();
    Pod other = agentPod("not-an-agent", "gpu-4", pending.port(), "Running", "127.0.0.1");
    other.getMetadata().setLabels(Map.of(AgentScraper.LABEL, "something-else"));
    client.resource(other).create();
    start(new AgentScraper.Settings(PERIOD, Duration.ofSeconds(3), 4, unnamed.port()));

    scraper.round().get(10, TimeUnit.SECONDS);

    assertEquals(1, unnamed.requests.get());
    assertEquals(0, pending.requests.get());
    assertEquals(2, lines(recorder.query(request(pod("trainer", "gpu-1"))), MetricNames.GPU_MEMORY_USED).size());
  }

  @Test
  void startReadsTheAgentsEveryPeriodOnTheTimer() throws Exception {
    Agent good = agent(() -> AgentPageTest.agentPage("gpu-1", 37, 1024, 64, 40960));
    runningPod("tessera-node-agent-a", "gpu-1", good.port());
    ScheduledExecutorService real = Executors.newSingleThreadScheduledExecutor();
    try (AgentScraper timed = new AgentScraper(client, recorder, AgentScraper.Settings.DEFAULT
        .withPeriod(Duration.ofMillis(20)), clock, real, registry)) {
      timed.start().toCompletableFuture().get(10, TimeUnit.SECONDS);
      await(good.asked(3));
    } finally {
      real.shutdownNow();
    }

    start(AgentScraper.Settings.DEFAULT);
    assertEquals(List.of(0L, PERIOD.toMillis()), List.of(timer.initialDelayMillis, timer.periodMillis));
  }

  @Test
  void theAgentsAreFoundAsTheirDaemonSetMakesThem() throws IOException {
    Path file = deployDir().resolve("70-node-agent.yaml");
    DaemonSet agents;
    try (InputStream in = Files.newInputStream(file)) {
      agents = new KubernetesSerialization().unmarshal(in, DaemonSet.class);
    }
    var template = agents.getSpec().getTemplate();

    assertEquals(AgentScraper.NAMESPACE, agents.getMetadata().getNamespace());
    assertEquals(AgentScraper.LABEL_VALUE, template.getMetadata().getLabels().get(AgentScraper.LABEL));
    assertEquals(AgentScraper.PATH, template.getMetadata().getAnnotations().get("prometheus.io/path"));
    assertEquals(List.of(AgentScraper.Settings.DEFAULT.defaultPort()),
        template.getSpec().getContainers().stream().flatMap(c -> c.getPorts().stream())
            .filter(port -> AgentScraper.PORT_NAME.equals(port.getName())).map(port -> port.getContainerPort())
            .toList());
  }

  private static Path deployDir() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("deploy")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
        return dir.resolve("deploy");
      }
    }
    throw new AssertionError("no deploy/ above " + Path.of("").toAbsolutePath());
  }

  // --- the agents, their pods, and reading the recorder --------------------------------------

  /** A test server standing for one agent's {@code /metrics}, on a free loopback port. */
  private static final class Agent {
    final HttpServer server;
    final ExecutorService threads;
    final AtomicReference<String> page = new AtomicReference<>();
    final AtomicInteger requests = new AtomicInteger();
    private final List<CountDownLatch> waiting = new java.util.concurrent.CopyOnWriteArrayList<>();

    Agent(HttpServer server, ExecutorService threads) {
      this.server = server;
      this.threads = threads;
    }

    int port() {
      return server.getAddress().getPort();
    }

    /** Counts down once the server has been asked {@code times} times. */
    synchronized CountDownLatch asked(int times) {
      CountDownLatch latch = new CountDownLatch(Math.max(0, times - requests.get()));
      waiting.add(latch);
      return latch;
    }

    synchronized void askedOnce() {
      requests.incrementAndGet();
      waiting.forEach(CountDownLatch::countDown);
    }
  }

  /** An agent answering each GET of /metrics with what {@code page} gives (its current page when null). */
  private Agent agent(Supplier<String> page) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    ExecutorService threads = Executors.newCachedThreadPool(runnable -> {
      Thread thread = new Thread(runnable, "test-agent");
      thread.setDaemon(true);
      return thread;
    });
    server.setExecutor(threads);
    Agent agent = new Agent(server, threads);
    server.createContext(AgentScraper.PATH, exchange -> {
      agent.askedOnce();
      try (exchange) {
        byte[] body;
        try {
          String set = agent.page.get();
          body = (set != null ? set : page.get()).getBytes(StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
          exchange.sendResponseHeaders(500, -1);
          return;
        }
        exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        exchange.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        }
      }
    });
    server.start();
    agents.add(agent);
    return agent;
  }

  private void runningPod(String name, String node, int port) {
    client.resource(agentPod(name, node, port, "Running", "127.0.0.1")).create();
  }

  /** An agent's pod as the DaemonSet makes it and kubelet reports it; no named port when {@code port} is null. */
  private static Pod agentPod(String name, String node, Integer port, String phase, String podIp) {
    PodBuilder pod = new PodBuilder()
        .withNewMetadata().withNamespace(AgentScraper.NAMESPACE).withName(name)
        .withLabels(Map.of(AgentScraper.LABEL, AgentScraper.LABEL_VALUE)).endMetadata();
    var container = pod.withNewSpec().withNodeName(node).addNewContainer().withName("agent")
        .withImage("ghcr.io/tessera-dev/tessera-node-agent:0.1.0");
    if (port != null) {
      container.addNewPort().withName(AgentScraper.PORT_NAME).withContainerPort(port).withProtocol("TCP").endPort();
    }
    return container.endContainer().endSpec()
        .withNewStatus().withPhase(phase).withPodIP(podIp).endStatus()
        .build();
  }

  private void start(AgentScraper.Settings settings) throws Exception {
    start(settings, recorder);
  }

  private void start(AgentScraper.Settings settings, ReportListener listener) throws Exception {
    scraper = new AgentScraper(client, listener, settings, clock, timer, registry);
    scraper.start().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private double failures(String reason) {
    return registry.get(AgentScraper.FAILURES).tag("reason", reason).counter().count();
  }

  private static PodRef pod(String name, String node) {
    return new PodRef("ml", name, "uid-" + name, node, 1000, 1 << 30);
  }

  /** The first 20 seconds, every 10. */
  private static MetricsRequest request(PodRef pod) {
    return new MetricsRequest(List.of(pod), T0, T0.plusSeconds(20), PERIOD);
  }

  private static Series.Point point(long second, double value) {
    return new Series.Point(T0.getEpochSecond() + second, value);
  }

  /** A metric's lines by GPU ("gpu 0") or "average", each cut to the points at or before the clock. */
  private Map<String, List<Series.Point>> lines(MetricsResult result, String metric) {
    Map<String, List<Series.Point>> lines = new java.util.HashMap<>();
    for (Series series : result.series()) {
      if (series.metric().equals(metric)) {
        String key = series.labels().containsKey("gpu") ? "gpu " + series.labels().get("gpu") : "average";
        lines.put(key, series.points().stream().filter(p -> p.time() <= clock.instant().getEpochSecond()).toList());
      }
    }
    return lines;
  }

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(10, TimeUnit.SECONDS)) {
        throw new AssertionError("timed out waiting");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** A timer that keeps a fixed-delay task without running it: the tests run rounds themselves. */
  private static final class HeldTimer extends ScheduledThreadPoolExecutor {
    volatile long initialDelayMillis = -1;
    volatile long periodMillis = -1;

    HeldTimer() {
      super(1);
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
      initialDelayMillis = unit.toMillis(initialDelay);
      periodMillis = unit.toMillis(delay);
      return schedule(() -> {}, 1, TimeUnit.DAYS);
    }
  }
}
