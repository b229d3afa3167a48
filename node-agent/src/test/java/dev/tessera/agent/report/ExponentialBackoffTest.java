package dev.tessera.agent.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PrimitiveIterator;
import java.util.stream.DoubleStream;
import org.junit.jupiter.api.Test;

class ExponentialBackoffTest {

  private static List<Long> millis(Backoff b, int n) {
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(b.nextDelay().toMillis());
    }
    return out;
  }

  @Test
  void doublesUpToTheCap() {
    Backoff b = new ExponentialBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 2.0, 0.2, () -> 0.5);
    assertEquals(List.of(1_000L, 2_000L, 4_000L, 8_000L, 16_000L, 30_000L, 30_000L), millis(b, 7));
  }

  @Test
  void jitterSpreadsEachDelayWithinItsBandAndNeverPastTheCap() {
    PrimitiveIterator.OfDouble r = DoubleStream.of(0.0, 0.75, 0.25, 0.75, 0.0).iterator();
    Backoff b = new ExponentialBackoff(Duration.ofSeconds(1), Duration.ofSeconds(4), 2.0, 0.2, r::nextDouble);
    // 1 s -20 %, 2 s +10 %, 4 s -10 %, 4 s +10 % capped at 4 s, 4 s -20 %.
    assertEquals(List.of(800L, 2_200L, 3_600L, 4_000L, 3_200L), millis(b, 5));
  }

  @Test
  void resetStartsOver() {
    Backoff b = new ExponentialBackoff(Duration.ofMillis(100), Duration.ofSeconds(30), 2.0, 0.0, () -> 0.7);
    millis(b, 5);
    b.reset();
    assertEquals(List.of(100L, 200L), millis(b, 2));
  }

  @Test
  void defaultsAreOneSecondDoublingToThirtySeconds() {
    Backoff b = ExponentialBackoff.defaults();
    for (int i = 0; i < 20; i++) {
      Duration d = b.nextDelay();
      assertEquals(true, d.compareTo(Duration.ofMillis(800)) >= 0 && d.compareTo(Duration.ofSeconds(30)) <= 0, d.toString());
    }
  }

  @Test
  void refusesNonsense() {
    assertThrows(IllegalArgumentException.class, () -> new ExponentialBackoff(Duration.ZERO, Duration.ofSeconds(1), 2, 0, () -> 0));
    assertThrows(IllegalArgumentException.class, () -> new ExponentialBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 0, () -> 0));
    assertThrows(IllegalArgumentException.class, () -> new ExponentialBackoff(Duration.ofSeconds(1), Duration.ofSeconds(2), 0.5, 0, () -> 0));
    assertThrows(IllegalArgumentException.class, () -> new ExponentialBackoff(Duration.ofSeconds(1), Duration.ofSeconds(2), 2, 1.0, () -> 0));
  }
}
