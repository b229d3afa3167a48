package dev.tessera.console.table;

import java.util.List;

/**
 * One page of a query's rows.
 *
 * @param items the rows, in the query's order
 * @param continueToken the next page's cursor, or null when this page is the last
 * @param remaining rows matching the query after this page
 * @param total rows matching the query in all
 */
public record TablePage(List<WorkloadRow> items, String continueToken, int remaining, int total) {
  public TablePage {
    items = List.copyOf(items);
  }
}
