package dev.tessera.console.history;

import static dev.tessera.console.history.HistoryEvents.T0;
import static dev.tessera.console.history.HistoryEvents.WORKLOAD;
import static dev.tessera.console.history.HistoryEvents.entry;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The buffer in front of a real PostgreSQL that goes away and comes back. */
class BufferedHistoryOutageTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private static EmbeddedDatabase postgres;
  private static HistoryDatabase database;

  @BeforeAll
  static void startPostgres() {
    postgres = EmbeddedDatabase.start();
    database = postgres.openHistory();
  }

  @AfterAll
  static void stopPostgres() {
    database.close();
    postgres.close();
  }

  @Test
  void holdsWhatIsRecordedWhileTheDatabaseIsDownAndWritesItWhenItIsBack() throws InterruptedException {
    PostgresHistory store = new PostgresHistory(database);
    FailureProbe probe = new FailureProbe(store);
    BufferedHistory.Settings settings =
        new BufferedHistory.Settings(1_000, 100, Duration.ofMillis(10), Duration.ofMillis(200), Duration.ofSeconds(5));
    try (BufferedHistory history = BufferedHistory.start(probe, settings, new SimpleMeterRegistry())) {
      history.record(List.of(entry("before").build()));
      assertTrue(history.flush(WAIT));

      postgres.stop();
      history.record(entries(0, 100));
      probe.awaitFailure();
      // The writer is now retrying against a server that is gone; an informer thread must not notice.
      assertTimeoutPreemptively(Duration.ofSeconds(5), () -> history.record(entries(100, 300)));
      assertThrows(HistoryUnavailableException.class, () -> history.events(EventQuery.latest(WORKLOAD, 1)));
      postgres.restart();

      assertTrue(history.flush(WAIT));
      assertEquals(0, history.dropped());
    }
    Set<String> kept = allKeys(store);
    Set<String> expected = new HashSet<>(keys(entries(0, 300)));
    expected.add("before");
    assertEquals(expected, kept);
  }

  private static List<HistoryEvent> entries(int from, int to) {
    return IntStream.range(from, to).mapToObj(i -> entry("k" + i).at(T0.plusSeconds(i)).build()).toList();
  }

  private static List<String> keys(List<HistoryEvent> entries) {
    return entries.stream().map(HistoryEvent::key).toList();
  }

  private static Set<String> allKeys(WorkloadHistory history) {
    List<HistoryEvent> all = new ArrayList<>();
    String cursor = null;
    do {
      EventPage page =
          history.events(new EventQuery(WORKLOAD, Set.of(), Set.of(), null, null, null, cursor, EventQuery.MAX_LIMIT));
      all.addAll(page.items());
      cursor = page.next();
    } while (cursor != null);
    return all.stream().map(HistoryEvent::key).collect(Collectors.toSet());
  }

  /** Passes everything to the store, and lets a test wait until a write has failed. */
  private static final class FailureProbe implements WorkloadHistory {
    private final WorkloadHistory store;
    private final CountDownLatch failed = new CountDownLatch(1);

    FailureProbe(WorkloadHistory store) {
      this.store = store;
    }

    void awaitFailure() throws InterruptedException {
      assertTrue(failed.await(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS), "no write failed");
    }

    @Override
    public void record(Collection<HistoryEvent> events) {
      try {
        store.record(events);
      } catch (HistoryUnavailableException e) {
        failed.countDown();
        throw e;
      }
    }

    @Override
    public EventPage events(EventQuery query) {
      return store.events(query);
    }

    @Override
    public void deleted(DeletedWorkload workload) {
      store.deleted(workload);
    }

    @Override
    public List<DeletedWorkload> deletedSince(Instant since) {
      return store.deletedSince(since);
    }

    @Override
    public long prune(Instant eventsBefore, Instant deletedBefore) {
      return store.prune(eventsBefore, deletedBefore);
    }

    @Override
    public void close() {
      store.close();
    }
  }
}
