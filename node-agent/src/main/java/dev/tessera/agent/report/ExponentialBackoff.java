package dev.tessera.agent.report;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with jitter, as gRPC's own connection backoff: the n-th delay is {@code
 * initial * multiplier^n}, spread by ±{@code jitter} so that the agents of a whole cluster, cut off
 * by one extender restart, do not all come back in the same instant; never more than {@code cap}.
 */
public final class ExponentialBackoff implements Backoff {
  public static final Duration DEFAULT_INITIAL = Duration.ofSeconds(1);
  public static final Duration DEFAULT_CAP = Duration.ofSeconds(30);
  public static final double DEFAULT_MULTIPLIER = 2.0;
  public static final double DEFAULT_JITTER = 0.2;

  private final long initialNanos;
  private final long capNanos;
  private final double multiplier;
  private final double jitter;
  private final DoubleSupplier random;
  private double baseNanos;

  /**
   * @param random uniform in [0, 1); injected so tests know every delay in advance
   */
  public ExponentialBackoff(Duration initial, Duration cap, double multiplier, double jitter, DoubleSupplier random) {
    Objects.requireNonNull(initial, "initial");
    Objects.requireNonNull(cap, "cap");
    this.random = Objects.requireNonNull(random, "random");
    if (initial.isNegative() || initial.isZero() || cap.compareTo(initial) < 0) {
      throw new IllegalArgumentException("backoff needs 0 < initial <= cap, got " + initial + " and " + cap);
    }
    if (multiplier < 1.0) {
      throw new IllegalArgumentException("backoff multiplier must be >= 1, was " + multiplier);
    }
    if (jitter < 0 || jitter >= 1) {
      throw new IllegalArgumentException("backoff jitter must be in [0, 1), was " + jitter);
    }
    this.initialNanos = initial.toNanos();
    this.capNanos = cap.toNanos();
    this.multiplier = multiplier;
    this.jitter = jitter;
    this.baseNanos = initialNanos;
  }

  /** 1 s doubling up to 30 s, ±20 %. */
  public static ExponentialBackoff defaults() {
    return new ExponentialBackoff(
        DEFAULT_INITIAL, DEFAULT_CAP, DEFAULT_MULTIPLIER, DEFAULT_JITTER, () -> ThreadLocalRandom.current().nextDouble());
  }

  @Override
  public Duration nextDelay() {
    double spread = 1.0 + jitter * (2.0 * random.getAsDouble() - 1.0);
    long delay = Math.min(capNanos, Math.round(baseNanos * spread));
    baseNanos = Math.min(capNanos, baseNanos * multiplier);
    return Duration.ofNanos(delay);
  }

  @Override
  public void reset() {
    baseNanos = initialNanos;
  }
}
