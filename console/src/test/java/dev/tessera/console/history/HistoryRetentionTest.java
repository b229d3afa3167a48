package dev.tessera.console.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.console.history.HistoryRetention.Retention;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;

class HistoryRetentionTest {
  private static final Instant START = Instant.parse("2024-06-01T00:00:00Z");

  private final ManualTime time = new ManualTime(START);
  private final PruneRecorder store = new PruneRecorder();

  @Test
  void prunesAtStartThenEveryIntervalWithTheDefaultRetention() {
    HistoryRetention retention = new HistoryRetention(store, Retention.DEFAULT, time.clock(), time.scheduler());

    retention.start(Duration.ofHours(1));
    time.runDue();
    assertEquals(List.of(new Prune(START.minus(Duration.ofDays(90)), START.minus(Duration.ofDays(30)))), store.prunes);

    time.advance(Duration.ofMinutes(59));
    assertEquals(1, store.prunes.size());

    time.advance(Duration.ofMinutes(1));
    Instant later = START.plus(Duration.ofHours(1));
    assertEquals(new Prune(later.minus(Duration.ofDays(90)), later.minus(Duration.ofDays(30))), store.prunes.get(1));

    time.advance(Duration.ofHours(3));
    assertEquals(5, store.prunes.size());
  }

  @Test
  void usesTheRetentionItIsGiven() {
    Retention week = new Retention(Duration.ofDays(7), Duration.ofHours(12));

    new HistoryRetention(store, week, time.clock(), time.scheduler()).prune();

    assertEquals(List.of(new Prune(START.minus(Duration.ofDays(7)), START.minus(Duration.ofHours(12)))), store.prunes);
  }

  @Test
  void aFailedRunDoesNotEndTheSchedule() {
    HistoryRetention retention = new HistoryRetention(store, Retention.DEFAULT, time.clock(), time.scheduler());
    store.failures = 2;

    retention.start(Duration.ofHours(1));
    time.advance(Duration.ofHours(2));

    assertEquals(3, store.attempts);
    assertEquals(1, store.prunes.size());
    assertEquals(1, time.pendingTasks());
  }

  @Test
  void aDirectPruneReportsTheFailure() {
    store.failures = 1;

    assertThrows(
        HistoryUnavailableException.class,
        () -> new HistoryRetention(store, Retention.DEFAULT, time.clock(), time.scheduler()).prune());
  }

  @Test
  void closingCancelsTheSchedule() {
    HistoryRetention retention = new HistoryRetention(store, Retention.DEFAULT, time.clock(), time.scheduler());
    retention.start(Duration.ofHours(1));
    time.runDue();

    retention.close();
    time.advance(Duration.ofDays(1));

    assertEquals(1, store.prunes.size());
    assertEquals(0, time.pendingTasks());
  }

  @Test
  void startsOnce() {
    HistoryRetention retention = new HistoryRetention(store, Retention.DEFAULT, time.clock(), time.scheduler());
    retention.start(Duration.ofHours(1));

    assertThrows(IllegalStateException.class, () -> retention.start(Duration.ofHours(1)));
    assertThrows(IllegalArgumentException.class, () -> newRetention().start(Duration.ZERO));
  }

  @Test
  void refusesARetentionThatKeepsNothing() {
    assertThrows(IllegalArgumentException.class, () -> new Retention(Duration.ZERO, Duration.ofDays(1)));
    assertThrows(IllegalArgumentException.class, () -> new Retention(Duration.ofDays(1), Duration.ofDays(-1)));
  }

  private HistoryRetention newRetention() {
    return new HistoryRetention(store, Retention.DEFAULT, time.clock(), time.scheduler());
  }

  private record Prune(Instant eventsBefore, Instant deletedBefore) {}

  /** A store that only prunes, remembering the bounds; it fails the next {@code failures} calls. */
  private static final class PruneRecorder implements WorkloadHistory {
    final List<Prune> prunes = new ArrayList<>();
    int failures;
    int attempts;

    @Override
    public long prune(Instant eventsBefore, Instant deletedBefore) {
      attempts++;
      if (failures > 0) {
        failures--;
        throw new HistoryUnavailableException("down", new SQLException("connection refused", "08001"));
      }
      prunes.add(new Prune(eventsBefore, deletedBefore));
      return 3;
    }

    @Override
    public void record(Collection<HistoryEvent> events) {
      throw new UnsupportedOperationException();
    }

    @Override
    public EventPage events(EventQuery query) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void deleted(DeletedWorkload workload) {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<DeletedWorkload> deletedSince(Instant since) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void close() {}
  }
}
