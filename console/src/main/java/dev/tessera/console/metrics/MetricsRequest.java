package dev.tessera.console.metrics;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A workload's metrics over a period, sampled every {@code step}.
 *
 * @param pods the workload's pods
 * @param start the first sample's time
 * @param end the last sample's time, after {@code start}
 * @param step between samples, at least one second; the period holds at most {@link #MAX_POINTS}
 */
public record MetricsRequest(List<PodRef> pods, Instant start, Instant end, Duration step) {
  public static final int MAX_POINTS = 11_000;

  public MetricsRequest {
    pods = List.copyOf(pods);
    Objects.requireNonNull(start, "start");
    Objects.requireNonNull(end, "end");
    Objects.requireNonNull(step, "step");
    if (!end.isAfter(start)) {
      throw new IllegalArgumentException("end (" + end + ") must be after start (" + start + ")");
    }
    if (step.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("step must be at least 1s, not " + step);
    }
    long points = Duration.between(start, end).dividedBy(step) + 1;
    if (points > MAX_POINTS) {
      throw new IllegalArgumentException("the period holds " + points + " steps of " + step
          + "; at most " + MAX_POINTS + " are served: choose a longer step");
    }
  }
}
