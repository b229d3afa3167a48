package dev.tessera.console.table;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * An immutable set of rows and the queries over it. A query reads every row once (filters, search
 * and who may see it), sorts the survivors by a key read once per row, and cuts a page after the
 * cursor: at 10,000 rows that is a few milliseconds, and no index needs keeping up to date.
 */
public final class WorkloadTable {
  private final List<WorkloadRow> rows;

  public WorkloadTable(List<WorkloadRow> rows) {
    this.rows = List.copyOf(rows);
  }

  public int size() {
    return rows.size();
  }

  public List<WorkloadRow> rows() {
    return rows;
  }

  /**
   * The page of rows the caller may see that match the query.
   *
   * @param visible whether the caller may see a row (its project's access); called once per row
   * @throws IllegalArgumentException when the query's cursor belongs to another query
   */
  public TablePage query(TableQuery query, Predicate<WorkloadRow> visible) {
    String fingerprint = query.fingerprint();
    if (query.cursor() != null && !query.cursor().fingerprint().equals(fingerprint)) {
      throw new IllegalArgumentException("continue token belongs to a query with another sort or filter;"
          + " ask for the first page again without it");
    }
    Column sortBy = query.sortBy();
    List<RowOrder.Keyed> matching = new ArrayList<>();
    for (WorkloadRow row : rows) {
      if (query.matches(row) && visible.test(row)) {
        matching.add(new RowOrder.Keyed(sortBy.comparable(row), row));
      }
    }
    RowOrder.Keyed[] sorted = matching.toArray(new RowOrder.Keyed[0]);
    Arrays.sort(sorted, query.descending() ? RowOrder.KEYED_DESC : RowOrder.KEYED_ASC);
    int from = query.cursor() == null ? 0 : after(sorted, query);
    int to = Math.min(sorted.length, from + query.limit());
    List<WorkloadRow> page = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) {
      page.add(sorted[i].row);
    }
    String next = null;
    if (to < sorted.length && to > from) {
      RowOrder.Keyed last = sorted[to - 1];
      next = new Cursor(fingerprint, last.key == null ? "" : last.key.toString(), last.key != null, last.row.uid())
          .encode();
    }
    return new TablePage(page, next, sorted.length - to, sorted.length);
  }

  /** The index of the first row after the cursor's position (rows before it may have gone since). */
  private static int after(RowOrder.Keyed[] sorted, TableQuery query) {
    Cursor cursor = query.cursor();
    Object key = RowOrder.keyOf(query.sortBy(), cursor);
    int low = 0;
    int high = sorted.length;
    while (low < high) {
      int mid = (low + high) >>> 1;
      RowOrder.Keyed probe = sorted[mid];
      if (RowOrder.compare(probe.key, probe.row.uid(), key, cursor.uid(), query.descending()) <= 0) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low;
  }
}
