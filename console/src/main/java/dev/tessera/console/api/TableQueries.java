package dev.tessera.console.api;

import dev.tessera.console.http.Request;
import dev.tessera.console.table.Column;
import dev.tessera.console.table.Cursor;
import dev.tessera.console.table.Filter;
import dev.tessera.console.table.TableQuery;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a table query from a request's parameters: {@code filterBy} (repeatable, Run:ai's
 * operators), {@code search}, {@code sortBy}, {@code sortOrder} (asc / desc), {@code limit}, {@code
 * continue} and {@code columns} (comma-separated, for CSV).
 */
final class TableQueries {
  private TableQueries() {}

  static TableQuery from(Request request) {
    List<Filter> filters = new ArrayList<>();
    for (String expression : request.params("filterBy")) {
      for (String one : expression.split(",")) {
        if (!one.isBlank()) {
          filters.add(Filter.parse(one.trim()));
        }
      }
    }
    String sortBy = request.param("sortBy");
    Column sort = sortBy == null ? Column.CREATED_AT : Column.named(sortBy);
    String order = request.param("sortOrder");
    boolean descending;
    if (order == null) {
      descending = sort == Column.CREATED_AT;
    } else if (order.equals("asc") || order.equals("desc")) {
      descending = order.equals("desc");
    } else {
      throw new IllegalArgumentException("sortOrder is asc or desc, not \"" + order + "\"");
    }
    int limit = TableQuery.DEFAULT_LIMIT;
    String limitText = request.param("limit");
    if (limitText != null) {
      try {
        limit = Integer.parseInt(limitText);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("limit is a whole number, not \"" + limitText + "\"", e);
      }
    }
    String token = request.param("continue");
    List<Column> columns = new ArrayList<>();
    String columnsText = request.param("columns");
    if (columnsText != null) {
      for (String name : columnsText.split(",")) {
        if (!name.isBlank()) {
          columns.add(Column.named(name.trim()));
        }
      }
    }
    return new TableQuery(filters, request.param("search"), sort, descending, limit,
        token == null || token.isEmpty() ? null : Cursor.decode(token), columns);
  }
}
