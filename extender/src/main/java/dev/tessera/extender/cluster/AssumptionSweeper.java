package dev.tessera.extender.cluster;

import dev.tessera.extender.model.PodKey;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Releases GPUs the extender handed out at bind when the informer never saw the pod bound within
 * the cache's assume TTL ({@link ClusterCache#expireAssumptions}), and tells the pod's owner with a
 * Warning event {@value #BINDING_EXPIRED}. Runs every {@code period} on the injected scheduler;
 * {@link #sweep} runs one pass directly (tests, shutdown).
 */
public final class AssumptionSweeper implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AssumptionSweeper.class);

  public static final String BINDING_EXPIRED = "BindingExpired";

  private final ClusterCache cache;
  private final PodEvents events;
  private final ScheduledExecutorService scheduler;
  private final Duration period;

  private final Object lifecycle = new Object();
  /** Guarded by lifecycle. */
  private ScheduledFuture<?> task;
  /** Guarded by lifecycle. */
  private boolean closed;

  public AssumptionSweeper(
      ClusterCache cache, PodEvents events, ScheduledExecutorService scheduler, Duration period) {
    this.cache = Objects.requireNonNull(cache, "cache");
    this.events = Objects.requireNonNull(events, "events");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.period = Objects.requireNonNull(period, "period");
    if (period.isNegative() || period.isZero()) {
      throw new IllegalArgumentException("sweep period must be positive, was " + period);
    }
  }

  /** Schedules {@link #sweep} every period; returns this. */
  public AssumptionSweeper start() {
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("sweeper is closed");
      }
      if (task == null) {
        long millis = period.toMillis();
        task = scheduler.scheduleWithFixedDelay(this::sweepQuietly, millis, millis, TimeUnit.MILLISECONDS);
      }
    }
    return this;
  }

  /** Expires what is due now; returns the pods whose assumption expired. */
  public List<PodKey> sweep() {
    List<PodKey> expired = cache.expireAssumptions();
    for (PodKey pod : expired) {
      events.warn(
          pod,
          BINDING_EXPIRED,
          "the extender reserved GPUs for this pod when binding it but did not see the pod bound"
              + " in time; the reservation was released. If the pod is still pending it will be"
              + " scheduled again; if it is bound, its GPUs are accounted for once the extender"
              + " sees it");
    }
    return expired;
  }

  @Override
  public void close() {
    synchronized (lifecycle) {
      closed = true;
      if (task != null) {
        task.cancel(false);
        task = null;
      }
    }
  }

  private void sweepQuietly() {
    try {
      sweep();
    } catch (RuntimeException e) {
      // Thrown out of a scheduled task, it would cancel every later sweep.
      log.error("expiring GPU assumptions failed; trying again in {}: {}", period, e.toString(), e);
    }
  }
}
