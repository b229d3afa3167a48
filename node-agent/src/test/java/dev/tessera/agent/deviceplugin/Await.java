package dev.tessera.agent.deviceplugin;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polls a condition until it holds or a deadline passes; tests never sleep a fixed time. */
final class Await {
  static final Duration DEFAULT = Duration.ofSeconds(10);

  private Await() {}

  static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + DEFAULT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out after " + DEFAULT + " waiting for " + what);
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted waiting for " + what);
      }
    }
  }
}
