package dev.tessera.agent.report;

import java.time.Duration;
import java.util.Objects;

/**
 * Timing of the report stream.
 *
 * @param initialInterval how often to report until the extender says otherwise
 * @param minInterval the shortest interval an ack may ask for (a misconfigured extender must not
 *     make every agent of the cluster report in a busy loop)
 * @param maxInterval the longest interval an ack may ask for
 * @param ackTimeout least time to wait for an overdue ReportAck before the stream is taken for
 *     dead and reopened; three intervals when that is longer. A half-open TCP connection to a
 *     vanished extender would otherwise swallow reports for many minutes.
 */
public record ReportSettings(Duration initialInterval, Duration minInterval, Duration maxInterval, Duration ackTimeout) {
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);

  public ReportSettings {
    Objects.requireNonNull(initialInterval, "initialInterval");
    Objects.requireNonNull(minInterval, "minInterval");
    Objects.requireNonNull(maxInterval, "maxInterval");
    Objects.requireNonNull(ackTimeout, "ackTimeout");
    if (minInterval.isNegative() || minInterval.isZero() || maxInterval.compareTo(minInterval) < 0) {
      throw new IllegalArgumentException("report intervals need 0 < min <= max, got " + minInterval + " and " + maxInterval);
    }
    if (initialInterval.compareTo(minInterval) < 0 || initialInterval.compareTo(maxInterval) > 0) {
      throw new IllegalArgumentException(
          "report interval " + initialInterval + " is outside " + minInterval + ".." + maxInterval);
    }
    if (ackTimeout.isNegative() || ackTimeout.isZero()) {
      throw new IllegalArgumentException("ack timeout must be positive, was " + ackTimeout);
    }
  }

  /** 100 ms (the extender's own floor) to 5 min; a stream is dead after 15 s without an ack. */
  public static ReportSettings withInterval(Duration initialInterval) {
    return new ReportSettings(initialInterval, Duration.ofMillis(100), Duration.ofMinutes(5), Duration.ofSeconds(15));
  }

  Duration clamp(Duration requested) {
    if (requested.compareTo(minInterval) < 0) {
      return minInterval;
    }
    return requested.compareTo(maxInterval) > 0 ? maxInterval : requested;
  }

  Duration ackTimeoutFor(Duration interval) {
    Duration three = interval.multipliedBy(3);
    return three.compareTo(ackTimeout) > 0 ? three : ackTimeout;
  }
}
