package dev.tessera.console.history;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.PGStatement;

/**
 * The SELECT behind one {@link EventQuery}: its filters as bound parameters, newest first by (time,
 * id), one row more than the page so the caller knows whether an older page exists.
 *
 * <p>Without filters the statement walks {@code history_events_workload_time} down from the
 * workload's newest entry (or the cursor) and stops after a page. A filter that keeps few of a
 * busy workload's entries would make that walk long; {@code history_events_workload_filters}
 * (category, type) and {@code history_events_text} (pg_trgm, where installed) let the planner find
 * the few directly.
 */
final class EventSql {
  static final String COLUMNS =
      "id, key, workload_uid, namespace, kind, name, time, category, type, reason, message, pod";

  /**
   * The times the store keeps: four-digit years, well inside timestamptz's range and where the
   * driver's text form is plain: from EARLIEST, and strictly before LATEST so that "before LATEST"
   * covers every kept row. Query bounds beyond them mean "no bound" (or "nothing").
   */
  static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");

  static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999Z");

  private final String sql;
  private final List<Object> parameters;
  private final boolean empty;

  private EventSql(String sql, List<Object> parameters, boolean empty) {
    this.sql = sql;
    this.parameters = parameters;
    this.empty = empty;
  }

  /**
   * @throws IllegalArgumentException when the query's cursor is malformed
   */
  static EventSql of(EventQuery query) {
    StringBuilder sql =
        new StringBuilder("SELECT ").append(COLUMNS).append(" FROM history_events WHERE workload_uid = ?");
    List<Object> parameters = new ArrayList<>();
    parameters.add(query.workloadUid());
    oneOf(sql, parameters, "category", query.categories().stream().map(Enum::name).toList());
    oneOf(sql, parameters, "type", List.copyOf(query.types()));
    if (query.text() != null && !query.text().isEmpty()) {
      sql.append(" AND (reason ILIKE ? ESCAPE '\\' OR message ILIKE ? ESCAPE '\\')");
      String pattern = "%" + escapeLike(PostgresText.clean(query.text())) + "%";
      parameters.add(pattern);
      parameters.add(pattern);
    }
    boolean empty = false;
    if (query.since() != null) {
      if (!query.since().isBefore(LATEST)) {
        empty = true;
      } else if (query.since().isAfter(EARLIEST)) {
        sql.append(" AND time >= ?");
        parameters.add(timestamp(query.since()));
      }
    }
    if (query.until() != null) {
      if (!query.until().isAfter(EARLIEST)) {
        empty = true;
      } else if (!query.until().isAfter(LATEST)) {
        sql.append(" AND time < ?");
        parameters.add(timestamp(query.until()));
      }
    }
    if (query.before() != null) {
      EventCursor cursor = EventCursor.decode(query.before());
      // A row comparison the index walks directly: strictly older, or as old with a smaller id.
      sql.append(" AND (time, id) < (?, ?)");
      parameters.add(timestamp(cursor.time()));
      parameters.add(cursor.id());
    }
    sql.append(" ORDER BY time DESC, id DESC LIMIT ?");
    parameters.add(query.limit() + 1);
    return new EventSql(sql.toString(), parameters, empty);
  }

  /**
   * {@code column = ?} for one value, which the planner can match to an index range ordered by
   * time; {@code column = ANY (?)} for several.
   */
  private static void oneOf(StringBuilder sql, List<Object> parameters, String column, List<String> values) {
    if (values.size() == 1) {
      sql.append(" AND ").append(column).append(" = ?");
      parameters.add(values.get(0));
    } else if (values.size() > 1) {
      sql.append(" AND ").append(column).append(" = ANY (?)");
      parameters.add(new TextArray(values));
    }
  }

  /** Whether the bounds exclude every entry, so no statement need run. */
  boolean empty() {
    return empty;
  }

  String sql() {
    return sql;
  }

  PreparedStatement prepare(Connection connection) throws SQLException {
    PreparedStatement statement = connection.prepareStatement(sql);
    try {
      // Planned afresh with its values every time: which index reads least depends on how many of
      // this workload's entries the filters keep, and a generic plan that the driver's server-side
      // statement would settle on after five runs picks one for all. Measured over 1,000,000
      // entries (HistoryQueryBenchmark's): a text search took 6 ms with its own plan, 50 ms with
      // the generic one; planning each time costs a few tenths of a millisecond.
      if (statement.isWrapperFor(PGStatement.class)) {
        statement.unwrap(PGStatement.class).setPrepareThreshold(0);
      }
      for (int i = 0; i < parameters.size(); i++) {
        Object value = parameters.get(i);
        if (value instanceof TextArray array) {
          statement.setArray(i + 1, connection.createArrayOf("text", array.values().toArray()));
        } else {
          statement.setObject(i + 1, value);
        }
      }
      return statement;
    } catch (SQLException e) {
      statement.close();
      throw e;
    }
  }

  static OffsetDateTime timestamp(Instant instant) {
    return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
  }

  /** The text matched literally: LIKE's wildcards and the escape character itself lose their meaning. */
  static String escapeLike(String text) {
    StringBuilder escaped = new StringBuilder(text.length() + 8);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\' || c == '%' || c == '_') {
        escaped.append('\\');
      }
      escaped.append(c);
    }
    return escaped.toString();
  }

  /** A text[] parameter; an array needs the connection to bind. */
  private record TextArray(List<String> values) {}
}
