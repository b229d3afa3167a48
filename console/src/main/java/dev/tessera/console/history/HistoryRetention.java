package dev.tessera.console.history;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops history older than the retention, on a schedule: once at start, so a console that restarts
 * more often than the interval still prunes, then every interval after the last run ended.
 *
 * <p>A run that fails (the database is down) is logged and the next run tries again; the schedule
 * never stops on its own. The executor is the caller's: {@link #close()} cancels the schedule and
 * leaves the executor running.
 */
public final class HistoryRetention implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HistoryRetention.class);

  private final WorkloadHistory history;
  private final Retention retention;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private ScheduledFuture<?> schedule;

  public HistoryRetention(
      WorkloadHistory history, Retention retention, Clock clock, ScheduledExecutorService scheduler) {
    this.history = Objects.requireNonNull(history, "history");
    this.retention = Objects.requireNonNull(retention, "retention");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
  }

  /**
   * Prunes now and then every {@code interval}.
   *
   * @throws IllegalStateException when already started
   */
  public synchronized void start(Duration interval) {
    Objects.requireNonNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("the pruning interval must be positive, not " + interval);
    }
    if (schedule != null) {
      throw new IllegalStateException("history retention is already started");
    }
    schedule = scheduler.scheduleWithFixedDelay(this::pruneLogged, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Prunes once, now.
   *
   * @return how many rows went
   * @throws HistoryUnavailableException when the store is down
   */
  public long prune() {
    Instant now = clock.instant();
    Instant eventsBefore = now.minus(retention.events());
    Instant deletedBefore = now.minus(retention.deleted());
    long started = System.nanoTime();
    long pruned = history.prune(eventsBefore, deletedBefore);
    log.info(
        "pruned {} history rows: entries before {} and workloads deleted before {} ({} ms)",
        pruned,
        eventsBefore,
        deletedBefore,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    return pruned;
  }

  /** A scheduled run: an exception here would silently end the schedule, so none leaves. */
  private void pruneLogged() {
    try {
      prune();
    } catch (HistoryUnavailableException e) {
      log.warn("could not prune the workload history; the next run tries again: {}", e.getMessage());
    } catch (RuntimeException e) {
      log.error("pruning the workload history failed; the next run tries again", e);
    }
  }

  /** Cancels the schedule; a run in progress finishes. */
  @Override
  public synchronized void close() {
    if (schedule != null) {
      schedule.cancel(false);
    }
  }

  /**
   * How long history is kept.
   *
   * @param events how long a workload's history entries are kept
   * @param deleted how long a deleted workload stays in the Deleted view
   */
  public record Retention(Duration events, Duration deleted) {
    /** 90 days of history, 30 days of deleted workloads. */
    public static final Retention DEFAULT = new Retention(Duration.ofDays(90), Duration.ofDays(30));

    public Retention {
      Objects.requireNonNull(events, "events");
      Objects.requireNonNull(deleted, "deleted");
      if (events.isNegative() || events.isZero()) {
        throw new IllegalArgumentException("the history retention must be positive, not " + events);
      }
      if (deleted.isNegative() || deleted.isZero()) {
        throw new IllegalArgumentException("the deleted-workload retention must be positive, not " + deleted);
      }
    }
  }
}
