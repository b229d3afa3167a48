package dev.tessera.extender.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polls a condition until it holds or a deadline passes; tests never sleep a fixed time. */
public final class Await {
  public static final Duration DEFAULT = Duration.ofSeconds(10);

  private Await() {}

  public static void await(String what, BooleanSupplier condition) {
    await(what, condition, DEFAULT);
  }

  public static void await(String what, BooleanSupplier condition, Duration timeout) {
    await(() -> what, condition, timeout);
  }

  /**
   * As {@link #await(String, BooleanSupplier, Duration)}, describing what it waited for only on
   * failure: the description may say what state things were left in.
   */
  public static void await(Supplier<String> what, BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out after " + timeout + " waiting for " + what.get());
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted waiting for " + what.get());
      }
    }
  }

  /** Waits until the supplier gives a non-null value and returns it. */
  public static <T> T awaitValue(String what, Supplier<T> value) {
    Object[] holder = new Object[1];
    await(what, () -> (holder[0] = value.get()) != null);
    @SuppressWarnings("unchecked")
    T result = (T) holder[0];
    return result;
  }
}
