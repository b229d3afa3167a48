package dev.tessera.console.metrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.ConnectException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Range queries to Prometheus over HTTP. Every way one fails ends as a {@link
 * MetricsUnavailableException} with Prometheus' own words where it gave any, and what to check.
 */
final class PrometheusClient {
  /** How much of a body that is not Prometheus' goes into the error: enough to recognise it. */
  private static final int BODY_SHOWN = 200;

  private final PrometheusConfig config;
  private final HttpClient http;
  private final QueryRangeResponse reader;

  PrometheusClient(PrometheusConfig config, HttpClient http, ObjectMapper json) {
    this.config = Objects.requireNonNull(config, "config");
    this.http = Objects.requireNonNull(http, "http");
    this.reader = new QueryRangeResponse(json);
  }

  /**
   * Sends the query at once; the future completes with the series or fails with a {@link
   * MetricsUnavailableException}. A POST, as Prometheus allows, so a workload of many pods does not
   * outgrow a URL.
   */
  CompletableFuture<List<QueryRangeResponse.RawSeries>> queryRange(
      String query, Instant start, Instant end, Duration step) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("query", query);
    form.put("start", seconds(start.getEpochSecond(), start.getNano()));
    form.put("end", seconds(end.getEpochSecond(), end.getNano()));
    form.put("step", seconds(step.getSeconds(), step.getNano()));
    form.put("timeout", config.timeout().toMillis() + "ms");
    HttpRequest request = HttpRequest.newBuilder(config.queryRange())
        .timeout(config.timeout())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(encode(form)))
        .build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
        // The request's timeout ends at the response's headers; this one also bounds its body.
        .orTimeout(config.timeout().toMillis(), TimeUnit.MILLISECONDS)
        .handle((response, failure) -> {
          if (failure != null) {
            throw unreachable(failure instanceof CompletionException ? failure.getCause() : failure);
          }
          return series(response, query);
        });
  }

  private List<QueryRangeResponse.RawSeries> series(HttpResponse<byte[]> response, String query) {
    QueryRangeResponse.Parsed parsed = reader.parse(response.body());
    if (parsed instanceof QueryRangeResponse.Parsed.Matrix matrix) {
      return matrix.series();
    }
    if (parsed instanceof QueryRangeResponse.Parsed.Failure failure) {
      throw refused(failure, response.statusCode(), query);
    }
    throw notPrometheus((QueryRangeResponse.Parsed.Malformed) parsed, response);
  }

  private MetricsUnavailableException refused(QueryRangeResponse.Parsed.Failure failure, int status, String query) {
    String said = "Prometheus at " + config.url() + " failed the query (" + failure.errorType() + ", HTTP " + status
        + "): " + failure.error() + ". ";
    String advice = switch (failure.errorType()) {
      case "bad_data" -> "Tessera wrote that query, so this is a bug in Tessera; report it with the query: " + query;
      case "timeout", "canceled" -> "A shorter period or a longer step asks less of it; its --query.timeout"
          + " bounds every query too";
      case "execution" -> "If it would load too many samples (its --query.max-samples), choose a shorter period"
          + " or a longer step";
      default -> "Check Prometheus' health and its log";
    };
    return new MetricsUnavailableException(said + advice, null);
  }

  private MetricsUnavailableException notPrometheus(
      QueryRangeResponse.Parsed.Malformed malformed, HttpResponse<byte[]> response) {
    String body = new String(response.body(), StandardCharsets.UTF_8);
    String shown = body.length() > BODY_SHOWN ? body.substring(0, BODY_SHOWN) + "..." : body;
    String message = "Prometheus at " + config.url() + " answered HTTP " + response.statusCode()
        + " with a body that is not its query API's (" + malformed.reason() + "; it begins: \""
        + shown.replaceAll("\\s+", " ").strip() + "\"). Check that --prometheus-url is Prometheus' base URL,"
        + " not its UI, Grafana or a login proxy";
    if (response.statusCode() == 404) {
      message += "; where Prometheus serves under a path prefix (--web.route-prefix), the URL must include it";
    }
    return new MetricsUnavailableException(message, null);
  }

  private MetricsUnavailableException unreachable(Throwable failure) {
    String timeout = config.timeout().toMillis() + "ms";
    if (failure instanceof HttpConnectTimeoutException) {
      return new MetricsUnavailableException("no connection to Prometheus at " + config.url() + " within " + timeout
          + ": check --prometheus-url, and that nothing (a NetworkPolicy, a firewall) drops the traffic", failure);
    }
    if (failure instanceof HttpTimeoutException || failure instanceof TimeoutException) {
      return new MetricsUnavailableException("Prometheus at " + config.url() + " did not answer within " + timeout
          + ": it may be overloaded; a shorter period or a longer step asks less of it", failure);
    }
    if (failure instanceof ConnectException) {
      return new MetricsUnavailableException("cannot connect to Prometheus at " + config.url() + " (" + failure
          + "): check --prometheus-url, that Prometheus runs, and that the console may reach it", failure);
    }
    if (failure instanceof IOException) {
      return new MetricsUnavailableException("the query to Prometheus at " + config.url() + " failed (" + failure
          + "): check --prometheus-url and Prometheus' health", failure);
    }
    return new MetricsUnavailableException("the query to Prometheus at " + config.url() + " failed: " + failure, failure);
  }

  /** Seconds since the epoch (or a duration in seconds) as Prometheus reads them: plain decimal. */
  static String seconds(long seconds, int nanos) {
    return BigDecimal.valueOf(seconds).add(BigDecimal.valueOf(nanos, 9)).stripTrailingZeros().toPlainString();
  }

  private static String encode(Map<String, String> form) {
    return form.entrySet().stream()
        .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
            + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
  }
}
