package dev.tessera.console.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.extender.testing.Await;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;

/** A console whose database is down when it starts opens it once it is up, and says why until then. */
class OpeningHistoryTest {

  @Test
  void opensTheDatabaseOnceItIsUpAndRefusesClearlyUntilThen() {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    try (EmbeddedDatabase postgres = EmbeddedDatabase.start()) {
      HistoryDatabase.Settings settings = postgres.newDatabaseSettings()
          .withConnectTimeout(Duration.ofSeconds(1));
      postgres.stop();
      try (OpeningHistory history = new OpeningHistory(settings, timer, Duration.ofMillis(200)).start()) {
        Await.await("a failed attempt", () -> {
          try {
            history.deletedSince(Instant.EPOCH);
            return false;
          } catch (HistoryUnavailableException e) {
            return !e.getMessage().contains("not tried yet");
          }
        });
        HistoryUnavailableException refused = assertThrows(HistoryUnavailableException.class,
            () -> history.events(EventQuery.latest("w-1", 10)));
        assertTrue(refused.getMessage().startsWith("the history database is not open yet: "), refused.getMessage());
        assertFalse(history.open());

        postgres.restart();
        Await.await("opened after the database came up", history::open, Duration.ofSeconds(30));
        history.record(List.of(new HistoryEvent("k-1", "w-1", "ml", "Training", "bert", Instant.parse(
            "2026-12-07T10:00:00Z"), HistoryEvent.Category.STATUS, "Normal", "Running", "Running", null)));
        assertEquals(1, history.events(EventQuery.latest("w-1", 10)).items().size());
      }
    } finally {
      timer.shutdownNow();
    }
  }
}
