package dev.tessera.agent.report;

import java.time.Duration;

/** How long to wait before the next reconnection attempt. Used by one thread at a time. */
public interface Backoff {

  /** The delay before the next attempt; each call counts one more failed attempt. */
  Duration nextDelay();

  /** The extender answered: the next outage starts again from the shortest delay. */
  void reset();
}
