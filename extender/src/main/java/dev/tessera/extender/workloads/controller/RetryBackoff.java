package dev.tessera.extender.workloads.controller;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When to reconcile a workload again after a pass that failed (the API server refused or erred):
 * half a second after the first failure, doubling with each one after it, at most a minute; the
 * count starts over after a pass that succeeds. Without it a failure waited for the next change or
 * the 30 s resync, and a failing workload would be retried in a tight loop by nothing.
 */
final class RetryBackoff {
  static final Duration FIRST = Duration.ofMillis(500);
  static final Duration MOST = Duration.ofMinutes(1);

  /** Failures in a row by workload key. */
  private final Map<String, Integer> failures = new ConcurrentHashMap<>();

  /** Records one more failure of the key; the delay before trying it again. */
  Duration failed(String key) {
    int inARow = failures.merge(key, 1, Integer::sum);
    return delayAfter(inARow);
  }

  /** The key's pass went through: its next failure waits {@link #FIRST} again. */
  void succeeded(String key) {
    failures.remove(key);
  }

  /** How many passes of the key failed in a row. */
  int failures(String key) {
    return failures.getOrDefault(key, 0);
  }

  static Duration delayAfter(int failuresInARow) {
    if (failuresInARow <= 1) {
      return FIRST;
    }
    int doublings = Math.min(failuresInARow - 1, 20); // 2^20 half-seconds is far past the cap
    Duration delay = FIRST.multipliedBy(1L << doublings);
    return delay.compareTo(MOST) > 0 ? MOST : delay;
  }
}
