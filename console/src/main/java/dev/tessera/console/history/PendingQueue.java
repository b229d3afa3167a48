package dev.tessera.console.history;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes waiting for the store, oldest first, never more than a fixed number: past it the oldest
 * go, because the newest history is what a person looks at first. Adding never waits for anything
 * but this lock, which is only held for in-memory work.
 *
 * <p>It also counts what it accepted and what was settled (written, or dropped), so that a caller
 * can wait for everything up to a point to be through.
 */
final class PendingQueue<T> {
  private final int capacity;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<T> items = new ArrayDeque<>();
  private long accepted;
  private long settled;
  private long dropped;
  private boolean closed;

  PendingQueue(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, not " + capacity);
    }
    this.capacity = capacity;
  }

  /**
   * Appends the items, dropping the oldest beyond capacity.
   *
   * @return how many were dropped
   * @throws IllegalStateException once closed
   */
  int add(Collection<? extends T> batch) {
    lock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("the history buffer is closed: nothing more can be recorded");
      }
      items.addAll(batch);
      accepted += batch.size();
      int dropped = trim();
      changed.signalAll();
      return dropped;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until there are items or the queue is closed.
   *
   * @return up to {@code max} of the oldest items, removed; empty only once closed and empty
   */
  List<T> take(int max) throws InterruptedException {
    lock.lock();
    try {
      while (items.isEmpty() && !closed) {
        changed.await();
      }
      List<T> batch = new ArrayList<>(Math.min(max, items.size()));
      while (batch.size() < max && !items.isEmpty()) {
        batch.add(items.removeFirst());
      }
      return batch;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns a batch that could not be written to the head, in its order, dropping the oldest beyond
   * capacity: those are the batch's own when newer items came meanwhile.
   *
   * @return how many were dropped
   */
  int putBack(List<T> batch) {
    lock.lock();
    try {
      for (int i = batch.size() - 1; i >= 0; i--) {
        items.addFirst(batch.get(i));
      }
      int dropped = trim();
      changed.signalAll();
      return dropped;
    } finally {
      lock.unlock();
    }
  }

  /** Counts items taken earlier as written. */
  void settle(int count) {
    lock.lock();
    try {
      settled += count;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Counts items taken earlier as given up. */
  void discard(int count) {
    lock.lock();
    try {
      settled += count;
      dropped += count;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Removes everything left, given up: what a closing writer leaves. */
  List<T> drain() {
    lock.lock();
    try {
      List<T> left = new ArrayList<>(items);
      items.clear();
      settled += left.size();
      dropped += left.size();
      changed.signalAll();
      return left;
    } finally {
      lock.unlock();
    }
  }

  /** How many items were ever accepted: a mark for {@link #awaitSettled}. */
  long accepted() {
    lock.lock();
    try {
      return accepted;
    } finally {
      lock.unlock();
    }
  }

  /** Waits until the first {@code mark} items accepted are settled; false when the time ran out. */
  boolean awaitSettled(long mark, Duration timeout) throws InterruptedException {
    long nanos = timeout.toNanos();
    lock.lock();
    try {
      while (settled < mark) {
        if (nanos <= 0) {
          return false;
        }
        nanos = changed.awaitNanos(nanos);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Waits up to {@code timeout}, or less when the queue gets closed. */
  void pause(Duration timeout) throws InterruptedException {
    long nanos = timeout.toNanos();
    lock.lock();
    try {
      boolean wasClosed = closed;
      while (nanos > 0 && closed == wasClosed) {
        nanos = changed.awaitNanos(nanos);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Refuses further items and wakes the writer, which finishes what is left. */
  void close() {
    lock.lock();
    try {
      closed = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * How many items were given up: pushed out past capacity, {@link #discard discarded} or {@link
   * #drain drained}. Counted with the settling, so a caller that saw them settled sees them here.
   */
  long dropped() {
    lock.lock();
    try {
      return dropped;
    } finally {
      lock.unlock();
    }
  }

  int size() {
    lock.lock();
    try {
      return items.size();
    } finally {
      lock.unlock();
    }
  }

  private int trim() {
    int dropped = 0;
    while (items.size() > capacity) {
      items.removeFirst();
      dropped++;
    }
    settled += dropped;
    this.dropped += dropped;
    return dropped;
  }
}
