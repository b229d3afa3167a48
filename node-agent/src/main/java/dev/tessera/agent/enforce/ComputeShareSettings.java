package dev.tessera.agent.enforce;

import java.time.Duration;
import java.util.Objects;

/**
 * How the node-level compute scheduler runs.
 *
 * @param interval how often it measures every paced tenant and sets their shares; also half the
 *     bound on how long a lent share takes to come back (see {@link #reclaimBound})
 * @param lendAfter how long a tenant must leave part of its share unused before it is lent
 * @param lease how long a share the agent wrote holds without being renewed: an agent that stops
 *     leaves nothing lent for longer
 */
public record ComputeShareSettings(Duration interval, Duration lendAfter, Duration lease) {
  /** How often the native library looks at the share the agent wrote (pacing.c, SHARE_LOOK_NS). */
  public static final Duration LIBRARY_LOOK = Duration.ofMillis(100);
  /** The most GPU time a tenant's bucket holds (pacing.c, BURST_NS at a full share). */
  public static final Duration LIBRARY_BURST = Duration.ofMillis(20);
  static final Duration MIN_INTERVAL = Duration.ofMillis(50);
  public static final Duration DEFAULT_INTERVAL = Duration.ofMillis(250);
  public static final ComputeShareSettings DEFAULT =
      new ComputeShareSettings(DEFAULT_INTERVAL, Duration.ofSeconds(1), Duration.ofSeconds(5));

  public ComputeShareSettings {
    Objects.requireNonNull(interval, "interval");
    Objects.requireNonNull(lendAfter, "lendAfter");
    Objects.requireNonNull(lease, "lease");
    if (interval.compareTo(MIN_INTERVAL) < 0) {
      throw new IllegalArgumentException(
          "the compute share interval must be at least " + MIN_INTERVAL.toMillis() + "ms, was " + interval);
    }
    if (lendAfter.compareTo(interval) < 0) {
      throw new IllegalArgumentException("lend-after (" + lendAfter + ") must be at least the interval (" + interval + ")");
    }
    if (lease.compareTo(interval.multipliedBy(4)) < 0) {
      throw new IllegalArgumentException(
          "the lease (" + lease + ") must be at least 4 intervals (" + interval.multipliedBy(4) + "), or a"
              + " late tick would let lent shares lapse");
    }
  }

  /** The same, every {@code newInterval}; lend-after and the lease grow with it if they must. */
  public static ComputeShareSettings every(Duration newInterval) {
    Duration lendAfter = DEFAULT.lendAfter.compareTo(newInterval) < 0 ? newInterval : DEFAULT.lendAfter;
    Duration lease = DEFAULT.lease.compareTo(newInterval.multipliedBy(4)) < 0 ? newInterval.multipliedBy(4) : DEFAULT.lease;
    return new ComputeShareSettings(newInterval, lendAfter, lease);
  }

  /** The plan's settings, with lend-after in ticks. */
  public SharePlan.Settings plan() {
    int ticks = (int) Math.max(1, (lendAfter.toNanos() + interval.toNanos() - 1) / interval.toNanos());
    SharePlan.Settings d = SharePlan.Settings.DEFAULT;
    return new SharePlan.Settings(d.headroomPercent(), d.fullMarginPercent(), d.reclaimRisePercent(), ticks);
  }

  /**
   * The longest a tenant waits for what it lent after it needs it again: seen within two ticks
   * (the tick it became busy in may show only part of it), then the library's next look at the
   * file and what the borrower's bucket still holds. 0.62 s by default.
   */
  public Duration reclaimBound() {
    return interval.multipliedBy(2).plus(LIBRARY_LOOK).plus(LIBRARY_BURST);
  }
}
