package dev.tessera.console.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class OpeningHistoryTest {
  /** Longer than any test here waits: only the first try happens. */
  private static final Duration RETRY = Duration.ofMinutes(10);

  private static EmbeddedDatabase postgres;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

  @BeforeAll
  static void startPostgres() {
    postgres = EmbeddedDatabase.start();
  }

  @AfterAll
  static void stopPostgres() {
    postgres.close();
  }

  @AfterEach
  void stopTimer() {
    timer.shutdownNow();
  }

  @Test
  void aReachableDatabaseIsOpenOnceTheFirstTryHasEnded() throws InterruptedException {
    try (OpeningHistory history = new OpeningHistory(postgres.newDatabaseSettings(), timer, RETRY).start()) {
      assertTrue(history.awaitFirstAttempt(Duration.ofSeconds(30)));
      // What startup reads next (the Deleted view) is answered.
      assertEquals(List.of(), history.deletedSince(Instant.EPOCH));
    }
  }

  @Test
  void anUnreachableDatabaseEndsTheWaitWhenTheFirstTryFailsNotAtTheTimeout() throws Exception {
    HistoryDatabase.Settings down = new HistoryDatabase.Settings("jdbc:postgresql://localhost:" + closedPort() + "/t",
        EmbeddedDatabase.USER, null, 1, Duration.ofSeconds(1));
    try (OpeningHistory history = new OpeningHistory(down, timer, RETRY).start()) {
      long start = System.nanoTime();
      assertFalse(history.awaitFirstAttempt(Duration.ofMinutes(1)));
      assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(30)) < 0,
          "the wait ended with the failed try");
      assertThrows(HistoryUnavailableException.class, () -> history.deletedSince(Instant.EPOCH));
    }
  }

  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
