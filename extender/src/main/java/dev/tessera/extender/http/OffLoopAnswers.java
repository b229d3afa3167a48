package dev.tessera.extender.http;

import java.time.Duration;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Counts answers being computed off the event loops (binds, scrapes), so that closing the server
 * can wait for them to be written before the event loops stop.
 */
final class OffLoopAnswers {
  // One party for the server itself; each answer registers while it runs. When the server
  // deregisters at close, the phase advances once the last answer has arrived.
  private final Phaser phaser = new Phaser(1);

  /** Registers an answer; false once the server is closing and has stopped waiting. */
  boolean begin() {
    return phaser.register() >= 0;
  }

  void end() {
    phaser.arriveAndDeregister();
  }

  /** Stops counting and waits up to {@code timeout} for the answers still running; true if none. */
  boolean closeAndAwait(Duration timeout) throws InterruptedException {
    int phase = phaser.arriveAndDeregister();
    try {
      phaser.awaitAdvanceInterruptibly(phase, timeout.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    }
  }
}
