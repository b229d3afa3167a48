package dev.tessera.console.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Where Prometheus is: a base URL, under which the API's path goes. */
class PrometheusConfigTest {
  @Test
  void theQueryEndpointGoesUnderTheBaseUrlWithOrWithoutItsSlash() {
    assertEquals(URI.create("http://prometheus:9090/api/v1/query_range"),
        PrometheusConfig.of(URI.create("http://prometheus:9090")).queryRange());
    assertEquals(URI.create("https://gw.example/prometheus/api/v1/query_range"),
        PrometheusConfig.of(URI.create("https://gw.example/prometheus/")).queryRange());
  }

  @ParameterizedTest
  @ValueSource(strings = {"prometheus:9090", "ftp://prometheus", "http:///api", "http://p:9090/?x=1", "http://p/#top"})
  void aUrlThatIsNotABaseUrlIsRefused(String url) {
    assertThrows(IllegalArgumentException.class, () -> PrometheusConfig.of(URI.create(url)));
  }

  @Test
  void timeoutAndRateWindowMustBePositive() {
    URI url = URI.create("http://p:9090");
    assertThrows(IllegalArgumentException.class, () -> new PrometheusConfig(url, Duration.ZERO, Duration.ofMinutes(2)));
    assertThrows(IllegalArgumentException.class, () -> new PrometheusConfig(url, Duration.ofSeconds(1), Duration.ZERO));
  }
}
