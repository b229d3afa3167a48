package dev.tessera.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MetricsServerTest {
  private final HttpClient http = HttpClient.newHttpClient();
  private final PrometheusMeterRegistry registry = AgentMetrics.newRegistry();
  private volatile Optional<String> problem = Optional.empty();
  private MetricsServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    if (server == null) {
      server = MetricsServer.start(0, registry, () -> problem);
    }
    HttpRequest req =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build();
    return http.send(req, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesTheScrapeAsPrometheusText() throws Exception {
    io.micrometer.core.instrument.Gauge.builder("DCGM_FI_DEV_GPU_UTIL", () -> 42).register(registry);
    HttpResponse<String> r = send("GET", "/metrics");
    assertEquals(200, r.statusCode());
    assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""));
    assertTrue(r.body().contains("DCGM_FI_DEV_GPU_UTIL 42.0\n"), r.body());
  }

  @Test
  void healthzSaysWhyWhenUnhealthy() throws Exception {
    assertEquals(200, send("GET", "/healthz").statusCode());
    assertEquals("ok\n", send("GET", "/healthz").body());
    problem = Optional.of("no GPU sample for 12 s");
    HttpResponse<String> r = send("GET", "/healthz");
    assertEquals(503, r.statusCode());
    assertEquals("no GPU sample for 12 s\n", r.body());
  }

  @Test
  void refusesOtherPathsAndMethods() throws Exception {
    assertEquals(404, send("GET", "/metricsx").statusCode());
    assertEquals(404, send("GET", "/").statusCode());
    HttpResponse<String> post = send("POST", "/metrics");
    assertEquals(405, post.statusCode());
    assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElse(""));
    assertEquals(200, send("HEAD", "/metrics").statusCode());
  }

  @Test
  void aTakenPortSaysWhatToDo() throws Exception {
    send("GET", "/healthz");
    IllegalStateException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalStateException.class, () -> MetricsServer.start(server.port(), registry, Health.ALWAYS));
    assertTrue(e.getMessage().contains("--metrics-port"), e.getMessage());
  }
}
