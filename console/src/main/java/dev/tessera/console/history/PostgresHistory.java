package dev.tessera.console.history;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * The history store on PostgreSQL, in the schema {@link HistoryDatabase} migrates. Plain JDBC: a
 * connection per call from the pool, so it is as concurrent as the pool is large.
 *
 * <p>Times are kept to the microsecond, as timestamptz does: an entry recorded with nanoseconds
 * comes back rounded. Every {@link SQLException} leaves as a {@link HistoryUnavailableException}
 * that says what failed and what to check. Closing it closes nothing: the pool belongs to the
 * {@link HistoryDatabase}.
 */
public final class PostgresHistory implements WorkloadHistory {
  /** Entries per executeBatch: large enough to amortise the round trip, small enough to bound the statement. */
  private static final int BATCH = 1_000;

  private static final String INSERT_EVENT =
      "INSERT INTO history_events (key, workload_uid, namespace, kind, name, time, category, type, reason,"
          + " message, pod) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING";

  private static final String UPSERT_DELETED =
      "INSERT INTO deleted_workloads (uid, namespace, kind, name, deleted_at, row) VALUES (?, ?, ?, ?, ?, ?)"
          + " ON CONFLICT (uid) DO UPDATE SET namespace = EXCLUDED.namespace, kind = EXCLUDED.kind,"
          + " name = EXCLUDED.name, deleted_at = EXCLUDED.deleted_at, row = EXCLUDED.row";

  private static final String DELETED_SINCE =
      "SELECT uid, namespace, kind, name, deleted_at, row FROM deleted_workloads WHERE deleted_at >= ?"
          + " ORDER BY deleted_at DESC, uid";

  private final DataSource dataSource;
  private final String location;

  /**
   * @param dataSource connections to a database migrated by {@link HistoryDatabase}
   * @param location how messages name the database ({@link HistoryDatabase#location()})
   */
  public PostgresHistory(DataSource dataSource, String location) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.location = Objects.requireNonNull(location, "location");
  }

  /** A store on the database's pool. */
  public PostgresHistory(HistoryDatabase database) {
    this(database.dataSource(), database.location());
  }

  /**
   * {@inheritDoc}
   *
   * <p>All of them in one transaction: either every new entry is kept or none is.
   *
   * @throws IllegalArgumentException when an entry's time is outside years 1 to 9999
   */
  @Override
  public void record(Collection<HistoryEvent> events) {
    if (events.isEmpty()) {
      return;
    }
    for (HistoryEvent event : events) {
      checkStorable(event.time(), "the time of history entry " + event.key());
    }
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try (PreparedStatement insert = connection.prepareStatement(INSERT_EVENT)) {
        int batched = 0;
        for (HistoryEvent event : events) {
          bind(insert, event);
          insert.addBatch();
          if (++batched % BATCH == 0) {
            insert.executeBatch();
          }
        }
        if (batched % BATCH != 0) {
          insert.executeBatch();
        }
        connection.commit();
      } catch (SQLException e) {
        rollback(connection, e);
        throw e;
      }
    } catch (SQLException e) {
      throw unavailable("record " + events.size() + " history entries", e);
    }
  }

  private static void bind(PreparedStatement insert, HistoryEvent event) throws SQLException {
    insert.setString(1, PostgresText.clean(event.key()));
    insert.setString(2, PostgresText.clean(event.workloadUid()));
    insert.setString(3, PostgresText.clean(event.namespace()));
    insert.setString(4, PostgresText.clean(event.kind()));
    insert.setString(5, PostgresText.clean(event.name()));
    insert.setObject(6, EventSql.timestamp(event.time()));
    insert.setString(7, event.category().name());
    insert.setString(8, PostgresText.clean(event.type()));
    insert.setString(9, PostgresText.clean(event.reason()));
    insert.setString(10, PostgresText.clean(event.message()));
    insert.setString(11, PostgresText.clean(event.pod()));
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException when the query's cursor is not one this store handed out
   */
  @Override
  public EventPage events(EventQuery query) {
    EventSql select = EventSql.of(query);
    if (select.empty()) {
      return new EventPage(List.of(), null);
    }
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement = select.prepare(connection);
        ResultSet rows = statement.executeQuery()) {
      List<HistoryEvent> items = new ArrayList<>(Math.min(query.limit(), 64));
      EventCursor last = null;
      while (rows.next()) {
        if (items.size() == query.limit()) {
          // The extra row: an older page exists, and it starts below the last one kept.
          return new EventPage(items, last.encode());
        }
        HistoryEvent event = event(rows);
        items.add(event);
        last = new EventCursor(event.time(), rows.getLong("id"));
      }
      return new EventPage(items, null);
    } catch (SQLException e) {
      throw unavailable("read the history of workload " + query.workloadUid(), e);
    }
  }

  private static HistoryEvent event(ResultSet rows) throws SQLException {
    return new HistoryEvent(
        rows.getString("key"),
        rows.getString("workload_uid"),
        rows.getString("namespace"),
        rows.getString("kind"),
        rows.getString("name"),
        rows.getObject("time", OffsetDateTime.class).toInstant(),
        category(rows.getString("category")),
        rows.getString("type"),
        rows.getString("reason"),
        rows.getString("message"),
        rows.getString("pod"));
  }

  /** A category a newer version wrote and this one does not know reads as OTHER, not as a failure. */
  private static HistoryEvent.Category category(String name) {
    for (HistoryEvent.Category category : HistoryEvent.Category.values()) {
      if (category.name().equals(name)) {
        return category;
      }
    }
    return HistoryEvent.Category.OTHER;
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException when its deletion time is outside years 1 to 9999
   */
  @Override
  public void deleted(DeletedWorkload workload) {
    checkStorable(workload.deletedAt(), "the deletion time of workload " + workload.uid());
    try (Connection connection = dataSource.getConnection();
        PreparedStatement upsert = connection.prepareStatement(UPSERT_DELETED)) {
      upsert.setString(1, PostgresText.clean(workload.uid()));
      upsert.setString(2, PostgresText.clean(workload.namespace()));
      upsert.setString(3, PostgresText.clean(workload.kind()));
      upsert.setString(4, PostgresText.clean(workload.name()));
      upsert.setObject(5, EventSql.timestamp(workload.deletedAt()));
      upsert.setString(6, PostgresText.clean(workload.rowJson()));
      upsert.executeUpdate();
    } catch (SQLException e) {
      throw unavailable("keep deleted workload " + workload.uid(), e);
    }
  }

  @Override
  public List<DeletedWorkload> deletedSince(Instant since) {
    Objects.requireNonNull(since, "since");
    if (!since.isBefore(EventSql.LATEST)) {
      return List.of();
    }
    Instant bound = since.isBefore(EventSql.EARLIEST) ? EventSql.EARLIEST : since;
    try (Connection connection = dataSource.getConnection();
        PreparedStatement select = connection.prepareStatement(DELETED_SINCE)) {
      select.setObject(1, EventSql.timestamp(bound));
      try (ResultSet rows = select.executeQuery()) {
        List<DeletedWorkload> deleted = new ArrayList<>();
        while (rows.next()) {
          deleted.add(
              new DeletedWorkload(
                  rows.getString("uid"),
                  rows.getString("namespace"),
                  rows.getString("kind"),
                  rows.getString("name"),
                  rows.getObject("deleted_at", OffsetDateTime.class).toInstant(),
                  rows.getString("row")));
        }
        return deleted;
      }
    } catch (SQLException e) {
      throw unavailable("list workloads deleted since " + since, e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Both deletes in one transaction.
   */
  @Override
  public long prune(Instant eventsBefore, Instant deletedBefore) {
    Objects.requireNonNull(eventsBefore, "eventsBefore");
    Objects.requireNonNull(deletedBefore, "deletedBefore");
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try {
        long pruned =
            deleteBefore(connection, "DELETE FROM history_events WHERE time < ?", eventsBefore)
                + deleteBefore(connection, "DELETE FROM deleted_workloads WHERE deleted_at < ?", deletedBefore);
        connection.commit();
        return pruned;
      } catch (SQLException e) {
        rollback(connection, e);
        throw e;
      }
    } catch (SQLException e) {
      throw unavailable("prune history before " + eventsBefore + " and deleted workloads before " + deletedBefore, e);
    }
  }

  private static long deleteBefore(Connection connection, String delete, Instant before) throws SQLException {
    if (!before.isAfter(EventSql.EARLIEST)) {
      return 0;
    }
    try (PreparedStatement statement = connection.prepareStatement(delete)) {
      statement.setObject(1, EventSql.timestamp(before.isAfter(EventSql.LATEST) ? EventSql.LATEST : before));
      return statement.executeLargeUpdate();
    }
  }

  private static void checkStorable(Instant time, String what) {
    if (time.isBefore(EventSql.EARLIEST) || !time.isBefore(EventSql.LATEST)) {
      throw new IllegalArgumentException(
          what + " is " + time + ", outside what the history store keeps (" + EventSql.EARLIEST + " to before "
              + EventSql.LATEST + ")");
    }
  }

  /** The failure that matters is the statement's; a rollback on a broken connection only adds to it. */
  private static void rollback(Connection connection, SQLException cause) {
    try {
      connection.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  private HistoryUnavailableException unavailable(String action, SQLException e) {
    return SqlFailures.unavailable(action, location, e);
  }

  /** Nothing to release: the pool is the {@link HistoryDatabase}'s. */
  @Override
  public void close() {}
}
