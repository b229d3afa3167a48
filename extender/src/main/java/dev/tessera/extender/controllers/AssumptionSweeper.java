package dev.tessera.extender.controllers;

import dev.tessera.extender.actions.PodEvents;
import dev.tessera.extender.ledger.ClusterCache;
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
 * Releases GPUs held for binds that never finished within the cache's assume TTL, and for nodes
 * filter chose that no bind took within the nomination TTL ({@link ClusterCache#expireAssumptions});
 * the first tell the pod's owner with a Warning event {@value #BINDING_EXPIRED}. Runs every {@code
 * period} on the injected scheduler; {@link #sweep} runs one pass directly (tests, shutdown).
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

  /**
   * Expires what is due now; returns the pods whose bind never finished (nominations that lapse,
   * because kube-scheduler chose otherwise or gave the pod up, are released without a word).
   */
  public List<PodKey> sweep() {
    List<PodKey> expired = new java.util.ArrayList<>();
    for (ClusterCache.Lapsed lapsed : cache.expireAssumptions()) {
      if (lapsed.stage() != ClusterCache.Stage.BINDING) {
        continue;
      }
      PodKey pod = lapsed.pod();
      expired.add(pod);
      events.warn(
          pod,
          BINDING_EXPIRED,
          "the extender held GPUs for this pod while binding it, but the bind's outcome never came"
              + " back; the GPUs were released. If the pod is still pending it will be scheduled"
              + " again; if it is bound, its GPUs are accounted for once the extender sees it");
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
