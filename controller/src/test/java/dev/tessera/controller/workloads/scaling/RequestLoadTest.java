package dev.tessera.controller.workloads.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.tessera.api.syntax.SeriesSelector;
import dev.tessera.extender.testing.Await;
import dev.tessera.extender.testing.MutableClock;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RequestLoadTest {
  private static final SeriesSelector SERIES = SeriesSelector.parse("requests_total");
  private static final RequestLoad.Source IN_FLIGHT = new RequestLoad.Source(SERIES, false);
  private static final RequestLoad.Source RATE = new RequestLoad.Source(SERIES, true);
  private static final RequestLoad.Replica A = replica("a", "10.0.0.1");
  private static final RequestLoad.Replica B = replica("b", "10.0.0.2");

  private final MutableClock clock = MutableClock.atEpochOfTests();
  /** What each endpoint's page says now; an endpoint not here fails. */
  private final Map<URI, Reading> pages = new ConcurrentHashMap<>();
  private final AtomicInteger reads = new AtomicInteger();
  private final RequestLoad load = new RequestLoad((endpoint, series) -> {
    reads.incrementAndGet();
    return CompletableFuture.completedFuture(pages.getOrDefault(endpoint, Reading.failed("connection refused")));
  }, clock);
  private final AtomicInteger rounds = new AtomicInteger();

  private static RequestLoad.Replica replica(String name, String ip) {
    return new RequestLoad.Replica("uid-" + name, name, URI.create("http://" + ip + ":8000/metrics"));
  }

  private List<OptionalDouble> loads(RequestLoad.Replica... replicas) {
    return load.measures("ml/chat", List.of(replicas)).stream().map(RequestLoad.Measure::load).toList();
  }

  private void track(RequestLoad.Source source, RequestLoad.Replica... replicas) {
    load.track("ml/chat", source, List.of(replicas), rounds::incrementAndGet);
  }

  @Test
  void aGaugesValueIsTheLoadAndNewReplicasAreReadAtOnce() {
    pages.put(A.endpoint(), Reading.of(3));
    pages.put(B.endpoint(), Reading.of(4));
    track(IN_FLIGHT, A, B);
    assertEquals(List.of(OptionalDouble.of(3), OptionalDouble.of(4)), loads(A, B));
    assertEquals(1, rounds.get(), "the controller hears of the round");

    pages.put(A.endpoint(), Reading.of(0));
    track(IN_FLIGHT, A, B);
    assertEquals(OptionalDouble.of(3), loads(A).get(0), "nothing new to read: the timer's round reads it");
    load.scrapeAll();
    assertEquals(OptionalDouble.of(0), loads(A).get(0));
    assertEquals(2, rounds.get());
  }

  @Test
  void aCountersLoadIsItsRateBetweenTwoReadingsOfOnePod() {
    pages.put(A.endpoint(), Reading.of(100));
    track(RATE, A);
    assertEquals(OptionalDouble.empty(), loads(A).get(0), "one reading is no rate");
    assertEquals(0, load.measures("ml/chat", List.of(A)).get(0).failures(), "and no failure either");

    clock.advance(Duration.ofSeconds(5));
    pages.put(A.endpoint(), Reading.of(150));
    load.scrapeAll();
    assertEquals(OptionalDouble.of(10), loads(A).get(0), "50 requests in 5 s");

    clock.advance(Duration.ofSeconds(5));
    pages.put(A.endpoint(), Reading.of(150));
    load.scrapeAll();
    assertEquals(OptionalDouble.of(0), loads(A).get(0), "idle");
  }

  @Test
  void aCounterThatWentDownGivesNoRateUntilItsNextReading() {
    pages.put(A.endpoint(), Reading.of(1000));
    track(RATE, A);
    clock.advance(Duration.ofSeconds(5));
    pages.put(A.endpoint(), Reading.of(20)); // the server restarted
    load.scrapeAll();
    assertEquals(OptionalDouble.empty(), loads(A).get(0), "not a rate of -196/s, nor a guess");
    clock.advance(Duration.ofSeconds(4));
    pages.put(A.endpoint(), Reading.of(40));
    load.scrapeAll();
    assertEquals(OptionalDouble.of(5), loads(A).get(0), "from the new run's first reading");
  }

  @Test
  void aFailedScrapeBetweenTwoReadingsLeavesTheFirstAsTheBase() {
    pages.put(A.endpoint(), Reading.of(100));
    track(RATE, A);
    clock.advance(Duration.ofSeconds(5));
    pages.remove(A.endpoint());
    load.scrapeAll();
    RequestLoad.Measure failed = load.measures("ml/chat", List.of(A)).get(0);
    assertEquals(new RequestLoad.Measure(OptionalDouble.empty(), "connection refused", 1), failed);
    clock.advance(Duration.ofSeconds(5));
    pages.put(A.endpoint(), Reading.of(200));
    load.scrapeAll();
    assertEquals(new RequestLoad.Measure(OptionalDouble.of(10), null, 0), load.measures("ml/chat", List.of(A)).get(0));
  }

  @Test
  void failuresInARowAreCountedAndAReadingEndsThem() {
    track(IN_FLIGHT, A);
    load.scrapeAll();
    load.scrapeAll();
    assertEquals(3, load.measures("ml/chat", List.of(A)).get(0).failures());
    pages.put(A.endpoint(), Reading.of(2));
    load.scrapeAll();
    assertEquals(new RequestLoad.Measure(OptionalDouble.of(2), null, 0), load.measures("ml/chat", List.of(A)).get(0));
  }

  @Test
  void aMovedReplicaOrAChangedSourceStartsAfresh() {
    pages.put(A.endpoint(), Reading.of(100));
    track(RATE, A);
    clock.advance(Duration.ofSeconds(5));
    pages.put(A.endpoint(), Reading.of(150));
    load.scrapeAll();
    assertEquals(OptionalDouble.of(10), loads(A).get(0));

    RequestLoad.Replica moved = new RequestLoad.Replica(A.pod(), A.name(), URI.create("http://10.0.0.9:8000/metrics"));
    pages.put(moved.endpoint(), Reading.of(7));
    track(RATE, moved);
    assertEquals(OptionalDouble.empty(), loads(moved).get(0), "another endpoint's counter is another run");
    assertEquals(OptionalDouble.empty(), loads(A).get(0), "the old endpoint's figure is not handed out");

    track(IN_FLIGHT, moved);
    assertEquals(OptionalDouble.of(7), loads(moved).get(0), "read again at once as a gauge");
  }

  @Test
  void aForgottenInferenceIsReadNoMore() {
    pages.put(A.endpoint(), Reading.of(1));
    track(IN_FLIGHT, A);
    int before = reads.get();
    load.forget("ml/chat");
    load.scrapeAll();
    assertEquals(before, reads.get());
    assertEquals(OptionalDouble.empty(), loads(A).get(0));
  }

  @Test
  void oneRoundAtATimeAndTheNextFollowsWhenAskedMeanwhile() {
    CompletableFuture<Reading> slow = new CompletableFuture<>();
    AtomicInteger started = new AtomicInteger();
    RequestLoad waiting = new RequestLoad((endpoint, series) -> {
      started.incrementAndGet();
      return started.get() == 1 ? slow : CompletableFuture.completedFuture(Reading.of(9));
    }, clock);
    waiting.track("ml/chat", IN_FLIGHT, List.of(A), () -> {});
    waiting.scrapeAll();
    waiting.scrapeAll();
    assertEquals(1, started.get(), "the first round is still out");
    slow.complete(Reading.of(1));
    assertEquals(2, started.get(), "one more round, not two");
    assertEquals(OptionalDouble.of(9), waiting.measures("ml/chat", List.of(A)).get(0).load());
  }

  @Test
  void theRateOfARealServersCounterAcrossARestart() throws Exception {
    AtomicInteger counter = new AtomicInteger(500);
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/metrics", exchange -> {
      byte[] page = ("# TYPE requests_total counter\nrequests_total{code=\"200\"} " + counter.get()
          + "\nrequests_total{code=\"500\"} 3\n").getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, page.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(page);
      }
    });
    server.start();
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      RequestLoad real = new RequestLoad(
          new ReplicaScraper(ReplicaScraper.client(threads, Duration.ofSeconds(2)), Duration.ofSeconds(2)), clock);
      RequestLoad.Replica replica = new RequestLoad.Replica("uid-r", "r",
          URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/metrics"));
      RequestLoad.Source ok = new RequestLoad.Source(SeriesSelector.parse("requests_total{code=\"200\"}"), true);
      AtomicInteger heard = new AtomicInteger();
      real.track("ml/real", ok, List.of(replica), heard::incrementAndGet);
      Await.await("the first reading", () -> heard.get() == 1);
      assertEquals(OptionalDouble.empty(), real.measures("ml/real", List.of(replica)).get(0).load());

      clock.advance(Duration.ofSeconds(2));
      counter.set(530);
      real.scrapeAll();
      Await.await("the second reading", () -> heard.get() == 2);
      assertEquals(OptionalDouble.of(15), real.measures("ml/real", List.of(replica)).get(0).load());

      clock.advance(Duration.ofSeconds(2));
      counter.set(4); // restarted
      real.scrapeAll();
      Await.await("the reading after the restart", () -> heard.get() == 3);
      RequestLoad.Measure reset = real.measures("ml/real", List.of(replica)).get(0);
      assertTrue(reset.load().isEmpty() && reset.failures() == 0, reset.toString());
    } finally {
      server.stop(0);
      threads.shutdownNow();
    }
  }
}
