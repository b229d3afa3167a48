package dev.tessera.agent.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code GET /metrics} (Prometheus text format 0.0.4, as dcgm-exporter does) and {@code GET
 * /healthz}.
 *
 * <p>The JDK's {@code com.sun.net.httpserver} rather than Netty: this endpoint sees a scrape every
 * 15-60 s and a probe every 10 s. The JDK server needs no dependency, runs on one thread and keeps
 * no pooled buffers, where a Netty server would add event-loop threads and a direct-memory arena to
 * an agent whose budget is 100 MB on every GPU node. (Netty is only in the jar as gRPC's shaded
 * private copy.)
 */
public final class MetricsServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;
  private final Supplier<String> metrics;
  private final Health health;

  private MetricsServer(HttpServer server, ExecutorService executor, Supplier<String> metrics, Health health) {
    this.server = server;
    this.executor = executor;
    this.metrics = metrics;
    this.health = health;
  }

  /** Serves {@code registry}'s scrape alone. */
  public static MetricsServer start(int port, PrometheusMeterRegistry registry, Health health) throws IOException {
    Objects.requireNonNull(registry, "registry");
    return start(port, registry::scrape, health);
  }

  /**
   * Binds {@code port} on all interfaces (Prometheus scrapes the pod IP) and starts serving.
   *
   * @param port 0 picks a free one
   * @param metrics the body of {@code /metrics}, in Prometheus text format 0.0.4
   */
  public static MetricsServer start(int port, Supplier<String> metrics, Health health) throws IOException {
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(health, "health");
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(port), 16);
    } catch (java.net.BindException e) {
      throw new IllegalStateException(
          "cannot listen on metrics port " + port + " (" + e.getMessage() + "); is dcgm-exporter or another"
              + " agent running? choose another with --metrics-port",
          e);
    }
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "tessera-metrics-http");
              t.setDaemon(true);
              return t;
            });
    MetricsServer s = new MetricsServer(server, executor, metrics, health);
    server.createContext("/", s::handle);
    server.setExecutor(executor);
    server.start();
    return s;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        reply(exchange, 405, "text/plain; charset=utf-8", "only GET and HEAD\n");
        return;
      }
      switch (exchange.getRequestURI().getPath()) {
        case "/metrics" -> reply(exchange, 200, CONTENT_TYPE, metrics.get());
        case "/healthz" -> {
          Optional<String> problem = health.problem();
          reply(
              exchange,
              problem.isEmpty() ? 200 : 503,
              "text/plain; charset=utf-8",
              problem.map(p -> p + "\n").orElse("ok\n"));
        }
        default -> reply(exchange, 404, "text/plain; charset=utf-8", "not found: try /metrics or /healthz\n");
      }
    } catch (RuntimeException e) {
      // An exception escaping the handler would drop the connection with no answer at all.
      log.warn("metrics request {} failed", exchange.getRequestURI(), e);
    }
  }

  private static void reply(HttpExchange exchange, int status, String contentType, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdown();
    try {
      executor.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
