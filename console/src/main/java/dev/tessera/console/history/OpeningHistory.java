package dev.tessera.console.history;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL store once it can be opened: a console whose database is down when it starts
 * still serves the table, and keeps trying to open (and migrate) the database until it can. Until
 * then every call is a {@link HistoryUnavailableException} saying why, which a {@link
 * BufferedHistory} in front of it turns into writes kept for later.
 */
public final class OpeningHistory implements WorkloadHistory {
  private static final Logger log = LoggerFactory.getLogger(OpeningHistory.class);

  private final HistoryDatabase.Settings settings;
  private final ScheduledExecutorService timer;
  private final Duration retry;
  private final CountDownLatch firstAttempt = new CountDownLatch(1);
  private volatile HistoryDatabase database;
  private volatile PostgresHistory store;
  private volatile String lastFailure = "not tried yet";
  private ScheduledFuture<?> attempt;
  private boolean closed;

  public OpeningHistory(HistoryDatabase.Settings settings, ScheduledExecutorService timer, Duration retry) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.timer = Objects.requireNonNull(timer, "timer");
    this.retry = Objects.requireNonNull(retry, "retry");
  }

  /** Tries now, and on failure every {@code retry} until it opens. */
  public synchronized OpeningHistory start() {
    attempt = timer.schedule(this::tryOpen, 0, TimeUnit.MILLISECONDS);
    return this;
  }

  /** Whether the database is open. */
  public boolean open() {
    return store != null;
  }

  /**
   * Waits until the first try to open the database has ended, at most {@code timeout}: what is
   * read at startup (the Deleted view) then finds the database open when it can be.
   *
   * @return whether it is open
   */
  public boolean awaitFirstAttempt(Duration timeout) throws InterruptedException {
    firstAttempt.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    return open();
  }

  private void tryOpen() {
    try {
      openOnce();
    } finally {
      firstAttempt.countDown();
    }
  }

  private void openOnce() {
    synchronized (this) {
      if (closed || store != null) {
        return;
      }
    }
    try {
      HistoryDatabase opened = HistoryDatabase.open(settings);
      synchronized (this) {
        if (closed) {
          opened.close();
          return;
        }
        database = opened;
        store = new PostgresHistory(opened);
      }
      log.info("history is kept in {}", opened.location());
    } catch (HistoryUnavailableException e) {
      lastFailure = e.getMessage();
      log.warn("the history database is not available ({}); the Workloads table is served without history,"
          + " trying again in {}", e.getMessage(), retry);
      synchronized (this) {
        if (!closed) {
          attempt = timer.schedule(this::tryOpen, retry.toMillis(), TimeUnit.MILLISECONDS);
        }
      }
    }
  }

  private PostgresHistory store() {
    PostgresHistory current = store;
    if (current == null) {
      throw new HistoryUnavailableException("the history database is not open yet: " + lastFailure, null);
    }
    return current;
  }

  @Override
  public void record(Collection<HistoryEvent> events) {
    store().record(events);
  }

  @Override
  public EventPage events(EventQuery query) {
    return store().events(query);
  }

  @Override
  public void deleted(DeletedWorkload workload) {
    store().deleted(workload);
  }

  @Override
  public List<DeletedWorkload> deletedSince(Instant since) {
    return store().deletedSince(since);
  }

  @Override
  public long prune(Instant eventsBefore, Instant deletedBefore) {
    return store().prune(eventsBefore, deletedBefore);
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (attempt != null) {
      attempt.cancel(false);
    }
    if (store != null) {
      store.close();
    }
    if (database != null) {
      database.close();
    }
  }
}
