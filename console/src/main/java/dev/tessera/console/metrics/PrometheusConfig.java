package dev.tessera.console.metrics;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Where Prometheus is and how long to wait for it.
 *
 * @param url its base URL, as {@code --prometheus-url} gives it: {@code
 *     http://prometheus.monitoring.svc:9090}, with the path prefix where it serves under one
 * @param timeout how long one query may take, connecting included; also sent as the query's
 *     {@code timeout} so Prometheus gives up on it too
 * @param minRateWindow the shortest window CPU use is averaged over: at least four of Prometheus'
 *     scrape intervals of the kubelets, so that each window holds enough samples for a rate (the
 *     step is used where longer)
 */
public record PrometheusConfig(URI url, Duration timeout, Duration minRateWindow) {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
  /** Four of the common 30 s scrape interval. */
  public static final Duration DEFAULT_MIN_RATE_WINDOW = Duration.ofMinutes(2);

  public PrometheusConfig {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(minRateWindow, "minRateWindow");
    if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
      throw new IllegalArgumentException("the Prometheus URL must be http:// or https://, was " + url);
    }
    if (url.getHost() == null) {
      throw new IllegalArgumentException("the Prometheus URL has no host: " + url);
    }
    if (url.getRawQuery() != null || url.getRawFragment() != null) {
      throw new IllegalArgumentException("the Prometheus URL must be its base URL, without ?query or #fragment: " + url);
    }
    if (timeout.compareTo(Duration.ofMillis(1)) < 0) {
      throw new IllegalArgumentException("the Prometheus timeout must be positive, was " + timeout);
    }
    if (minRateWindow.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("the rate window must be at least 1s, was " + minRateWindow);
    }
  }

  /** Prometheus at {@code url}, with the default timeout and rate window. */
  public static PrometheusConfig of(URI url) {
    return new PrometheusConfig(url, DEFAULT_TIMEOUT, DEFAULT_MIN_RATE_WINDOW);
  }

  /** The range query endpoint under the base URL, whether or not that ends in a slash. */
  URI queryRange() {
    String base = url.toString();
    return URI.create((base.endsWith("/") ? base : base + "/") + "api/v1/query_range");
  }
}
