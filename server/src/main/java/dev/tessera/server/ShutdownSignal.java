package dev.tessera.server;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * SIGTERM for a process that must close cleanly: the JVM halts as soon as its shutdown hooks
 * return, so the hook registered here first wakes {@link #await} and then waits (at most {@code
 * grace}) until the main thread has closed everything and called {@link #close}. Without that wait
 * the extender could halt before handing its Lease over or finishing the binds in flight.
 */
final class ShutdownSignal implements AutoCloseable {
  /** Inside Kubernetes' default 30 s grace period, with room for the JVM to exit. */
  static final Duration GRACE = Duration.ofSeconds(25);

  private final CountDownLatch stop = new CountDownLatch(1);
  private final CountDownLatch closed = new CountDownLatch(1);
  private final Duration grace;

  /** Registers the hook with the JVM. */
  static ShutdownSignal register() {
    return new ShutdownSignal(GRACE, Runtime.getRuntime()::addShutdownHook);
  }

  /** @param hooks where the hook thread is registered (the JVM's runtime, or a test's list) */
  ShutdownSignal(Duration grace, Consumer<Thread> hooks) {
    this.grace = grace;
    hooks.accept(new Thread(this::onShutdown, "tessera-shutdown"));
  }

  private void onShutdown() {
    stop.countDown();
    try {
      closed.await(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Ends an {@link #await} without a signal (the process decided to exit itself). */
  void stopNow() {
    stop.countDown();
  }

  /** Waits for SIGTERM (or {@link #stopNow}). */
  void await() throws InterruptedException {
    stop.await();
  }

  /** Everything is closed: the hook may return and the JVM halt. */
  @Override
  public void close() {
    closed.countDown();
  }
}
