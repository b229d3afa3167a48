package dev.tessera.e2e;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polls a condition against the real cluster until it holds, failing with what was awaited. */
final class Await {
  private static final Duration POLL = Duration.ofMillis(100);

  private Await() {}

  static void until(String what, Duration timeout, BooleanSupplier condition) {
    until(what, timeout, condition, () -> "");
  }

  /** @param state what to print if it never holds, read once at the end */
  static void until(String what, Duration timeout, BooleanSupplier condition, Supplier<String> state) {
    long deadline = System.nanoTime() + timeout.toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
        last = null;
      } catch (RuntimeException e) {
        last = e; // the API server may refuse a call now and then under load; keep polling
      }
      sleep(POLL);
    }
    AssertionError failure = new AssertionError("timed out after " + timeout + " waiting for " + what + stateOf(state));
    if (last != null) {
      failure.initCause(last);
    }
    throw failure;
  }

  static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String stateOf(Supplier<String> state) {
    try {
      String text = state.get();
      return text.isEmpty() ? "" : "; " + text;
    } catch (RuntimeException e) {
      return "; (state unreadable: " + e + ")";
    }
  }
}
