package dev.tessera.console.history;

import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A store in memory whose writes a test steers: it can hold a write until released (a database
 * that hangs), fail the next few (one that is down), or refuse an entry (one it cannot keep).
 * Reads answer at once with what was written.
 */
final class ScriptedStore implements WorkloadHistory {
  private final List<String> writes = new ArrayList<>();
  private final List<HistoryEvent> recorded = new ArrayList<>();
  private final List<Integer> batchSizes = new ArrayList<>();
  private final AtomicInteger failures = new AtomicInteger();
  private final AtomicInteger attempts = new AtomicInteger();
  private final CountDownLatch entered = new CountDownLatch(1);
  private volatile CountDownLatch release;
  private volatile String refusedKey;
  private volatile boolean closed;

  /** The next write waits inside the store until {@link #release()}. */
  void holdWrites() {
    release = new CountDownLatch(1);
  }

  void release() {
    CountDownLatch held = release;
    if (held != null) {
      held.countDown();
    }
  }

  /** Waits until a write is inside the store. */
  void awaitWrite() throws InterruptedException {
    entered.await();
  }

  /** The next {@code count} writes fail as a database that is down does. */
  void failNext(int count) {
    failures.set(count);
  }

  /** A batch with this key is refused as invalid input. */
  void refuse(String key) {
    refusedKey = key;
  }

  @Override
  public void record(Collection<HistoryEvent> events) {
    enter();
    if (events.stream().anyMatch(e -> e.key().equals(refusedKey))) {
      throw new IllegalArgumentException("refused " + refusedKey);
    }
    synchronized (this) {
      recorded.addAll(events);
      batchSizes.add(events.size());
      events.forEach(e -> writes.add(e.key()));
    }
  }

  @Override
  public void deleted(DeletedWorkload workload) {
    enter();
    synchronized (this) {
      writes.add("deleted:" + workload.uid());
    }
  }

  private void enter() {
    attempts.incrementAndGet();
    entered.countDown();
    CountDownLatch held = release;
    if (held != null) {
      try {
        held.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new HistoryUnavailableException("interrupted waiting for the database", new SQLException(e));
      }
    }
    if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new HistoryUnavailableException("the database is down", new SQLException("refused", "08001"));
    }
  }

  @Override
  public synchronized EventPage events(EventQuery query) {
    return new EventPage(List.copyOf(recorded), null);
  }

  @Override
  public List<DeletedWorkload> deletedSince(Instant since) {
    return List.of(new DeletedWorkload("uid-gone", "team-a", "Training", "gone", since, "{}"));
  }

  @Override
  public long prune(Instant eventsBefore, Instant deletedBefore) {
    return 7;
  }

  @Override
  public void close() {
    closed = true;
  }

  synchronized List<HistoryEvent> recorded() {
    return List.copyOf(recorded);
  }

  /** Every write in the order it reached the store: entry keys, and "deleted:uid". */
  synchronized List<String> writes() {
    return List.copyOf(writes);
  }

  synchronized List<Integer> batchSizes() {
    return List.copyOf(batchSizes);
  }

  int attempts() {
    return attempts.get();
  }

  boolean closed() {
    return closed;
  }
}
