package dev.tessera.console.history;

import static dev.tessera.console.history.HistoryEvents.T0;
import static dev.tessera.console.history.HistoryEvents.WORKLOAD;
import static dev.tessera.console.history.HistoryEvents.entry;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.console.history.HistoryEvent.Category;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

class PostgresHistoryTest {
  private static EmbeddedDatabase postgres;
  private static HistoryDatabase database;
  private final PostgresHistory history = new PostgresHistory(database);

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

  @BeforeEach
  void emptyTables() {
    EmbeddedDatabase.emptyHistory(database);
  }

  @Test
  void keepsEveryFieldAndReturnsTheNewestFirst() {
    HistoryEvent scheduled =
        entry("k1").reason("Scheduled").message("placed on gpu-1").pod("train-1-worker-0").build();
    HistoryEvent running =
        entry("k2").at(T0.plusSeconds(1)).category(Category.STATUS).reason("Running").message(null).build();
    HistoryEvent oom =
        entry("k3")
            .at(T0.plusMillis(1500).plusNanos(1000))
            .category(Category.GPU_OOM)
            .type("Warning")
            .reason("GpuOutOfMemory")
            .message("asked for 12 GiB of a 10 GiB share")
            .pod("train-1-worker-1")
            .build();

    history.record(List.of(scheduled, running, oom));

    EventPage page = history.events(EventQuery.latest(WORKLOAD, 10));
    assertEquals(List.of(oom, running, scheduled), page.items());
    assertEquals("", page.items().get(1).message());
    assertNull(page.next());
  }

  @Test
  void recordingAKeyAgainKeepsTheFirst() {
    HistoryEvent first = entry("k1").message("first").build();
    history.record(List.of(first));
    history.record(List.of(entry("k1").message("again, after a relist").build()));
    HistoryEvent second = entry("k2").at(T0.plusSeconds(1)).build();
    history.record(List.of(second, second));
    history.record(List.of());

    assertEquals(List.of(second, first), history.events(EventQuery.latest(WORKLOAD, 10)).items());
  }

  @Test
  void recordsMoreThanOneBatchInOneCall() {
    List<HistoryEvent> many =
        IntStream.range(0, 2_345).mapToObj(i -> entry("k" + i).at(T0.plusSeconds(i)).build()).toList();

    history.record(many);

    assertEquals(many.size(), all(query(q -> q)).size());
  }

  @Test
  void returnsOnlyTheWorkloadsOwnEntries() {
    history.record(List.of(entry("mine").build(), entry("theirs").workload("uid-other").build()));

    assertEquals(keys("mine"), keysOf(history.events(EventQuery.latest(WORKLOAD, 10))));
    assertEquals(keys("theirs"), keysOf(history.events(EventQuery.latest("uid-other", 10))));
    assertEquals(List.of(), history.events(EventQuery.latest("uid-nobody", 10)).items());
  }

  @Test
  void filtersByCategory() {
    history.record(
        List.of(
            entry("status").category(Category.STATUS).build(),
            entry("reclaim").category(Category.RECLAIM).build(),
            entry("oom").category(Category.GPU_OOM).build(),
            entry("policy").category(Category.POLICY).build()));

    Set<Category> reclaimOrOom = Set.of(Category.RECLAIM, Category.GPU_OOM);
    assertEquals(Set.of("reclaim", "oom"), Set.copyOf(keysOf(page(query(q -> q.categories(reclaimOrOom))))));
    assertEquals(keys("status"), keysOf(page(query(q -> q.categories(Set.of(Category.STATUS))))));
    assertEquals(List.of(), keysOf(page(query(q -> q.categories(Set.of(Category.OTHER))))));
  }

  @Test
  void filtersByType() {
    history.record(List.of(entry("normal").type("Normal").build(), entry("warning").type("Warning").build()));

    assertEquals(keys("warning"), keysOf(page(query(q -> q.types(Set.of("Warning"))))));
    assertEquals(2, page(query(q -> q.types(Set.of("Warning", "Normal")))).items().size());
  }

  @Test
  void textMatchesTheReasonOrTheMessageWhateverTheCase() {
    history.record(
        List.of(
            entry("oom-reason").reason("GpuOutOfMemory").message("asked for 12 GiB").build(),
            entry("oom-message").reason("Killed").message("the container ran its GPU OutOfMemory").build(),
            entry("neither").reason("Scheduled").message("placed on gpu-1").build()));

    assertEquals(
        Set.of("oom-reason", "oom-message"), Set.copyOf(keysOf(page(query(q -> q.text("OUTOFMEMORY"))))));
    assertEquals(keys("oom-message"), keysOf(page(query(q -> q.text("kILLED")))));
    assertEquals(keys("oom-reason"), keysOf(page(query(q -> q.text("12 gib")))));
    assertEquals(3, page(query(q -> q.text(""))).items().size());
  }

  @Test
  void textIsMatchedLiterallyNotAsAPattern() {
    history.record(
        List.of(
            entry("percent").message("quota at 100% of 8 GPUs").build(),
            entry("digits").message("1000 MiB over").build(),
            entry("underscore").message("node gpu_a is full").build(),
            entry("letter").message("node gpuxa is full").build(),
            entry("backslash").message("path C:\\models\\llama").build()));

    assertEquals(keys("percent"), keysOf(page(query(q -> q.text("100%")))));
    assertEquals(keys("underscore"), keysOf(page(query(q -> q.text("gpu_a")))));
    assertEquals(keys("backslash"), keysOf(page(query(q -> q.text("\\models\\")))));
    assertEquals(keys("percent"), keysOf(page(query(q -> q.text("%")))));
    assertEquals(keys("underscore"), keysOf(page(query(q -> q.text("_")))));
  }

  @Test
  void sinceIsInclusiveAndUntilExclusive() {
    history.record(
        List.of(
            entry("before").at(T0.minusMillis(1)).build(),
            entry("at-since").at(T0).build(),
            entry("inside").at(T0.plusSeconds(30)).build(),
            entry("at-until").at(T0.plusSeconds(60)).build()));

    assertEquals(
        List.of("inside", "at-since"), keysOf(page(query(q -> q.since(T0).until(T0.plusSeconds(60))))));
    assertEquals(List.of("at-until", "inside", "at-since"), keysOf(page(query(q -> q.since(T0)))));
    assertEquals(List.of("before"), keysOf(page(query(q -> q.until(T0)))));
  }

  @Test
  void boundsBeyondWhatIsKeptMeanNoBoundOrNothing() {
    history.record(List.of(entry("k1").build()));

    assertEquals(keys("k1"), keysOf(page(query(q -> q.since(Instant.MIN).until(Instant.MAX)))));
    assertEquals(List.of(), keysOf(page(query(q -> q.since(Instant.MAX)))));
    assertEquals(List.of(), keysOf(page(query(q -> q.until(Instant.MIN)))));
  }

  @Test
  void filtersCombine() {
    history.record(
        List.of(
            reclaimWarning("match").build(),
            reclaimWarning("too-early").at(T0.minusSeconds(10)).build(),
            reclaimWarning("normal").type("Normal").build(),
            reclaimWarning("other-text").reason("Preempted").build(),
            reclaimWarning("scheduling").category(Category.SCHEDULING).build()));

    EventPage page =
        page(query(q -> q.categories(Set.of(Category.RECLAIM)).types(Set.of("Warning")).text("reclaim").since(T0)));

    assertEquals(keys("match"), keysOf(page));
  }

  @Test
  void pagesThroughAWorkloadWithoutDuplicatesOrGaps() {
    // Three entries a second: ties on time are ordered by the row id, and a page may end inside one.
    List<HistoryEvent> entries =
        IntStream.range(0, 237).mapToObj(i -> entry("k" + i).at(T0.plusSeconds(i / 3)).build()).toList();
    history.record(entries);
    history.record(List.of(entry("elsewhere").workload("uid-other").build()));

    List<EventPage> pages = pages(query(q -> q.limit(50)));

    assertEquals(List.of(50, 50, 50, 50, 37), pages.stream().map(p -> p.items().size()).toList());
    List<HistoryEvent> seen = pages.stream().flatMap(p -> p.items().stream()).toList();
    assertEquals(entries.size(), new HashSet<>(seen).size(), "no duplicates");
    assertEquals(Set.copyOf(entries), Set.copyOf(seen), "no gaps");
    for (int i = 1; i < seen.size(); i++) {
      assertTrue(!seen.get(i).time().isAfter(seen.get(i - 1).time()), "newest first at " + i);
    }
  }

  @Test
  void aFullLastPageHasNoNext() {
    history.record(IntStream.range(0, 100).mapToObj(i -> entry("k" + i).at(T0.plusSeconds(i)).build()).toList());

    EventPage first = page(query(q -> q.limit(50)));
    EventPage second = page(query(q -> q.limit(50).before(first.next())));

    assertNotNull(first.next());
    assertEquals(50, second.items().size());
    assertNull(second.next());
  }

  @Test
  void pagingIsStableWhenEntriesArriveBetweenPages() {
    List<HistoryEvent> entries =
        IntStream.range(0, 100).mapToObj(i -> entry("k" + i).at(T0.plusSeconds(i)).build()).toList();
    history.record(entries);
    EventPage first = page(query(q -> q.limit(40)));

    // Newer entries, and one as old as the first page's last entry: all above the cursor.
    Instant cursorTime = first.items().get(first.items().size() - 1).time();
    List<HistoryEvent> arrived = new ArrayList<>();
    IntStream.range(0, 30).forEach(i -> arrived.add(entry("new" + i).at(T0.plusSeconds(200 + i)).build()));
    arrived.add(entry("same-time").at(cursorTime).build());
    history.record(arrived);

    List<HistoryEvent> rest = all(query(q -> q.limit(40).before(first.next())));
    List<HistoryEvent> seen = new ArrayList<>(first.items());
    seen.addAll(rest);
    assertEquals(entries.size(), seen.size());
    assertEquals(Set.copyOf(entries), Set.copyOf(seen));
    assertEquals("new29", page(query(q -> q.limit(1))).items().get(0).key());
  }

  @Test
  void pagesAFilteredQuery() {
    List<HistoryEvent> entries = new ArrayList<>();
    for (int i = 0; i < 90; i++) {
      Category category = i % 3 == 0 ? Category.RECLAIM : Category.STATUS;
      entries.add(entry("k" + i).at(T0.plusSeconds(i)).category(category).build());
    }
    history.record(entries);

    List<HistoryEvent> reclaims = all(query(q -> q.limit(7).categories(Set.of(Category.RECLAIM))));

    List<String> expected = new ArrayList<>();
    entries.stream().filter(e -> e.category() == Category.RECLAIM).forEach(e -> expected.add(0, e.key()));
    assertEquals(expected, reclaims.stream().map(HistoryEvent::key).toList());
  }

  @Test
  void aMalformedCursorIsRefused() {
    String wrongLength = Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[] {1, 2, 3});
    String wrongVersion =
        Base64.getUrlEncoder().withoutPadding().encodeToString(ByteBuffer.allocate(17).put((byte) 9).array());

    for (String cursor : List.of("not a cursor!", "", wrongLength, wrongVersion)) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> history.events(query(q -> q.before(cursor)).build()));
      assertTrue(e.getMessage().startsWith("malformed history cursor"), e.getMessage());
    }
  }

  @Test
  void keepsADeletedWorkloadAndReplacesIt() {
    DeletedWorkload first = deleted("uid-1", T0, "{\"name\":\"train-1\",\"phase\":\"Running\"}");
    history.deleted(first);
    assertEquals(List.of(first), history.deletedSince(T0));

    DeletedWorkload again =
        new DeletedWorkload("uid-1", "team-b", "Inference", "serve-1", T0.plusSeconds(5), "{\"phase\": \"Failed\"}");
    history.deleted(again);

    assertEquals(List.of(again), history.deletedSince(T0.minusSeconds(60)));
  }

  @Test
  void listsWorkloadsDeletedSinceATimeNewestFirst() {
    DeletedWorkload older = deleted("uid-1", T0.minusSeconds(1), "{}");
    DeletedWorkload atSince = deleted("uid-2", T0, "{}");
    DeletedWorkload newer = deleted("uid-3", T0.plusSeconds(1), "{}");
    List.of(older, newer, atSince).forEach(history::deleted);

    assertEquals(List.of(newer, atSince), history.deletedSince(T0));
    assertEquals(List.of(newer, atSince, older), history.deletedSince(Instant.MIN));
    assertEquals(List.of(), history.deletedSince(Instant.MAX));
  }

  @Test
  void prunesWhatIsOlderThanEachBound() {
    Instant deletedBound = T0.minus(Duration.ofDays(1));
    history.record(
        List.of(
            entry("old").at(T0.minusMillis(1)).build(),
            entry("at-bound").at(T0).build(),
            entry("other-old").workload("uid-other").at(T0.minusSeconds(3600)).build()));
    history.deleted(deleted("gone", deletedBound.minusMillis(1), "{}"));
    history.deleted(deleted("kept", deletedBound, "{}"));

    assertEquals(3, history.prune(T0, deletedBound));

    assertEquals(keys("at-bound"), keysOf(history.events(EventQuery.latest(WORKLOAD, 10))));
    assertEquals(List.of(), history.events(EventQuery.latest("uid-other", 10)).items());
    assertEquals(List.of("kept"), history.deletedSince(Instant.MIN).stream().map(DeletedWorkload::uid).toList());
    assertEquals(0, history.prune(T0, deletedBound));
  }

  @Test
  void dropsNulCharactersPostgresCannotKeep() {
    history.record(List.of(entry("k1").message("bad\0byte").build()));

    assertEquals("badbyte", history.events(EventQuery.latest(WORKLOAD, 1)).items().get(0).message());
  }

  @Test
  void refusesATimeOutsideWhatIsKept() {
    HistoryEvent good = entry("good").build();
    HistoryEvent far = entry("far").at(Instant.parse("+12000-01-01T00:00:00Z")).build();

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> history.record(List.of(good, far)));

    assertTrue(e.getMessage().contains("history entry far"), e.getMessage());
    assertEquals(List.of(), history.events(EventQuery.latest(WORKLOAD, 10)).items());
  }

  @Test
  void aDatabaseThatIsDownMakesEveryCallUnavailableWithAHint() throws IOException {
    PGSimpleDataSource nowhere = new PGSimpleDataSource();
    nowhere.setURL("jdbc:postgresql://localhost:" + closedPort() + "/tessera");
    nowhere.setConnectTimeout(1);
    PostgresHistory down = new PostgresHistory(nowhere, "postgres-down");

    List<Runnable> calls =
        List.of(
            () -> down.record(List.of(entry("k1").build())),
            () -> down.events(EventQuery.latest(WORKLOAD, 10)),
            () -> down.deleted(deleted("uid-1", T0, "{}")),
            () -> down.deletedSince(T0),
            () -> down.prune(T0, T0));
    List<String> messages = new ArrayList<>();
    for (Runnable call : calls) {
      HistoryUnavailableException e = assertThrows(HistoryUnavailableException.class, call::run);
      assertTrue(e.getMessage().contains("in the history database postgres-down"), e.getMessage());
      assertTrue(e.getMessage().contains("check that PostgreSQL is running"), e.getMessage());
      messages.add(e.getMessage());
    }
    assertTrue(messages.get(0).startsWith("could not record 1 history entries"), messages.get(0));
    assertTrue(messages.get(1).startsWith("could not read the history of workload " + WORKLOAD), messages.get(1));
  }

  @Test
  void aDatabaseWithoutTheSchemaSaysSo() {
    PGSimpleDataSource unmigrated = new PGSimpleDataSource();
    unmigrated.setURL(postgres.createDatabase());
    unmigrated.setUser(EmbeddedDatabase.USER);

    HistoryUnavailableException e =
        assertThrows(
            HistoryUnavailableException.class,
            () -> new PostgresHistory(unmigrated, "unmigrated").events(EventQuery.latest(WORKLOAD, 1)));

    assertTrue(e.getMessage().contains("the schema is missing"), e.getMessage());
  }

  private static HistoryEvents.Builder reclaimWarning(String key) {
    return entry(key).at(T0.plusSeconds(10)).category(Category.RECLAIM).type("Warning").reason("Reclaimed");
  }

  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static DeletedWorkload deleted(String uid, Instant at, String rowJson) {
    return new DeletedWorkload(uid, "team-a", "Training", "name-" + uid, at, rowJson);
  }

  private EventPage page(QueryBuilder query) {
    return history.events(query.build());
  }

  /** Every entry the query matches, following the cursor page by page. */
  private List<HistoryEvent> all(QueryBuilder query) {
    return pages(query).stream().flatMap(p -> p.items().stream()).toList();
  }

  private List<EventPage> pages(QueryBuilder query) {
    List<EventPage> pages = new ArrayList<>();
    String cursor = query.before;
    do {
      EventPage page = history.events(query.before(cursor).build());
      pages.add(page);
      cursor = page.next();
      assertTrue(pages.size() < 1_000, "the cursor does not move");
    } while (cursor != null);
    return pages;
  }

  private static List<String> keys(String... keys) {
    return List.of(keys);
  }

  private static List<String> keysOf(EventPage page) {
    return page.items().stream().map(HistoryEvent::key).toList();
  }

  private static QueryBuilder query(Function<QueryBuilder, QueryBuilder> shape) {
    return shape.apply(new QueryBuilder());
  }

  /** An {@link EventQuery} for {@link HistoryEvents#WORKLOAD}, a field at a time. */
  private static final class QueryBuilder {
    private Set<Category> categories = Set.of();
    private Set<String> types = Set.of();
    private String text;
    private Instant since;
    private Instant until;
    private String before;
    private int limit = 100;

    QueryBuilder categories(Set<Category> categories) {
      this.categories = categories;
      return this;
    }

    QueryBuilder types(Set<String> types) {
      this.types = types;
      return this;
    }

    QueryBuilder text(String text) {
      this.text = text;
      return this;
    }

    QueryBuilder since(Instant since) {
      this.since = since;
      return this;
    }

    QueryBuilder until(Instant until) {
      this.until = until;
      return this;
    }

    QueryBuilder before(String before) {
      this.before = before;
      return this;
    }

    QueryBuilder limit(int limit) {
      this.limit = limit;
      return this;
    }

    EventQuery build() {
      return new EventQuery(WORKLOAD, categories, types, text, since, until, before, limit);
    }
  }
}
