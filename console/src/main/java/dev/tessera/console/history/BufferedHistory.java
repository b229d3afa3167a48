package dev.tessera.console.history;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link WorkloadHistory} whose writes never wait for the database: {@link #record} and {@link
 * #deleted} queue in memory and return, and one writer thread hands the queue to the store in
 * batches. Informer threads call it, and an informer that waits on PostgreSQL stops the whole
 * table's updates.
 *
 * <p>When the store is down the writer retries with backoff while the queue keeps at most {@link
 * Settings#maxPending()} writes, dropping the oldest past that: the history is lost, the scheduler
 * is not held up. Each outage logs one warning when it starts and a line when it ends; drops are
 * counted in {@value #DROPPED} ({@code tessera_console_history_dropped_total} on Prometheus), and
 * the queue's length is {@value #PENDING}.
 *
 * <p>Reads and {@link #prune} go straight to the store, so a read does not see writes still queued.
 * {@link #close()} writes what it can within {@link Settings#closeTimeout()}, then closes the store.
 */
public final class BufferedHistory implements WorkloadHistory {
  private static final Logger log = LoggerFactory.getLogger(BufferedHistory.class);

  /** Writes dropped: the queue was full, the store refused them as invalid, or close ran out of time. */
  public static final String DROPPED = "tessera.console.history.dropped";

  /** Writes waiting for the store. */
  public static final String PENDING = "tessera.console.history.pending";

  private final WorkloadHistory store;
  private final Settings settings;
  private final PendingQueue<Write> pending;
  private final FunctionCounter droppedCounter;
  private final Gauge pendingGauge;
  private final MeterRegistry registry;
  private final Thread writer;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Whether the queue overflowed while the store was up, and that was logged: once until it drains. */
  private final AtomicBoolean overflowLogged = new AtomicBoolean();
  /** Set by the writer thread only; read by {@link #record} to keep drops in an outage quiet. */
  private volatile boolean outage;
  private volatile long closeDeadlineNanos;
  /** Set once {@link #closeDeadlineNanos} is: the writer reads the deadline only after seeing this. */
  private volatile boolean closing;

  private BufferedHistory(WorkloadHistory store, Settings settings, MeterRegistry registry) {
    this.store = Objects.requireNonNull(store, "store");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.pending = new PendingQueue<>(settings.maxPending());
    this.droppedCounter =
        FunctionCounter.builder(DROPPED, pending, PendingQueue::dropped)
            .description(
                "Workload history entries and deleted workloads never written: the history database was"
                    + " unavailable while the buffer was full, it refused them, or the console stopped first")
            .register(registry);
    this.pendingGauge =
        Gauge.builder(PENDING, pending, PendingQueue::size)
            .description("Workload history writes waiting for the history database")
            .register(registry);
    this.writer = new Thread(new Writer(), "tessera-history-writer");
    // A writer stuck on an unreachable database must not keep the JVM alive at exit.
    writer.setDaemon(true);
  }

  /**
   * Starts the writer thread over the store.
   *
   * @param store where the writes go, usually a {@link PostgresHistory}; closed with this
   * @param registry where {@value #DROPPED} and {@value #PENDING} are registered
   */
  public static BufferedHistory start(WorkloadHistory store, Settings settings, MeterRegistry registry) {
    BufferedHistory history = new BufferedHistory(store, settings, registry);
    history.writer.start();
    return history;
  }

  /**
   * Queues the entries and returns at once.
   *
   * @throws IllegalStateException once closed
   */
  @Override
  public void record(Collection<HistoryEvent> events) {
    if (events.isEmpty()) {
      return;
    }
    List<Write> writes = new ArrayList<>(events.size());
    for (HistoryEvent event : events) {
      writes.add(new EventWrite(Objects.requireNonNull(event, "event")));
    }
    queue(writes);
  }

  /**
   * Queues the deleted workload and returns at once.
   *
   * @throws IllegalStateException once closed
   */
  @Override
  public void deleted(DeletedWorkload workload) {
    queue(List.of(new DeletionWrite(Objects.requireNonNull(workload, "workload"))));
  }

  private void queue(List<Write> writes) {
    if (pending.add(writes) > 0) {
      // In an outage the outage's warning said this already.
      if (!outage && overflowLogged.compareAndSet(false, true)) {
        log.warn(
            "workload history is recorded faster than the history database takes it: dropping the oldest"
                + " entries beyond {} pending (counted in {}); logged once until the writer catches up",
            settings.maxPending(),
            DROPPED);
      }
    }
  }

  @Override
  public EventPage events(EventQuery query) {
    return store.events(query);
  }

  @Override
  public List<DeletedWorkload> deletedSince(Instant since) {
    return store.deletedSince(since);
  }

  @Override
  public long prune(Instant eventsBefore, Instant deletedBefore) {
    return store.prune(eventsBefore, deletedBefore);
  }

  /**
   * Waits until everything recorded before this call is written, or dropped.
   *
   * @return false when the time ran out first
   */
  public boolean flush(Duration timeout) throws InterruptedException {
    return pending.awaitSettled(pending.accepted(), timeout);
  }

  /** How many writes wait for the store now. */
  public int pending() {
    return pending.size();
  }

  /** How many writes were dropped so far, as {@value #DROPPED} counts them. */
  public long dropped() {
    return pending.dropped();
  }

  /**
   * Refuses further writes, writes what is queued within {@link Settings#closeTimeout()} (retrying
   * as usual while the store is down), counts the rest as dropped, and closes the store.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    closeDeadlineNanos = System.nanoTime() + settings.closeTimeout().toNanos();
    closing = true;
    pending.close();
    try {
      writer.join(settings.closeTimeout().toMillis() + 1);
      if (writer.isAlive()) {
        // Past the deadline and still in a statement or waiting for a connection: interrupting
        // ends the wait for a connection; a statement in progress ends when PostgreSQL answers.
        writer.interrupt();
        writer.join(TimeUnit.SECONDS.toMillis(1));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (writer.isAlive()) {
      log.warn(
          "the history writer is still in a statement after {}; closing the store under it",
          settings.closeTimeout());
    }
    // So that a buffer started after this one on the same registry gets meters of its own.
    registry.remove(pendingGauge);
    registry.remove(droppedCounter);
    store.close();
  }

  /** The writer thread's loop: take a batch, write it, retry it with backoff on failure. */
  private final class Writer implements Runnable {
    private Duration backoff = settings.firstRetry();
    private long droppedAtOutageStart;
    private long outageStartNanos;

    @Override
    public void run() {
      try {
        while (true) {
          List<Write> batch = pending.take(settings.batchSize());
          if (batch.isEmpty()) {
            return; // closed, and nothing left
          }
          if (pastCloseDeadline()) {
            pending.putBack(batch); // for giveUpRest to give up with the rest
            return;
          }
          if (!writeOrRequeue(batch) && !pauseBeforeRetry()) {
            return;
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        giveUpRest();
      }
    }

    /** Writes the batch; on failure puts it back and returns false. */
    private boolean writeOrRequeue(List<Write> batch) {
      try {
        write(batch);
        pending.settle(batch.size());
        recovered();
        return true;
      } catch (HistoryUnavailableException e) {
        failed(e);
        pending.putBack(batch);
        return false;
      } catch (RuntimeException e) {
        return writeEachAlone(batch, e);
      }
    }

    /**
     * The store refused the batch for something other than being down: an entry it cannot keep, most
     * likely. One at a time, the ones it refuses are dropped and the rest written.
     */
    private boolean writeEachAlone(List<Write> batch, RuntimeException first) {
      int refused = 0;
      for (int i = 0; i < batch.size(); i++) {
        try {
          write(List.of(batch.get(i)));
          pending.settle(1);
        } catch (HistoryUnavailableException e) {
          failed(e);
          pending.putBack(batch.subList(i, batch.size()));
          return false;
        } catch (RuntimeException e) {
          refused++;
          pending.discard(1);
        }
      }
      recovered();
      if (refused == 0) {
        return true; // whatever it was, it passed
      }
      log.warn(
          "the history store refused {} of {} entries, which are dropped (counted in {}); the first refusal: {}",
          refused,
          batch.size(),
          DROPPED,
          first.toString());
      return true;
    }

    private void write(List<Write> batch) {
      List<HistoryEvent> events = new ArrayList<>(batch.size());
      for (Write write : batch) {
        if (write instanceof EventWrite entry) {
          events.add(entry.event());
        } else if (write instanceof DeletionWrite deletion) {
          // Order kept between the two kinds, though nothing depends on it yet.
          recordAll(events);
          store.deleted(deletion.workload());
        }
      }
      recordAll(events);
    }

    private void recordAll(List<HistoryEvent> events) {
      if (!events.isEmpty()) {
        store.record(List.copyOf(events));
        events.clear();
      }
    }

    private void failed(HistoryUnavailableException e) {
      if (!outage) {
        outage = true;
        outageStartNanos = System.nanoTime();
        droppedAtOutageStart = pending.dropped();
        log.warn(
            "the history store is unavailable; keeping at most {} pending writes (the oldest beyond that are"
                + " dropped and counted in {}) and retrying every {} to {}: {}",
            settings.maxPending(),
            DROPPED,
            settings.firstRetry(),
            settings.maxRetry(),
            e.getMessage());
      }
    }

    private void recovered() {
      backoff = settings.firstRetry();
      if (outage) {
        outage = false;
        log.info(
            "the history store is available again after {}; {} writes were dropped meanwhile",
            Duration.ofNanos(System.nanoTime() - outageStartNanos),
            pending.dropped() - droppedAtOutageStart);
      }
      if (pending.size() == 0) {
        overflowLogged.set(false);
      }
    }

    /** Waits out the backoff, or until the close deadline; false when the writer should stop. */
    private boolean pauseBeforeRetry() throws InterruptedException {
      Duration wait = backoff;
      Duration doubled = backoff.multipliedBy(2);
      backoff = doubled.compareTo(settings.maxRetry()) > 0 ? settings.maxRetry() : doubled;
      if (closing) {
        long left = closeDeadlineNanos - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        wait = wait.toNanos() > left ? Duration.ofNanos(left) : wait;
      }
      pending.pause(wait);
      return true;
    }

    private boolean pastCloseDeadline() {
      return closing && closeDeadlineNanos - System.nanoTime() <= 0;
    }

    /** What is still queued when the writer stops is dropped, and said so. */
    private void giveUpRest() {
      List<Write> left = pending.drain();
      if (!left.isEmpty()) {
        log.warn(
            "{} workload history writes were not written before the history store closed (counted in {})",
            left.size(),
            DROPPED);
      }
    }
  }

  /** One queued write. */
  private sealed interface Write permits EventWrite, DeletionWrite {}

  private record EventWrite(HistoryEvent event) implements Write {}

  private record DeletionWrite(DeletedWorkload workload) implements Write {}

  /**
   * How the buffer behaves.
   *
   * @param maxPending the most writes kept while the store is down or behind; the oldest go past it
   * @param batchSize the most writes handed to the store at once
   * @param firstRetry the wait after the first failure; it doubles with each failure after
   * @param maxRetry the longest wait between tries
   * @param closeTimeout how long {@link #close()} keeps writing what is queued
   */
  public record Settings(int maxPending, int batchSize, Duration firstRetry, Duration maxRetry, Duration closeTimeout) {
    /**
     * 50,000 pending writes (some tens of megabytes at most), batches of 500, retries from 1 s to 30
     * s, 10 s to close.
     */
    public static final Settings DEFAULT =
        new Settings(50_000, 500, Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(10));

    public Settings {
      Objects.requireNonNull(firstRetry, "firstRetry");
      Objects.requireNonNull(maxRetry, "maxRetry");
      Objects.requireNonNull(closeTimeout, "closeTimeout");
      if (maxPending < 1) {
        throw new IllegalArgumentException("maxPending must be at least 1, not " + maxPending);
      }
      if (batchSize < 1) {
        throw new IllegalArgumentException("batchSize must be at least 1, not " + batchSize);
      }
      if (firstRetry.isNegative() || firstRetry.isZero()) {
        throw new IllegalArgumentException("firstRetry must be positive, not " + firstRetry);
      }
      if (maxRetry.compareTo(firstRetry) < 0) {
        throw new IllegalArgumentException(
            "maxRetry (" + maxRetry + ") must not be shorter than firstRetry (" + firstRetry + ")");
      }
      if (closeTimeout.isNegative()) {
        throw new IllegalArgumentException("closeTimeout must not be negative, not " + closeTimeout);
      }
    }

    /** The same with another bound on pending writes. */
    public Settings withMaxPending(int maxPending) {
      return new Settings(maxPending, batchSize, firstRetry, maxRetry, closeTimeout);
    }
  }
}
