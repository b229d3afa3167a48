package dev.tessera.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The shutdown hook wakes the main thread and holds the JVM until the main thread has closed. */
class ShutdownSignalTest {

  @Test
  void theHookWaitsUntilTheMainThreadHasClosedEverything() throws Exception {
    List<Thread> hooks = new ArrayList<>();
    ShutdownSignal signal = new ShutdownSignal(Duration.ofSeconds(30), hooks::add);
    assertEquals(1, hooks.size());
    CountDownLatch woken = new CountDownLatch(1);
    Thread main = new Thread(() -> {
      try {
        signal.await();
        woken.countDown();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    main.start();

    Thread hook = hooks.get(0);
    hook.start(); // what SIGTERM does
    assertTrue(woken.await(10, TimeUnit.SECONDS), "the main thread is woken");
    hook.join(200);
    assertTrue(hook.isAlive(), "the hook holds the JVM while closing goes on");
    signal.close();
    hook.join(10_000);
    assertFalse(hook.isAlive(), "closed: the hook returns and the JVM may halt");
  }

  @Test
  void theHookGivesUpAfterTheGracePeriod() throws Exception {
    List<Thread> hooks = new ArrayList<>();
    new ShutdownSignal(Duration.ofMillis(100), hooks::add);
    Thread hook = hooks.get(0);
    hook.start();
    hook.join(10_000);
    assertFalse(hook.isAlive(), "a close that never comes does not hold the JVM for ever");
  }

  @Test
  void stopNowWakesTheMainThreadWithoutASignal() throws Exception {
    ShutdownSignal signal = new ShutdownSignal(Duration.ofSeconds(1), hook -> {});
    signal.stopNow();
    signal.await(); // returns at once
    signal.close();
  }
}
