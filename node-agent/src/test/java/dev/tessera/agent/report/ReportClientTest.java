package dev.tessera.agent.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import dev.tessera.agent.FakeGpuBackend;
import dev.tessera.agent.Sampler;
import dev.tessera.proto.agent.v1.NodeReport;
import dev.tessera.proto.agent.v1.ReportAck;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The report client against a real gRPC server on loopback. */
class ReportClientTest {
  private static final java.time.Duration FAST = java.time.Duration.ofMillis(50);
  private static final java.time.Duration WAIT = java.time.Duration.ofSeconds(10);
  private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
  private final ScheduledExecutorService samplerThread = Executors.newSingleThreadScheduledExecutor();
  private final RecordingEvents events = new RecordingEvents();
  private final List<AutoCloseable> cleanup = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      cleanup.get(i).close();
    }
    executor.shutdownNow();
    samplerThread.shutdownNow();
  }

  // ----------------------------------------------------------------------------------------------

  @Test
  void reportsCarryTheLatestSample() throws Exception {
    FakeGpuBackend gpus = new FakeGpuBackend(2, "NVIDIA A100-SXM4-80GB", 80 * FakeGpuBackend.GIB);
    Sampler sampler =
        new Sampler(gpus, dev.tessera.agent.ContainerUsageSource.NONE, Clock.fixed(T0, ZoneOffset.UTC), samplerThread, FAST, List.of());
    sampler.sampleOnce();
    TestExtender extender = extender(0);
    ReportBuilder builder = new ReportBuilder("node-a", "9.9.9");
    client(extender.port(), () -> builder.build(sampler.latest()), settings(java.time.Duration.ofMillis(100)), backoff(), Clock.systemUTC())
        .start();

    NodeReport first = extender.reports.poll(10, TimeUnit.SECONDS);
    assertNotNull(first, "no report arrived");
    assertEquals("node-a", first.getNodeName());
    assertEquals("9.9.9", first.getAgentVersion());
    assertEquals(T0.getEpochSecond(), first.getSentAt().getSeconds());
    assertEquals(2, first.getGpusCount());
    assertEquals(FakeGpuBackend.uuid(1), first.getGpus(1).getUuid());
    assertEquals(10, first.getGpus(1).getUtilizationPercent());

    // The next reports follow the sampler.
    gpus.update(1, s -> FakeGpuBackend.withUtilization(s, 93));
    sampler.sampleOnce();
    await(() -> extender.reports.stream().anyMatch(r -> r.getGpus(1).getUtilizationPercent() == 93), "updated report");
    await(() -> events.count("connected") == 1, "connected event");
  }

  @Test
  void adoptsTheIntervalTheExtenderAsksFor() throws Exception {
    TestExtender extender = extender(0);
    extender.answer = r -> ReportAck.newBuilder().setAccepted(true).setReportInterval(Duration.newBuilder().setNanos(50_000_000)).build();
    // Until told otherwise this client would report once an hour.
    ReportClient client = client(extender.port(), ReportClientTest::report, settings(java.time.Duration.ofHours(1)), backoff(), Clock.systemUTC());
    client.start();

    await(() -> extender.reports.size() >= 5, "five reports at the adopted 50 ms");
    assertEquals(FAST, client.interval());
    assertEquals(List.of("interval:PT0.05S"), events.named("interval"));
  }

  @Test
  void clampsAnIntervalOutsideTheAllowedRange() throws Exception {
    TestExtender extender = extender(0);
    extender.answer = r -> ReportAck.newBuilder().setAccepted(true).setReportInterval(Duration.newBuilder().setNanos(1_000)).build();
    ReportClient client = client(extender.port(), ReportClientTest::report, settings(java.time.Duration.ofMillis(200)), backoff(), Clock.systemUTC());
    client.start();
    await(() -> events.count("interval") == 1, "interval event");
    assertEquals(java.time.Duration.ofMillis(20), client.interval(), "the settings' floor, not 1 µs");
  }

  @Test
  void logsARejectionOncePerMessage() throws Exception {
    TestExtender extender = extender(0);
    extender.answer = r -> ReportAck.newBuilder().setAccepted(false).setMessage("unknown node node-a").build();
    client(extender.port(), ReportClientTest::report, settings(FAST), backoff(), Clock.systemUTC()).start();

    await(() -> extender.reports.size() >= 5, "five reports");
    assertEquals(List.of("rejected:unknown node node-a"), events.named("rejected"));

    extender.answer = r -> TestExtender.ACCEPT;
    int seen = extender.reports.size();
    await(() -> extender.reports.size() >= seen + 2, "accepted reports");
    extender.answer = r -> ReportAck.newBuilder().setAccepted(false).setMessage("unknown node node-a").build();
    await(() -> events.count("rejected") == 2, "a new rejection after acceptance is news again");
    assertEquals(0, events.count("outage"), "a rejection is not an outage");
  }

  @Test
  void remembersWhenTheSnapshotOfTheNewestAcceptedReportWasTaken() throws Exception {
    TestExtender extender = extender(0);
    extender.answer = r -> ReportAck.newBuilder().setAccepted(false).setMessage("unknown node node-a").build();
    java.util.concurrent.atomic.AtomicLong second = new java.util.concurrent.atomic.AtomicLong(1_000);
    ReportClient client =
        client(
            extender.port(),
            () -> NodeReport.newBuilder()
                .setNodeName("node-a")
                .setSentAt(com.google.protobuf.Timestamp.newBuilder().setSeconds(second.get()))
                .build(),
            settings(FAST),
            backoff(),
            Clock.systemUTC());
    client.start();

    await(() -> extender.reports.size() >= 3, "rejected reports");
    assertTrue(client.acceptedSampleTime().isEmpty(), "nothing accepted yet");

    second.set(2_000);
    extender.answer = r -> r.getSentAt().getSeconds() == 2_000 ? TestExtender.ACCEPT : ReportAck.getDefaultInstance();
    await(() -> client.acceptedSampleTime().isPresent(), "an accepted report");
    assertEquals(java.time.Instant.ofEpochSecond(2_000), client.acceptedSampleTime().get());
  }

  @Test
  void reconnectsAfterTheExtenderRestartsOnTheSamePortAndLogsTheOutageOnce() throws Exception {
    TestExtender extender = extender(0);
    RecordingBackoff backoff = backoff();
    client(extender.port(), ReportClientTest::report, settings(FAST), backoff, Clock.systemUTC()).start();
    await(() -> extender.reports.size() >= 2, "reports before the restart");

    extender.stop();
    await(() -> backoff.delays().size() >= 4, "several reconnection attempts");
    assertEquals(1, events.count("outage"), "one outage, however many attempts: " + events.all);

    int streamsBefore = extender.streams.get();
    extender.reports.clear();
    extender.restart();
    await(() -> !extender.reports.isEmpty(), "a report to the restarted extender");
    await(() -> events.count("reconnected") == 1, "reconnected event");
    assertTrue(extender.streams.get() > streamsBefore);
    assertEquals(1, events.count("outage"));
    assertEquals(1, events.count("connected"), "the first connection only");
  }

  @Test
  void backoffGrowsWhileTheExtenderIsDownAndStartsOverOnceItAnswers() throws Exception {
    int port = freePort();
    RecordingBackoff backoff = backoff();
    client(port, ReportClientTest::report, settings(FAST), backoff, Clock.systemUTC()).start();

    await(() -> backoff.delays().size() >= 6, "six attempts against a closed port");
    // 10 ms doubling, capped at 80 ms; the injected random (0.5) puts each delay mid-band.
    assertEquals(List.of(10L, 20L, 40L, 80L, 80L, 80L), backoff.delays().subList(0, 6));
    assertEquals(1, events.count("outage"));
    assertEquals("outage:UNAVAILABLE", events.named("outage").get(0));

    TestExtender extender = extender(port);
    await(() -> events.count("reconnected") == 1, "answered at last");
    assertTrue(backoff.resets() >= 1, "the first ack resets the backoff");

    int attempts = backoff.delays().size();
    extender.stop();
    await(() -> backoff.delays().size() >= attempts + 2, "attempts after the second outage");
    assertEquals(List.of(10L, 20L), backoff.delays().subList(attempts, attempts + 2), "a new outage starts over");
    assertEquals(2, events.count("outage"));
  }

  @Test
  void reopensAStreamTheExtenderStopsAcknowledging() throws Exception {
    TestExtender extender = extender(0);
    extender.answer = r -> null; // a wedged extender: the connection is up, nothing comes back
    client(extender.port(), ReportClientTest::report, settings(FAST, java.time.Duration.ofMillis(300)), backoff(), Clock.systemUTC())
        .start();
    await(() -> extender.streams.get() >= 2, "a second stream after the ack timeout");
    assertEquals("outage:CANCELLED", events.named("outage").get(0));
  }

  @Test
  void closeEndsTheStreamCleanly() throws Exception {
    TestExtender extender = extender(0);
    ReportClient client = client(extender.port(), ReportClientTest::report, settings(FAST), backoff(), Clock.systemUTC());
    client.start();
    await(() -> !extender.reports.isEmpty(), "a report");
    client.close();
    await(() -> extender.halfClosed.get() == 1, "the extender sees the stream end");
    assertEquals(0, events.count("outage"));
  }

  // ----------------------------------------------------------------------------------------------

  private static NodeReport report() {
    return NodeReport.newBuilder().setNodeName("node-a").build();
  }

  /** Acks are awaited 2 s: long enough that a loaded CI machine never trips it by accident. */
  private static ReportSettings settings(java.time.Duration interval) {
    return settings(interval, java.time.Duration.ofSeconds(2));
  }

  private static ReportSettings settings(java.time.Duration interval, java.time.Duration ackTimeout) {
    return new ReportSettings(interval, java.time.Duration.ofMillis(20), java.time.Duration.ofHours(1), ackTimeout);
  }

  private static RecordingBackoff backoff() {
    return new RecordingBackoff(
        new ExponentialBackoff(java.time.Duration.ofMillis(10), java.time.Duration.ofMillis(80), 2.0, 0.2, () -> 0.5));
  }

  private TestExtender extender(int port) throws Exception {
    TestExtender e = TestExtender.start(port);
    cleanup.add(e);
    return e;
  }

  private ReportClient client(
      int port, java.util.function.Supplier<NodeReport> reports, ReportSettings settings, Backoff backoff, Clock clock) {
    ManagedChannel channel =
        Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create()).directExecutor().build();
    cleanup.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    ReportClient client =
        new ReportClient(channel, "127.0.0.1:" + port, reports, settings, backoff, events, clock, executor);
    cleanup.add(client);
    return client;
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(5);
    }
  }

  /** Wraps a backoff and records every delay it hands out, in milliseconds. */
  static final class RecordingBackoff implements Backoff {
    private final Backoff inner;
    private final List<Long> delays = new CopyOnWriteArrayList<>();
    private volatile int resets;

    RecordingBackoff(Backoff inner) {
      this.inner = inner;
    }

    @Override
    public java.time.Duration nextDelay() {
      java.time.Duration d = inner.nextDelay();
      delays.add(d.toMillis());
      return d;
    }

    @Override
    public void reset() {
      resets++;
      inner.reset();
    }

    List<Long> delays() {
      return List.copyOf(delays);
    }

    int resets() {
      return resets;
    }
  }

  /** Records events as "kind:detail" strings. */
  static final class RecordingEvents implements ReportEvents {
    final List<String> all = new CopyOnWriteArrayList<>();

    @Override
    public void connected(String target) {
      all.add("connected:" + target);
    }

    @Override
    public void outageStarted(String target, Status cause) {
      all.add("outage:" + cause.getCode());
    }

    @Override
    public void reconnected(String target, java.time.Duration outage) {
      all.add("reconnected:" + target);
    }

    @Override
    public void rejected(String target, String message) {
      all.add("rejected:" + message);
    }

    @Override
    public void intervalAdopted(java.time.Duration interval, java.time.Duration requested) {
      all.add("interval:" + interval);
    }

    List<String> named(String kind) {
      return all.stream().filter(e -> e.startsWith(kind + ":")).toList();
    }

    int count(String kind) {
      return named(kind).size();
    }
  }
}
