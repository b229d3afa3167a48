package dev.tessera.controller.workloads.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.tessera.api.syntax.SeriesSelector;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The scraper against a real HTTP server on loopback, as a replica's metrics endpoint. */
class ReplicaScraperTest {
  private static final Duration TIMEOUT = Duration.ofMillis(500);
  private static final SeriesSelector IN_FLIGHT = SeriesSelector.parse("inflight");

  private HttpServer server;
  private ExecutorService clientThreads;
  private ReplicaScraper scraper;
  /** Released when a test ends, so a handler that hangs on purpose lets the server stop. */
  private final CountDownLatch done = new CountDownLatch(1);

  @BeforeEach
  void setUp() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/metrics", exchange -> reply(exchange, 200, "# TYPE inflight gauge\ninflight 3\ninflight{a=\"b\"} 4\n"));
    server.createContext("/missing", exchange -> reply(exchange, 404, "not here"));
    server.createContext("/other", exchange -> reply(exchange, 200, "something_else 1\n"));
    server.createContext("/slow", exchange -> {
      try {
        done.await(10, TimeUnit.SECONDS); // far past the scraper's timeout
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      reply(exchange, 200, "inflight 1\n");
    });
    server.createContext("/huge", exchange -> {
      exchange.sendResponseHeaders(200, 0); // chunked, as a page of unknown length
      byte[] line = "padding_series_that_goes_on 1\n".getBytes(StandardCharsets.UTF_8);
      try (OutputStream body = exchange.getResponseBody()) {
        for (long sent = 0; sent <= ReplicaScraper.MAX_PAGE_BYTES + line.length; sent += line.length) {
          body.write(line);
        }
      } catch (IOException closedByTheScraper) {
        // it stopped reading: what the test wants
      }
    });
    server.start();
    clientThreads = Executors.newFixedThreadPool(2);
    scraper = new ReplicaScraper(ReplicaScraper.client(clientThreads, TIMEOUT), TIMEOUT);
  }

  @AfterEach
  void tearDown() {
    done.countDown();
    server.stop(0);
    clientThreads.shutdownNow();
  }

  private static void reply(com.sun.net.httpserver.HttpExchange exchange, int code, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private URI at(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  private Reading read(URI endpoint) throws Exception {
    return scraper.read(endpoint, IN_FLIGHT).get(10, TimeUnit.SECONDS);
  }

  @Test
  void theSeriesIsReadOffThePage() throws Exception {
    assertEquals(Reading.of(7.0), read(at("/metrics")));
  }

  @Test
  void aPageWithoutTheSeriesIsAFailureNamingIt() throws Exception {
    assertEquals(Reading.failed("the page has no finite sample of inflight"), read(at("/other")));
  }

  @Test
  void anErrorStatusIsAFailure() throws Exception {
    assertEquals(Reading.failed("HTTP 404"), read(at("/missing")));
  }

  @Test
  void aReplicaThatDoesNotAnswerInTimeIsAFailureAfterTheTimeout() throws Exception {
    long start = System.nanoTime();
    Reading reading = read(at("/slow"));
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(Reading.failed("no answer within 500 ms"), reading);
    assertTrue(millis >= 450 && millis < 5_000, "gave up after " + millis + " ms");
  }

  @Test
  void aPortNobodyListensOnIsAFailure() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = socket.getLocalPort();
    }
    Reading reading = read(URI.create("http://127.0.0.1:" + closed + "/metrics"));
    assertTrue(reading.value().isEmpty());
    assertEquals("connection refused", reading.problem());
  }

  @Test
  void aPageLargerThanTheLimitIsRefused() throws Exception {
    Reading reading = read(at("/huge"));
    assertTrue(reading.value().isEmpty());
    assertEquals("the page is larger than 4 MiB", reading.problem());
  }
}
