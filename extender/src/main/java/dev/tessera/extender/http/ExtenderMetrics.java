package dev.tessera.extender.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The extender server's meters, registered once up front so every verb and outcome shows (as zero)
 * from the first scrape and the request path only looks meters up.
 */
final class ExtenderMetrics {
  static final String REQUESTS = "tessera.extender.requests";
  static final String BAD_REQUESTS = "tessera.extender.bad.requests";
  /**
   * The request histogram's buckets, few and fixed: filter and prioritize answer in well under a
   * millisecond when healthy, bind waits on the API server (and a gang's mates) for up to seconds,
   * and kube-scheduler gives up at 5 s. Twelve buckets per verb and outcome, where a percentile
   * histogram from 50 µs to 30 s had 89.
   */
  static final List<Duration> BUCKETS = List.of(
      Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1),
      Duration.ofNanos(2_500_000), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(50),
      Duration.ofMillis(250), Duration.ofSeconds(1), Duration.ofMillis(2_500), Duration.ofSeconds(5));

  /** How a request ended, as the {@code outcome} tag. */
  enum Outcome {
    OK("ok"),
    BAD_REQUEST("bad_request"),
    ERROR("error");

    private final String tag;

    Outcome(String tag) {
      this.tag = tag;
    }
  }

  private final Map<Route, Map<Outcome, Timer>> timers = new EnumMap<>(Route.class);
  private final Map<String, Counter> badRequests = new HashMap<>();

  ExtenderMetrics(MeterRegistry registry) {
    for (Route route : Route.values()) {
      badRequests.put(route.tag(), badRequestCounter(registry, route.tag()));
      if (!route.extenderVerb()) {
        continue;
      }
      Map<Outcome, Timer> byOutcome = new EnumMap<>(Outcome.class);
      for (Outcome outcome : Outcome.values()) {
        byOutcome.put(
            outcome,
            Timer.builder(REQUESTS)
                .description("kube-scheduler extender calls, from full request to answer")
                .tag("verb", route.tag())
                .tag("outcome", outcome.tag)
                .serviceLevelObjectives(BUCKETS.toArray(Duration[]::new))
                .register(registry));
      }
      timers.put(route, byOutcome);
    }
    badRequests.put(Route.NO_ROUTE_TAG, badRequestCounter(registry, Route.NO_ROUTE_TAG));
  }

  /** Records one extender call; ignored for routes that are not extender verbs. */
  void record(Route route, Outcome outcome, long elapsedNanos) {
    Map<Outcome, Timer> byOutcome = timers.get(route);
    if (byOutcome != null) {
      byOutcome.get(outcome).record(elapsedNanos, TimeUnit.NANOSECONDS);
    }
  }

  /** Counts a request refused as malformed, oversized, misrouted or with the wrong method. */
  void badRequest(Route route) {
    badRequests.get(route == null ? Route.NO_ROUTE_TAG : route.tag()).increment();
  }

  private static Counter badRequestCounter(MeterRegistry registry, String routeTag) {
    return Counter.builder(BAD_REQUESTS)
        .description("requests refused with 4xx: malformed, oversized, unknown path or method")
        .tag("verb", routeTag)
        .register(registry);
  }
}
