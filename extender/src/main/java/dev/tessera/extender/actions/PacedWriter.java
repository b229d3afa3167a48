package dev.tessera.extender.actions;

import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs API writes that can wait (events) in order on one thread, at most {@code perSecond} a
 * second once a burst of {@code burst} is spent. A burst of binds makes an event per pod; written
 * at once, they would compete with the binds themselves for the API server, which matters most
 * exactly when many pods are being placed. Paced, they follow a second or so later (an event keeps
 * the time it was recorded at).
 *
 * <p>A task that throws is logged and the next one runs.
 */
public final class PacedWriter implements Executor {
  private static final Logger log = LoggerFactory.getLogger(PacedWriter.class);

  private final ScheduledExecutorService thread;
  private final TokenBucket bucket;
  private final LongSupplier nanoTime;
  private final Queue<Runnable> queue = new ConcurrentLinkedQueue<>();
  /** Whether a drain is queued or running on the thread: at most one is. */
  private final AtomicBoolean draining = new AtomicBoolean();

  public PacedWriter(ScheduledExecutorService thread, double perSecond, int burst) {
    this(thread, perSecond, burst, System::nanoTime);
  }

  PacedWriter(ScheduledExecutorService thread, double perSecond, int burst, LongSupplier nanoTime) {
    this.thread = Objects.requireNonNull(thread, "thread");
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    this.bucket = new TokenBucket(perSecond, burst, nanoTime.getAsLong());
  }

  @Override
  public void execute(Runnable task) {
    Objects.requireNonNull(task, "task");
    if (thread.isShutdown()) {
      throw new RejectedExecutionException("the writer is shut down");
    }
    queue.add(task);
    if (draining.compareAndSet(false, true)) {
      thread.execute(this::drain);
    }
  }

  /** Tasks waiting for their turn. */
  public int waiting() {
    return queue.size();
  }

  private void drain() {
    while (true) {
      if (queue.isEmpty()) {
        draining.set(false);
        // A task added after the check above saw a drain still running and queued none: take it.
        if (queue.isEmpty() || !draining.compareAndSet(false, true)) {
          return;
        }
        continue;
      }
      long waitNanos = bucket.take(nanoTime.getAsLong());
      if (waitNanos > 0) {
        try {
          thread.schedule(this::drain, waitNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
          log.debug("{} paced writes dropped: the writer is shut down", queue.size());
        }
        return;
      }
      Runnable task = queue.poll();
      try {
        task.run();
      } catch (RuntimeException e) {
        log.warn("a paced API write failed: {}", e.toString(), e);
      }
    }
  }

  /**
   * The classic token bucket: {@code burst} tokens at most, refilled at {@code perSecond}. Only the
   * writer's thread uses it.
   */
  static final class TokenBucket {
    private final double perNano;
    private final double burst;
    private double tokens;
    private long last;

    TokenBucket(double perSecond, int burst, long now) {
      if (!(perSecond > 0) || burst < 1) {
        throw new IllegalArgumentException("rate must be positive and burst at least 1: " + perSecond + ", " + burst);
      }
      this.perNano = perSecond / 1e9;
      this.burst = burst;
      this.tokens = burst;
      this.last = now;
    }

    /** Takes a token and returns 0, or takes none and returns how long until one is there. */
    long take(long now) {
      tokens = Math.min(burst, tokens + (now - last) * perNano);
      last = now;
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return Math.max(1, (long) Math.ceil((1 - tokens) / perNano));
    }
  }
}
