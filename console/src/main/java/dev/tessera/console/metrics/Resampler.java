package dev.tessera.console.metrics;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToDoubleFunction;

/** Samples taken whenever reports came, as a line at a request's steps. */
final class Resampler {
  private Resampler() {}

  /**
   * At each step from {@code start} to {@code end}, the last sample taken at or before it, when that
   * is no more than {@code lookback} old; otherwise the step has no point (the GPU was not reported
   * then).
   *
   * @param millis when each sample was taken, in time order
   * @param value each sample's figure for this line; NaN where it has none, and then the one before
   *     it is the last sample
   */
  static List<Series.Point> resample(
      long[] millis, IntToDoubleFunction value, Instant start, Instant end, Duration step, Duration lookback) {
    long stepMillis = step.toMillis();
    long last = end.toEpochMilli();
    long maxAge = lookback.toMillis();
    List<Series.Point> points = new ArrayList<>();
    int latest = -1;
    int next = 0;
    for (long at = start.toEpochMilli(); at <= last; at += stepMillis) {
      for (; next < millis.length && millis[next] <= at; next++) {
        if (!Double.isNaN(value.applyAsDouble(next))) {
          latest = next;
        }
      }
      if (latest >= 0 && at - millis[latest] <= maxAge) {
        points.add(new Series.Point(Math.floorDiv(at, 1000), value.applyAsDouble(latest)));
      }
    }
    return points;
  }
}
