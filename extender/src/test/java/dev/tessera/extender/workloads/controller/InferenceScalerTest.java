package dev.tessera.extender.workloads.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class InferenceScalerTest {
  private static final Duration DELAY = Duration.ofMinutes(5);
  private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");
  private final InferenceScaler scaler = new InferenceScaler();

  private static List<OptionalInt> busy(int... percents) {
    return java.util.Arrays.stream(percents).mapToObj(OptionalInt::of).toList();
  }

  @Test
  void upAtOnceToWhatHoldsTheTargetAndNoFurtherThanMax() {
    InferenceScaler.Decision up = scaler.decide("i", 2, 1, 8, busy(90, 100), 70, DELAY, T0);
    assertEquals(3, up.replicas()); // 2 × 95 % / 70 % = 2.7
    assertEquals("average GPU utilisation 95% over 2 ready replica(s), target 70%", up.why());
    assertEquals(4, scaler.decide("i", 2, 1, 4, busy(100, 100), 25, DELAY, T0).replicas());
  }

  @Test
  void downOnlyOnceTheLowerFigureHeldForTheDelay() {
    assertEquals(4, scaler.decide("i", 4, 1, 8, busy(10, 10, 10, 10), 70, DELAY, T0).replicas());
    assertEquals(4, scaler.decide("i", 4, 1, 8, busy(10, 10, 10, 10), 70, DELAY, T0.plusSeconds(299)).replicas());
    InferenceScaler.Decision down = scaler.decide("i", 4, 1, 8, busy(10, 10, 10, 10), 70, DELAY, T0.plusSeconds(300));
    assertEquals(1, down.replicas());
    assertTrue(down.why().endsWith("for 5 min or more"), down.why());
  }

  @Test
  void aBurstInTheMiddleStartsTheDelayAgain() {
    scaler.decide("i", 4, 1, 8, busy(0, 0, 0, 0), 70, DELAY, T0);
    assertEquals(4, scaler.decide("i", 4, 1, 8, busy(70, 70, 70, 70), 70, DELAY, T0.plusSeconds(200)).replicas());
    assertEquals(4, scaler.decide("i", 4, 1, 8, busy(0, 0, 0, 0), 70, DELAY, T0.plusSeconds(400)).replicas());
    assertEquals(2, scaler.decide("i", 4, 2, 8, busy(0, 0, 0, 0), 70, DELAY, T0.plusSeconds(700)).replicas(),
        "idle: to minReplicas once the delay passed since the burst");
  }

  @Test
  void nothingIsDecidedOnPartOfTheFigures() {
    InferenceScaler.Decision unknown =
        scaler.decide("i", 2, 1, 8, List.of(OptionalInt.of(100), OptionalInt.empty()), 50, DELAY, T0);
    assertEquals(2, unknown.replicas());
    assertNull(unknown.why());
    // Two of four ready and busy: the two that wait for GPUs add nothing, no more are asked for.
    assertEquals(4, scaler.decide("i", 4, 1, 8, busy(100, 100), 70, DELAY, T0).replicas());
  }

  @Test
  void outsideTheRangeItIsBroughtBackAtOnce() {
    assertEquals(3, scaler.decide("i", 1, 3, 5, busy(0), 70, DELAY, T0).replicas());
    assertEquals(5, scaler.decide("i", 9, 3, 5, busy(100), 70, DELAY, T0).replicas());
  }
}
