package dev.tessera.console.history;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A clock and a scheduler that stand still until the test moves time: {@link #advance} runs each
 * task that falls due, in order, with the clock at its due time (as grpc-java's FakeClock does).
 * Tasks run on the test's thread; a fixed-delay task is due again its delay after it ran.
 */
final class ManualTime {
  private Instant now;
  private final List<Task> tasks = new ArrayList<>();
  private long sequence;
  private final Clock clock = new ManualClock(ZoneOffset.UTC);
  private final ScheduledExecutorService scheduler = new ManualScheduler();

  ManualTime(Instant start) {
    this.now = start;
  }

  Clock clock() {
    return clock;
  }

  ScheduledExecutorService scheduler() {
    return scheduler;
  }

  Instant now() {
    return now;
  }

  /** Runs what is due now, without moving the clock. */
  void runDue() {
    advance(Duration.ZERO);
  }

  /** Moves the clock forward, running every task that falls due on the way. */
  void advance(Duration duration) {
    Instant end = now.plus(duration);
    while (true) {
      Task next =
          tasks.stream()
              .filter(task -> !task.due.isAfter(end))
              .min(Comparator.comparing((Task task) -> task.due).thenComparingLong(task -> task.order))
              .orElse(null);
      if (next == null) {
        break;
      }
      now = next.due;
      tasks.remove(next);
      next.run();
    }
    now = end;
  }

  /** Tasks scheduled and not yet run or cancelled. */
  int pendingTasks() {
    return tasks.size();
  }

  private final class ManualClock extends Clock {
    private final ZoneId zone;

    ManualClock(ZoneId zone) {
      this.zone = zone;
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return zone;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return new ManualClock(zone);
    }
  }

  private final class Task implements ScheduledFuture<Object> {
    private final Runnable body;
    private final Duration repeatDelay;
    private final long order = sequence++;
    private Instant due;
    private boolean cancelled;
    private boolean done;

    Task(Runnable body, Instant due, Duration repeatDelay) {
      this.body = body;
      this.due = due;
      this.repeatDelay = repeatDelay;
    }

    void run() {
      try {
        body.run();
      } catch (RuntimeException e) {
        // As a real executor does: the exception goes into the future and the repeats stop.
        done = true;
        return;
      }
      if (repeatDelay == null) {
        done = true;
      } else if (!cancelled) {
        due = now.plus(repeatDelay);
        tasks.add(this);
      }
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(Duration.between(now, due));
    }

    @Override
    public int compareTo(Delayed other) {
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      if (done || cancelled) {
        return false;
      }
      cancelled = true;
      tasks.remove(this);
      return true;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return done || cancelled;
    }

    @Override
    public Object get() {
      throw new UnsupportedOperationException("a manual task is not waited on");
    }

    @Override
    public Object get(long timeout, TimeUnit unit) {
      throw new UnsupportedOperationException("a manual task is not waited on");
    }
  }

  /** Only the scheduling methods; the rest is not what these tests use. */
  private final class ManualScheduler implements ScheduledExecutorService {
    private ScheduledFuture<?> add(Runnable body, long delay, TimeUnit unit, Duration repeat) {
      Task task = new Task(body, now.plusNanos(unit.toNanos(delay)), repeat);
      tasks.add(task);
      return task;
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
      return add(command, delay, unit, null);
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(
        Runnable command, long initialDelay, long delay, TimeUnit unit) {
      return add(command, initialDelay, unit, Duration.ofNanos(unit.toNanos(delay)));
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
      throw new UnsupportedOperationException("fixed rate is not simulated");
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void shutdown() {
      tasks.clear();
    }

    @Override
    public List<Runnable> shutdownNow() {
      tasks.clear();
      return List.of();
    }

    @Override
    public boolean isShutdown() {
      return false;
    }

    @Override
    public boolean isTerminated() {
      return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return true;
    }

    @Override
    public <T> Future<T> submit(Callable<T> task) {
      throw new UnsupportedOperationException();
    }

    @Override
    public <T> Future<T> submit(Runnable task, T result) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Future<?> submit(Runnable task) {
      throw new UnsupportedOperationException();
    }

    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks) {
      throw new UnsupportedOperationException();
    }

    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit) {
      throw new UnsupportedOperationException();
    }

    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks)
        throws InterruptedException, ExecutionException {
      throw new UnsupportedOperationException();
    }

    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
        throws InterruptedException, ExecutionException, TimeoutException {
      throw new UnsupportedOperationException();
    }

    @Override
    public void execute(Runnable command) {
      tasks.add(new Task(command, now, null));
    }
  }
}
