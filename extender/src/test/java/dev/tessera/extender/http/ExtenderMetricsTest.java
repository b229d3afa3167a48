package dev.tessera.extender.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ExtenderMetricsTest {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  @Test
  void everyVerbAndOutcomeIsOnThePageAtZeroBeforeAnyRequest() {
    new ExtenderMetrics(registry);
    String text = registry.scrape();
    for (String verb : List.of("filter", "prioritize", "bind", "preempt")) {
      for (String outcome : List.of("ok", "bad_request", "error")) {
        assertTrue(text.contains("tessera_extender_requests_seconds_count{outcome=\"" + outcome + "\",verb=\"" + verb
            + "\"} 0"), verb + " " + outcome + ":\n" + text);
      }
      assertTrue(text.contains("tessera_extender_bad_requests_total{verb=\"" + verb + "\"} 0.0"), verb + ":\n" + text);
    }
  }

  @Test
  void theRequestHistogramHasOnlyItsFixedBuckets() {
    ExtenderMetrics metrics = new ExtenderMetrics(registry);
    metrics.record(Route.FILTER, ExtenderMetrics.Outcome.OK, 300_000);
    metrics.record(Route.FILTER, ExtenderMetrics.Outcome.OK, 40_000_000_000L);
    String text = registry.scrape();
    Matcher bucket = Pattern.compile(
        "(?m)^tessera_extender_requests_seconds_bucket\\{(?=[^}]*outcome=\"ok\")(?=[^}]*verb=\"filter\")"
            + "[^}]*le=\"([^\"]+)\"[^}]*} (\\S+)$")
        .matcher(text);
    List<String> les = new ArrayList<>();
    List<String> counts = new ArrayList<>();
    while (bucket.find()) {
      les.add(bucket.group(1));
      counts.add(bucket.group(2));
    }
    assertEquals(List.of("1.0E-4", "2.5E-4", "5.0E-4", "0.001", "0.0025", "0.005", "0.01", "0.05", "0.25", "1.0",
        "2.5", "5.0", "+Inf"), les, text);
    assertEquals("0", counts.get(1), "300 µs is above 250 µs");
    assertEquals("1", counts.get(2), "and within 500 µs");
    assertEquals("2", counts.get(counts.size() - 1));
    long series = text.lines().filter(l -> l.startsWith("tessera_extender_requests_seconds_bucket{")).count();
    assertEquals(13L * 4 * 3, series, "13 buckets for each of 4 verbs and 3 outcomes");
  }
}
