package dev.tessera.bench;

import dev.tessera.console.history.EventPage;
import dev.tessera.console.history.EventQuery;
import dev.tessera.console.history.HistoryDatabase;
import dev.tessera.console.history.HistoryEvent.Category;
import dev.tessera.console.history.PostgresHistory;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A workload's history tab over a history of 1,000,000 entries: one page of 50 of the busiest
 * workload's entries (50,000 of them, one in twenty of all), as the Workloads API asks for it.
 * Target: under 100 ms per query. JMH samples every call, so the p50 and p99 are in its output.
 *
 * <p>Each fork starts PostgreSQL (zonky's embedded binaries, default settings), migrates it with
 * {@link HistoryDatabase} and loads the entries with COPY ({@link HistoryDataset}), which takes
 * about a minute. {@code bench/history-query.sh} runs it with {@value #DATA_PROPERTY} set to a
 * directory that the first fork loads and the later ones start from, and deletes it after; without
 * the property every fork loads its own. Run with {@code bench/history-query.sh}, or {@code java -cp
 * bench/target/tessera-bench.jar org.openjdk.jmh.Main HistoryQueryBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class HistoryQueryBenchmark {
  /** A directory the forks share the loaded database in. */
  public static final String DATA_PROPERTY = "tessera.bench.historyData";

  private static final int EVENTS = 1_000_000;
  private static final int WORKLOADS = 10_000;
  private static final int PAGE = 50;
  /** How deep the deep page starts: 20,000 entries, 400 pages in. */
  private static final int DEEP_PAGES = 400;

  private Path directory;
  private boolean ownDirectory;
  private EmbeddedPostgres postgres;
  private HistoryDatabase database;
  private PostgresHistory history;
  private String deepCursor;
  private Instant day;

  @Setup
  public void setUp() throws IOException, SQLException {
    String shared = System.getProperty(DATA_PROPERTY);
    ownDirectory = shared == null;
    directory = ownDirectory ? Files.createTempDirectory("tessera-history-bench-") : Path.of(shared);
    // Written once the load is complete: a fork that died half way leaves none, and the next loads again.
    Path loaded = directory.resolve("loaded-" + EVENTS + "-" + WORKLOADS);
    Path data = directory.resolve("pgdata");
    if (!Files.exists(loaded)) {
      deleteRecursively(data);
    }
    postgres = EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).start();
    database =
        HistoryDatabase.open(
            HistoryDatabase.Settings.of(postgres.getJdbcUrl("postgres", "postgres"), "postgres", null));
    history = new PostgresHistory(database);
    if (!Files.exists(loaded)) {
      HistoryDataset.load(database.dataSource(), EVENTS, WORKLOADS);
      Files.createFile(loaded);
    }
    String cursor = null;
    for (int i = 0; i < DEEP_PAGES; i++) {
      cursor = history.events(page(null, null, cursor)).next();
    }
    deepCursor = cursor;
    day = HistoryDataset.END.minus(HistoryDataset.SPAN.dividedBy(2));
  }

  @TearDown
  public void tearDown() throws IOException {
    database.close();
    postgres.close();
    if (ownDirectory) {
      deleteRecursively(directory);
    }
  }

  /** The history tab as it opens: the newest 50. */
  @Benchmark
  public EventPage firstPage() {
    return history.events(EventQuery.latest(HistoryDataset.BUSY, PAGE));
  }

  /** Only GPU out-of-memory kills: 3 in 100 entries. */
  @Benchmark
  public EventPage byCategory() {
    return history.events(
        new EventQuery(HistoryDataset.BUSY, Set.of(Category.GPU_OOM), Set.of(), null, null, null, null, PAGE));
  }

  /** A search box: "out of memory" in the reason or message, 3 in 100 entries. */
  @Benchmark
  public EventPage byText() {
    return history.events(page("out of memory", null, null));
  }

  /** A search that matches nothing, so no page fills before every candidate is looked at. */
  @Benchmark
  public EventPage byTextMatchingNothing() {
    return history.events(page("no such text", null, null));
  }

  /** One day, 45 days back: about 550 of the workload's entries. */
  @Benchmark
  public EventPage byTimeRange() {
    return history.events(page(null, day, null));
  }

  /** Page 401, through the cursor. */
  @Benchmark
  public EventPage deepPage() {
    return history.events(page(null, null, deepCursor));
  }

  private EventQuery page(String text, Instant since, String cursor) {
    Instant until = since == null ? null : since.plus(Duration.ofDays(1));
    return new EventQuery(HistoryDataset.BUSY, Set.of(), Set.of(), text, since, until, cursor, PAGE);
  }

  private static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(path)) {
      for (Path each : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(each);
      }
    }
  }
}
