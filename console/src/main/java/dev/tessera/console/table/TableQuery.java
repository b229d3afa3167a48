package dev.tessera.console.table;

import java.util.List;
import java.util.Objects;

/**
 * A query of the Workloads table: which rows (filters and a search, all of which must match),
 * in what order, which page, and which columns a CSV answer has.
 *
 * @param filters conditions that must all hold
 * @param search text that must appear in one of the text columns (case-insensitive); null for none
 * @param sortBy the column to sort by; ties are broken by uid so pages are stable
 * @param descending whether the order is descending
 * @param limit at most this many rows in the page, 1 to {@link #MAX_LIMIT}
 * @param cursor where the page starts, from the previous page's {@code continue}; null for the first
 * @param columns the columns of a CSV answer, in order
 */
public record TableQuery(
    List<Filter> filters, String search, Column sortBy, boolean descending, int limit, Cursor cursor,
    List<Column> columns) {

  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 10_000;
  /** The columns of a CSV answer that names none: what the Workloads view shows at first. */
  public static final List<Column> DEFAULT_COLUMNS = List.of(Column.NAME, Column.TYPE, Column.STATUS,
      Column.PROJECT, Column.DEPARTMENT, Column.CREATED_BY, Column.RUNNING_PODS, Column.REQUESTED_PODS,
      Column.CREATED_AT, Column.GPU_COMPUTE_REQUEST, Column.GPU_COMPUTE_ALLOCATION, Column.NODE_POOLS);

  public TableQuery {
    filters = List.copyOf(filters);
    Objects.requireNonNull(sortBy, "sortBy");
    columns = columns == null || columns.isEmpty() ? DEFAULT_COLUMNS : List.copyOf(columns);
    search = search == null || search.isEmpty() ? null : search;
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", not " + limit);
    }
  }

  /** Every row, newest first, one default page. */
  public static TableQuery newestFirst() {
    return new TableQuery(List.of(), null, Column.CREATED_AT, true, DEFAULT_LIMIT, null, null);
  }

  /** Whether the row passes the filters and the search. */
  public boolean matches(WorkloadRow row) {
    for (Filter filter : filters) {
      if (!filter.matches(row)) {
        return false;
      }
    }
    return search == null || searched(row);
  }

  private boolean searched(WorkloadRow row) {
    for (Column column : SEARCHED) {
      Object value = column.comparable(row);
      if (value != null && Text.containsIgnoreCase(value.toString(), search)) {
        return true;
      }
    }
    return false;
  }

  /** What the free-text search looks in: the columns a person would type a word of. */
  private static final List<Column> SEARCHED = List.of(Column.NAME, Column.NAMESPACE, Column.TYPE, Column.OWNER_KIND,
      Column.OWNER_NAME, Column.STATUS, Column.PROJECT, Column.DEPARTMENT, Column.CREATED_BY, Column.IMAGE,
      Column.NODE_POOLS);

  /**
   * What a cursor must agree with: a {@code continue} token from one query is refused by another,
   * since its position means nothing in a different order or filter.
   */
  String fingerprint() {
    StringBuilder out = new StringBuilder(sortBy.key()).append(descending ? ":desc" : ":asc");
    for (Filter filter : filters) {
      out.append('|').append(filter.column().key()).append(filter.operator().symbol()).append(filter.text());
    }
    if (search != null) {
      out.append("|~").append(search);
    }
    return Integer.toHexString(out.toString().hashCode());
  }
}
