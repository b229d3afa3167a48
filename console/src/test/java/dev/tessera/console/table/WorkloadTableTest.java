package dev.tessera.console.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WorkloadTableTest {
  private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");

  private final WorkloadTable table = new WorkloadTable(List.of(
      Rows.row("u1", "bert-large", "team-a", "Running", 2, T0),
      Rows.row("u2", "Bert-small", "team-a", "Pending", 0.5, T0.plusSeconds(60)),
      Rows.row("u3", "resnet", "team-b", "Running", 8, T0.plusSeconds(120)),
      Rows.row("u4", "llama", "team-b", "Failed", 4, T0.plusSeconds(180))));

  private static TableQuery query(String sortBy, boolean descending, int limit, String... filters) {
    return new TableQuery(java.util.Arrays.stream(filters).map(Filter::parse).toList(), null, Column.named(sortBy),
        descending, limit, null, null);
  }

  private static List<String> names(TablePage page) {
    return page.items().stream().map(WorkloadRow::name).toList();
  }

  @Test
  void filtersByEveryKindOfOperator() {
    assertEquals(List.of("bert-large", "Bert-small"), names(table.query(query("name", false, 10, "name=@bert"), r -> true)));
    assertEquals(List.of("resnet"), names(table.query(query("name", false, 10, "gpuComputeRequest>4"), r -> true)));
    assertEquals(List.of("llama", "resnet"),
        names(table.query(query("name", false, 10, "gpuComputeRequest>=4", "project==TEAM-B"), r -> true)));
    assertEquals(List.of("Bert-small", "resnet"),
        names(table.query(query("createdAt", false, 10, "createdAt>=2026-12-01T00:01:00Z", "createdAt<2026-12-01T00:03:00Z"), r -> true)));
    assertEquals(List.of("llama", "resnet"), names(table.query(query("name", false, 10, "name!@bert"), r -> true)));
    assertEquals(List.of("bert-large", "Bert-small"), names(table.query(query("name", false, 10, "name=^BERT"), r -> true)));
    assertEquals(List.of("bert-large"), names(table.query(query("name", false, 10, "name=$large"), r -> true)));
    assertEquals(4, table.query(query("name", false, 10, "cpuMemoryRequest==1Gi"), r -> true).total());
    assertEquals(0, table.query(query("name", false, 10, "completedAt>2026-01-01"), r -> true).total());
    assertEquals(4, table.query(query("name", false, 10, "completedAt!=2026-01-01"), r -> true).total());
  }

  @Test
  void searchesTextColumnsIgnoringCase() {
    TableQuery search = new TableQuery(List.of(), "RESN", Column.NAME, false, 10, null, null);
    assertEquals(List.of("resnet"), names(table.query(search, r -> true)));
  }

  @Test
  void sortsByAnyColumnWithTextIgnoringCase() {
    assertEquals(List.of("bert-large", "Bert-small", "llama", "resnet"), names(table.query(query("name", false, 10), r -> true)));
    assertEquals(List.of("resnet", "llama", "bert-large", "Bert-small"),
        names(table.query(query("gpuComputeRequest", true, 10), r -> true)));
    assertEquals(List.of("llama", "resnet", "Bert-small", "bert-large"), names(table.query(query("createdAt", true, 10), r -> true)));
  }

  @Test
  void rowsTheCallerMayNotSeeAreNeitherListedNorCounted() {
    TablePage page = table.query(query("name", false, 10), row -> row.project().equals("team-a"));
    assertEquals(List.of("bert-large", "Bert-small"), names(page));
    assertEquals(2, page.total());
  }

  @Test
  void refusesWhatItCannotRead() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Filter.parse("colour==red")).getMessage()
        .contains("no column \"colour\""));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Filter.parse("name>3")).getMessage()
        .contains("takes [==, !=, =@, !@, =^, =$]"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Filter.parse("gpuComputeRequest=@2")).getMessage()
        .contains("takes [==, !=, >=, <=, >, <]"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Filter.parse("gpuComputeRequest>=lots")).getMessage()
        .contains("a number or a quantity"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Filter.parse("createdAt>=yesterday")).getMessage()
        .contains("RFC 3339"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Filter.parse("name")).getMessage()
        .contains("no operator"));
    assertThrows(IllegalArgumentException.class, () -> Cursor.decode("%%%"));
    assertThrows(IllegalArgumentException.class, () -> Cursor.decode("bm90IGEgY3Vyc29y"));
  }

  @Test
  void aCursorFromAnotherQueryIsRefused() {
    TablePage first = table.query(query("name", false, 1), r -> true);
    Cursor cursor = Cursor.decode(first.continueToken());
    TableQuery other = new TableQuery(List.of(), null, Column.CREATED_AT, false, 1, cursor, null);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> table.query(other, r -> true)).getMessage()
        .contains("another sort or filter"));
  }

  @Test
  void pagesThroughEveryRowOnceWhileRowsComeAndGo() {
    Random random = new Random(7);
    List<WorkloadRow> rows = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      // Few distinct values, so ties are many and the uid tie-break carries the order.
      rows.add(Rows.row(String.format("u%04d", i), "w" + random.nextInt(20), "team-" + random.nextInt(3),
          "Running", random.nextInt(5), T0.plusSeconds(random.nextInt(10))));
    }
    Set<String> seen = new HashSet<>();
    List<WorkloadRow> current = new ArrayList<>(rows);
    TableQuery first = query("gpuComputeRequest", true, 37);
    TablePage page = new WorkloadTable(current).query(first, r -> true);
    Set<String> removedBeforeSeen = new HashSet<>();
    int added = 0;
    while (true) {
      for (WorkloadRow row : page.items()) {
        assertTrue(seen.add(row.uid()), "row " + row.uid() + " listed twice");
      }
      if (page.continueToken() == null) {
        break;
      }
      // Between pages, one unseen row goes and a new one comes.
      WorkloadRow gone = current.stream().filter(r -> !seen.contains(r.uid())).findFirst().orElseThrow();
      current.remove(gone);
      removedBeforeSeen.add(gone.uid());
      current.add(Rows.row("new" + added++, "late", "team-0", "Pending", random.nextInt(5), T0));
      TableQuery next = new TableQuery(first.filters(), null, first.sortBy(), true, 37,
          Cursor.decode(page.continueToken()), null);
      page = new WorkloadTable(current).query(next, r -> true);
    }
    for (WorkloadRow row : rows) {
      assertTrue(seen.contains(row.uid()) || removedBeforeSeen.contains(row.uid()), "row " + row.uid() + " skipped");
    }
  }

  @Test
  void lastPageHasNoCursor() {
    TablePage page = table.query(query("name", false, 4), r -> true);
    assertNull(page.continueToken());
    assertEquals(0, page.remaining());
    TablePage first = table.query(query("name", false, 3), r -> true);
    assertEquals(1, first.remaining());
  }

  @Test
  void csvHasTheColumnsAskedForInTheirOrderAndDefusesFormulas() {
    WorkloadRow odd = Rows.row("u9", "=cmd|calc", "team, \"quoted\"", "Running", 1, T0);
    String csv = Csv.write(List.of(Column.STATUS, Column.NAME, Column.PROJECT, Column.GPU_COMPUTE_REQUEST,
        Column.CREATED_AT), List.of(odd));
    assertEquals("Status,Name,Project,GPU compute request,Creation time\r\n"
        + "Running,\"'=cmd|calc\",\"team, \"\"quoted\"\"\",1,2026-12-01T00:00:00Z\r\n", csv);
  }
}
