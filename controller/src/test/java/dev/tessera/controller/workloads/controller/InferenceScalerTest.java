package dev.tessera.controller.workloads.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class InferenceScalerTest {
  private static final Duration DELAY = Duration.ofMinutes(5);
  private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");
  private final InferenceScaler scaler = new InferenceScaler();

  private static List<OptionalDouble> busy(int... percents) {
    return java.util.Arrays.stream(percents).mapToObj(OptionalDouble::of).toList();
  }

  private InferenceScaler.Decision gpus(int current, int min, int max, List<OptionalDouble> busy, int target, Instant now) {
    return scaler.decide("i", current, min, max, ScalingMetric.GPU_UTILIZATION, busy, target, DELAY, now);
  }

  @Test
  void upAtOnceToWhatHoldsTheTargetAndNoFurtherThanMax() {
    InferenceScaler.Decision up = gpus(2, 1, 8, busy(90, 100), 70, T0);
    assertEquals(3, up.replicas()); // 2 × 95 % / 70 % = 2.7
    assertEquals("average GPU utilisation 95% over 2 ready replica(s), target 70%", up.why());
    assertEquals(4, gpus(2, 1, 4, busy(100, 100), 25, T0).replicas());
  }

  @Test
  void downOnlyOnceTheLowerFigureHeldForTheDelay() {
    assertEquals(4, gpus(4, 1, 8, busy(10, 10, 10, 10), 70, T0).replicas());
    assertEquals(4, gpus(4, 1, 8, busy(10, 10, 10, 10), 70, T0.plusSeconds(299)).replicas());
    InferenceScaler.Decision down = gpus(4, 1, 8, busy(10, 10, 10, 10), 70, T0.plusSeconds(300));
    assertEquals(1, down.replicas());
    assertTrue(down.why().endsWith("for 5m or more"), down.why());
  }

  @Test
  void aBurstInTheMiddleStartsTheDelayAgain() {
    gpus(4, 1, 8, busy(0, 0, 0, 0), 70, T0);
    assertEquals(4, gpus(4, 1, 8, busy(70, 70, 70, 70), 70, T0.plusSeconds(200)).replicas());
    assertEquals(4, gpus(4, 1, 8, busy(0, 0, 0, 0), 70, T0.plusSeconds(400)).replicas());
    assertEquals(2, gpus(4, 2, 8, busy(0, 0, 0, 0), 70, T0.plusSeconds(700)).replicas(),
        "idle: to minReplicas once the delay passed since the burst");
  }

  @Test
  void nothingIsDecidedOnPartOfTheFigures() {
    InferenceScaler.Decision unknown =
        gpus(2, 1, 8, List.of(OptionalDouble.of(100), OptionalDouble.empty()), 50, T0);
    assertEquals(2, unknown.replicas());
    assertNull(unknown.why());
    // Two of four ready and busy: the two that wait for GPUs add nothing, no more are asked for.
    assertEquals(4, gpus(4, 1, 8, busy(100, 100), 70, T0).replicas());
  }

  @Test
  void outsideTheRangeItIsBroughtBackAtOnce() {
    assertEquals(3, gpus(1, 3, 5, busy(0), 70, T0).replicas());
    assertEquals(5, gpus(9, 3, 5, busy(100), 70, T0).replicas());
  }

  @Test
  void requestsInFlightAreSpreadSoEachReplicaCarriesTheTarget() {
    InferenceScaler.Decision up = scaler.decide("i", 3, 1, 8, ScalingMetric.CONCURRENCY, load(5, 4, 3), 4, DELAY, T0);
    assertEquals(3, up.replicas(), "12 in flight at 4 per replica: the 3 there are");
    up = scaler.decide("i", 3, 1, 8, ScalingMetric.CONCURRENCY, load(5, 5, 3), 4, DELAY, T0);
    assertEquals(4, up.replicas(), "13 in flight: a fourth");
    assertEquals("13 request(s) in flight over 3 ready replica(s), target 4 per replica", up.why());
    assertEquals(8, scaler.decide("i", 3, 1, 8, ScalingMetric.CONCURRENCY, load(100, 0, 0), 4, DELAY, T0).replicas(),
        "no further than maxReplicas");
  }

  @Test
  void requestsPerSecondAreSpreadTheSameWayAndAWholeRatioIsNotRoundedUp() {
    InferenceScaler.Decision up =
        scaler.decide("r", 1, 1, 8, ScalingMetric.REQUESTS_PER_SECOND, load(37.5), 10, DELAY, T0);
    assertEquals(4, up.replicas());
    assertEquals("37.5 request(s) per second over 1 ready replica(s), target 10 per replica", up.why());
    // 0.1 + 0.2 is 0.30000000000000004 in doubles; 30.000000000000004 / 10 must not ask for a fourth.
    assertEquals(3, scaler.decide("r", 3, 1, 8, ScalingMetric.REQUESTS_PER_SECOND, load(10.1, 10.2, 9.7), 10, DELAY,
        T0).replicas());
  }

  @Test
  void noLoadGoesToTheMinimumAfterTheDelayWhateverTheMetric() {
    for (ScalingMetric metric : ScalingMetric.values()) {
      String uid = metric.label();
      assertEquals(3, scaler.decide(uid, 3, 1, 3, metric, load(0, 0, 0), 2, Duration.ofSeconds(10), T0).replicas());
      assertEquals(3, scaler.decide(uid, 3, 1, 3, metric, load(0, 0, 0), 2, Duration.ofSeconds(10), T0.plusSeconds(9))
          .replicas());
      InferenceScaler.Decision down =
          scaler.decide(uid, 3, 1, 3, metric, load(0, 0, 0), 2, Duration.ofSeconds(10), T0.plusSeconds(10));
      assertEquals(1, down.replicas(), metric.label());
      assertTrue(down.why().endsWith(", for 10s or more"), down.why());
    }
  }

  @Test
  void aNegativeGaugeCountsAsNoLoad() {
    assertEquals(2, scaler.decide("i", 2, 2, 8, ScalingMetric.CONCURRENCY, load(-3, -1), 4, DELAY, T0).replicas());
  }

  private static List<OptionalDouble> load(double... perReplica) {
    return java.util.Arrays.stream(perReplica).mapToObj(OptionalDouble::of).toList();
  }
}
