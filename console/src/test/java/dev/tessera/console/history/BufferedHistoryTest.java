package dev.tessera.console.history;

import static dev.tessera.console.history.HistoryEvents.T0;
import static dev.tessera.console.history.HistoryEvents.WORKLOAD;
import static dev.tessera.console.history.HistoryEvents.entry;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BufferedHistoryTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final BufferedHistory.Settings QUICK =
      new BufferedHistory.Settings(1_000, 100, Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofSeconds(5));

  private final ScriptedStore store = new ScriptedStore();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private BufferedHistory history;

  @AfterEach
  void closeHistory() {
    if (history != null) {
      store.release(); // a test that held the store must not hold close() up
      history.close();
    }
  }

  @Test
  void writesEverythingInOrderInBatches() throws InterruptedException {
    history = BufferedHistory.start(store, QUICK, registry);
    List<HistoryEvent> entries = entries("k", 250);

    history.record(entries);

    assertTrue(history.flush(WAIT));
    assertEquals(entries, store.recorded());
    assertTrue(store.batchSizes().stream().allMatch(size -> size <= 100), store.batchSizes().toString());
  }

  @Test
  void deletionsGoThroughTheWriterInTheirPlace() throws InterruptedException {
    store.holdWrites();
    history = BufferedHistory.start(store, QUICK, registry);

    history.record(List.of(entry("before").build()));
    history.deleted(new DeletedWorkload("uid-1", "team-a", "Training", "train-1", T0, "{}"));
    history.record(List.of(entry("after").build()));
    store.release();

    assertTrue(history.flush(WAIT));
    assertEquals(List.of("before", "deleted:uid-1", "after"), store.writes());
  }

  @Test
  void recordingNeverWaitsForAStoreThatHangs() throws InterruptedException {
    store.holdWrites();
    history = BufferedHistory.start(store, QUICK, registry);
    history.record(List.of(entry("first").build()));
    store.awaitWrite();

    // The writer is stuck inside the store: an informer thread recording now must not notice.
    assertTimeoutPreemptively(
        WAIT,
        () -> {
          for (int i = 0; i < 5_000; i++) {
            history.record(List.of(entry("k" + i).build()));
          }
          history.deleted(new DeletedWorkload("uid-1", "team-a", "Training", "train-1", T0, "{}"));
        });
    assertEquals(1, store.attempts());
  }

  @Test
  void keepsTheNewestWhileTheStoreIsDownAndCountsWhatItDrops() throws InterruptedException {
    BufferedHistory.Settings small = QUICK.withMaxPending(10);
    store.holdWrites();
    store.failNext(1);
    history = BufferedHistory.start(store, small, registry);
    history.record(List.of(entry("k0").build()));
    store.awaitWrite();

    for (int i = 1; i <= 30; i++) {
      history.record(List.of(entry("k" + i).build()));
    }
    assertEquals(10, history.pending());
    assertEquals(10, registry.get(BufferedHistory.PENDING).gauge().value());
    assertEquals(20, history.dropped());

    // k0's write fails; put back ahead of ten newer ones, it is the oldest past the bound.
    store.release();

    assertTrue(history.flush(WAIT));
    assertEquals(IntStream.rangeClosed(21, 30).mapToObj(i -> "k" + i).toList(), store.writes());
    assertEquals(21, history.dropped());
    assertEquals(21, registry.get(BufferedHistory.DROPPED).functionCounter().count());
  }

  @Test
  void retriesUntilTheStoreIsBack() throws InterruptedException {
    store.failNext(3);
    history = BufferedHistory.start(store, QUICK, registry);
    List<HistoryEvent> entries = entries("k", 5);

    history.record(entries);

    assertTrue(history.flush(WAIT));
    assertEquals(entries, store.recorded());
    assertEquals(4, store.attempts());
    assertEquals(0, history.dropped());
  }

  @Test
  void dropsOnlyTheEntriesTheStoreRefuses() throws InterruptedException {
    store.refuse("bad");
    history = BufferedHistory.start(store, QUICK, registry);

    history.record(List.of(entry("a").build(), entry("bad").build(), entry("c").build()));

    assertTrue(history.flush(WAIT));
    assertEquals(List.of("a", "c"), store.writes());
    assertEquals(1, history.dropped());
  }

  @Test
  void readsGoStraightToTheStoreEvenWhileAWriteHangs() throws InterruptedException {
    store.holdWrites();
    history = BufferedHistory.start(store, QUICK, registry);
    history.record(List.of(entry("held").build()));
    store.awaitWrite();

    assertTimeoutPreemptively(
        WAIT,
        () -> {
          assertEquals(List.of(), history.events(EventQuery.latest(WORKLOAD, 10)).items());
          assertEquals("uid-gone", history.deletedSince(T0).get(0).uid());
          assertEquals(7, history.prune(T0, T0));
        });
  }

  @Test
  void closeWritesWhatIsQueuedThenClosesTheStore() {
    store.holdWrites();
    history = BufferedHistory.start(store, QUICK, registry);
    List<HistoryEvent> entries = entries("k", 300);
    history.record(entries);

    // Three batches, the writer held on the first until now: close() comes while they go through.
    store.release();
    history.close();

    assertEquals(entries, store.recorded());
    assertTrue(store.closed());
    assertEquals(0, history.dropped());
    assertThrows(IllegalStateException.class, () -> history.record(List.of(entry("late").build())));
  }

  @Test
  void closeGivesUpOnAStoreThatStaysDownAfterItsTimeout() {
    BufferedHistory.Settings briefClose =
        new BufferedHistory.Settings(1_000, 100, Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(100));
    store.failNext(Integer.MAX_VALUE);
    history = BufferedHistory.start(store, briefClose, registry);
    history.record(entries("k", 3));

    assertTimeoutPreemptively(WAIT, history::close);

    assertEquals(3, history.dropped());
    assertEquals(List.of(), store.recorded());
    assertTrue(store.closed());
  }

  @Test
  void closeDoesNotWaitForeverOnAStoreThatHangs() throws InterruptedException {
    BufferedHistory.Settings briefClose =
        new BufferedHistory.Settings(1_000, 100, Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(100));
    store.holdWrites();
    history = BufferedHistory.start(store, briefClose, registry);
    history.record(entries("k", 3));
    store.awaitWrite();

    assertTimeoutPreemptively(WAIT, history::close);

    assertEquals(3, history.dropped());
    assertFalse(store.recorded().contains(entry("k0").build()));
  }

  @Test
  void refusesSettingsItCannotUse() {
    assertThrows(IllegalArgumentException.class, () -> QUICK.withMaxPending(0));
    assertThrows(
        IllegalArgumentException.class,
        () -> new BufferedHistory.Settings(10, 0, Duration.ofMillis(1), Duration.ofMillis(1), Duration.ZERO));
    assertThrows(
        IllegalArgumentException.class,
        () -> new BufferedHistory.Settings(10, 1, Duration.ZERO, Duration.ofMillis(1), Duration.ZERO));
    assertThrows(
        IllegalArgumentException.class,
        () -> new BufferedHistory.Settings(10, 1, Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ZERO));
  }

  private static List<HistoryEvent> entries(String prefix, int count) {
    return IntStream.range(0, count).mapToObj(i -> entry(prefix + i).at(T0.plusSeconds(i)).build()).toList();
  }
}
