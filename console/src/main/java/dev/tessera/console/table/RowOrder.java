package dev.tessera.console.table;

import java.util.Comparator;

/**
 * The order of a sorted column: by value (text ignoring case), rows without a value last whichever
 * the direction, and ties broken by uid so every row has one place and cursors are stable.
 */
final class RowOrder {
  private RowOrder() {}

  /** Compares two rows' sort keys; {@code a} and {@code b} are {@link Column#comparable} values. */
  static int compare(Object a, String uidA, Object b, String uidB, boolean descending) {
    int byValue;
    if (a == null || b == null) {
      byValue = a == null ? (b == null ? 0 : 1) : -1; // none last, whichever the direction
    } else {
      byValue = descending ? -values(a, b) : values(a, b);
    }
    return byValue != 0 ? byValue : uidA.compareTo(uidB);
  }

  @SuppressWarnings("unchecked")
  private static int values(Object a, Object b) {
    if (a instanceof String x && b instanceof String y) {
      int folded = x.compareToIgnoreCase(y);
      return folded != 0 ? folded : x.compareTo(y);
    }
    return ((Comparable<Object>) a).compareTo(b);
  }

  /** The sort key a cursor's text stands for, in the column's comparable type. */
  static Object keyOf(Column column, Cursor cursor) {
    if (!cursor.hasValue()) {
      return null;
    }
    try {
      return switch (column.type()) {
        case TEXT -> cursor.value();
        case NUMBER -> Double.valueOf(cursor.value());
        case TIME -> Long.valueOf(cursor.value());
        case BOOLEAN -> Boolean.valueOf(cursor.value());
      };
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("continue token does not belong to this query", e);
    }
  }

  static final Comparator<Keyed> KEYED_ASC = (x, y) -> compare(x.key, x.row.uid(), y.key, y.row.uid(), false);
  static final Comparator<Keyed> KEYED_DESC = (x, y) -> compare(x.key, x.row.uid(), y.key, y.row.uid(), true);

  /** A row with its sort key read once, so sorting does not read it again per comparison. */
  static final class Keyed {
    final Object key;
    final WorkloadRow row;

    Keyed(Object key, WorkloadRow row) {
      this.key = key;
      this.row = row;
    }
  }
}
