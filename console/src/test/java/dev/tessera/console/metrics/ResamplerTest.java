package dev.tessera.console.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reports taken whenever they came, as points at a request's steps. */
class ResamplerTest {
  private static final Instant START = Instant.ofEpochSecond(1000);

  private static List<Series.Point> resample(long[] millis, double[] values, long endSecond, long stepSeconds,
      long lookbackSeconds) {
    return Resampler.resample(millis, i -> values[i], START, Instant.ofEpochSecond(endSecond),
        Duration.ofSeconds(stepSeconds), Duration.ofSeconds(lookbackSeconds));
  }

  @Test
  void eachStepTakesTheLastSampleAtOrBeforeIt() {
    long[] millis = {999_000, 1_003_000, 1_010_000, 1_010_500, 1_024_000};
    double[] values = {1, 2, 3, 4, 5};

    assertEquals(
        List.of(new Series.Point(1000, 1), new Series.Point(1010, 3), new Series.Point(1020, 4),
            new Series.Point(1030, 5)),
        resample(millis, values, 1030, 10, 20));
  }

  @Test
  void aStepWhoseLastSampleIsOlderThanTheLookbackHasNoPoint() {
    long[] millis = {1_000_000, 1_050_000};
    double[] values = {7, 8};

    assertEquals(
        List.of(new Series.Point(1000, 7), new Series.Point(1010, 7), new Series.Point(1020, 7),
            new Series.Point(1050, 8), new Series.Point(1060, 8)),
        resample(millis, values, 1060, 10, 20), "at 1030 the sample is 30s old; 20s is the most");
  }

  @Test
  void stepsBeforeTheFirstSampleHaveNoPoint() {
    assertEquals(List.of(new Series.Point(1020, 1)), resample(new long[] {1_015_000}, new double[] {1}, 1020, 10, 60));
    assertEquals(List.of(), resample(new long[0], new double[0], 1020, 10, 60));
  }

  @Test
  void aSampleWithoutAFigureLeavesTheOneBeforeAsTheLast() {
    long[] millis = {1_000_000, 1_005_000, 1_010_000};
    double[] values = {1, Double.NaN, Double.NaN};

    assertEquals(List.of(new Series.Point(1000, 1), new Series.Point(1005, 1)),
        resample(millis, values, 1015, 5, 5), "at 1010 the last figure is 10s old");
  }

  @Test
  void aStepBetweenWholeSecondsIsPlacedAtItsSecond() {
    List<Series.Point> points = Resampler.resample(new long[] {1_000_000}, i -> 1, START.plusMillis(400),
        START.plusSeconds(3), Duration.ofMillis(1500), Duration.ofSeconds(10));

    assertEquals(List.of(new Series.Point(1000, 1), new Series.Point(1001, 1)), points);
  }
}
