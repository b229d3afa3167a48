package dev.tessera.extender;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.model.PlacementStrategy;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of one extender process, from the command line.
 *
 * @param bindTimeout how long one {@code /bind} may take in all; must stay below the scheduler
 *     configuration's {@code httpTimeout}
 * @param assumeTtl how long capacity handed out at bind stays reserved while the informer has not
 *     yet seen the pod bound; after that the assumption is dropped
 * @param maxRequestBytes larger request bodies are refused with HTTP 400
 * @param unreadyWait how long a scheduling call that arrives before the extender is ready waits
 *     for it before being answered HTTP 503; must stay below the scheduler configuration's {@code
 *     httpTimeout}
 */
public record ExtenderConfig(
    int port,
    PlacementStrategy defaultStrategy,
    Duration bindTimeout,
    Duration assumeTtl,
    int maxRequestBytes,
    Duration unreadyWait) {

  public static final Duration DEFAULT_BIND_TIMEOUT = Duration.ofSeconds(8);
  public static final Duration DEFAULT_ASSUME_TTL = Duration.ofSeconds(30);
  /** Room for full-node mode at about 1,500 nodes; nodeCacheCapable requests are far smaller. */
  public static final int DEFAULT_MAX_REQUEST_BYTES = 8 * 1024 * 1024;
  /** Below kube-scheduler's default extender httpTimeout of 5 s. */
  public static final Duration DEFAULT_UNREADY_WAIT = Duration.ofSeconds(4);

  public static ExtenderConfig defaults() {
    return new ExtenderConfig(
        WellKnown.EXTENDER_PORT,
        PlacementStrategy.BINPACK,
        DEFAULT_BIND_TIMEOUT,
        DEFAULT_ASSUME_TTL,
        DEFAULT_MAX_REQUEST_BYTES,
        DEFAULT_UNREADY_WAIT);
  }

  public ExtenderConfig(
      int port, PlacementStrategy defaultStrategy, Duration bindTimeout, Duration assumeTtl, int maxRequestBytes) {
    this(port, defaultStrategy, bindTimeout, assumeTtl, maxRequestBytes, DEFAULT_UNREADY_WAIT);
  }

  public ExtenderConfig {
    Objects.requireNonNull(defaultStrategy, "defaultStrategy");
    Objects.requireNonNull(bindTimeout, "bindTimeout");
    Objects.requireNonNull(assumeTtl, "assumeTtl");
    Objects.requireNonNull(unreadyWait, "unreadyWait");
    if (unreadyWait.isNegative()) {
      throw new IllegalArgumentException("the wait for readiness must not be negative");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535, was " + port);
    }
    if (bindTimeout.isNegative() || bindTimeout.isZero()) {
      throw new IllegalArgumentException("bind timeout must be positive");
    }
    if (assumeTtl.compareTo(bindTimeout) <= 0) {
      throw new IllegalArgumentException(
          "assume TTL (" + assumeTtl + ") must exceed the bind timeout (" + bindTimeout + ")");
    }
    if (maxRequestBytes < 64 * 1024) {
      throw new IllegalArgumentException("max request size must be at least 64 KiB");
    }
  }

  public ExtenderConfig withPort(int newPort) {
    return new ExtenderConfig(newPort, defaultStrategy, bindTimeout, assumeTtl, maxRequestBytes, unreadyWait);
  }
}
