package dev.tessera.console.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

class HistoryDatabaseTest {
  private static EmbeddedDatabase postgres;

  @BeforeAll
  static void startPostgres() {
    postgres = EmbeddedDatabase.start();
  }

  @AfterAll
  static void stopPostgres() {
    postgres.close();
  }

  @Test
  void migratesAnEmptyDatabaseAndOpensAMigratedOneAsItIs() throws SQLException {
    HistoryDatabase.Settings settings = postgres.newDatabaseSettings();
    try (HistoryDatabase first = HistoryDatabase.open(settings)) {
      execute(first, "INSERT INTO deleted_workloads VALUES ('uid-1', 'team-a', 'Training', 'train-1', now(), '{}')");
    }

    try (HistoryDatabase again = HistoryDatabase.open(settings)) {
      execute(again, "UPDATE deleted_workloads SET row = '[]' WHERE uid = 'uid-1'");
      assertEquals(1, count(again, "SELECT count(*) FROM deleted_workloads"));
      assertEquals(0, count(again, "SELECT count(*) FROM history_events"));
      assertEquals(1, count(again, "SELECT count(*) FROM flyway_schema_history WHERE success"));
    }
  }

  @Test
  void indexesTextSearchWherePgTrgmCanBeInstalled() throws SQLException {
    try (HistoryDatabase database = postgres.openHistory()) {
      assertEquals(1, count(database, "SELECT count(*) FROM pg_indexes WHERE indexname = 'history_events_text'"));
    }
  }

  @Test
  void migratesWithoutTheTextIndexWhereTheUserMayNotInstallPgTrgm() throws SQLException {
    // A user who may create tables in the public schema but not extensions in the database.
    String url = postgres.createDatabase();
    PGSimpleDataSource superuser = new PGSimpleDataSource();
    superuser.setURL(postgres.jdbcUrl("postgres"));
    superuser.setUser(EmbeddedDatabase.USER);
    try (Connection connection = superuser.getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE ROLE console_limited LOGIN");
    }
    HistoryDatabase.Settings limited =
        new HistoryDatabase.Settings(url, "console_limited", null, 2, Duration.ofSeconds(2));

    try (HistoryDatabase database = HistoryDatabase.open(limited)) {
      assertEquals(0, count(database, "SELECT count(*) FROM pg_indexes WHERE indexname = 'history_events_text'"));
      assertEquals(0, count(database, "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'"));
      PostgresHistory history = new PostgresHistory(database);
      history.record(List.of(HistoryEvents.entry("k1").message("GPU out of memory").build()));
      EventQuery search =
          new EventQuery(HistoryEvents.WORKLOAD, Set.of(), Set.of(), "OUT OF", null, null, null, 10);
      assertEquals(1, history.events(search).items().size());
    }
  }

  @Test
  void anUnreachableDatabaseFailsToOpenWithAHintAndNoPassword() throws IOException {
    String url = "jdbc:postgresql://localhost:" + closedPort() + "/tessera?password=hunter2";
    HistoryDatabase.Settings settings =
        HistoryDatabase.Settings.of(url, "tessera", "hunter2").withConnectTimeout(Duration.ofMillis(250));

    HistoryUnavailableException e =
        assertThrows(HistoryUnavailableException.class, () -> HistoryDatabase.open(settings));

    assertTrue(
        e.getMessage().startsWith("could not migrate the history database jdbc:postgresql://localhost:"),
        e.getMessage());
    assertTrue(e.getMessage().contains("check that PostgreSQL is running"), e.getMessage());
    assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    assertFalse(settings.toString().contains("hunter2"), settings.toString());
  }

  @Test
  void aSchemaHistoryThatDoesNotMatchTheMigrationsIsRefusedWithAHint() throws SQLException {
    HistoryDatabase.Settings settings = postgres.newDatabaseSettings();
    try (HistoryDatabase database = HistoryDatabase.open(settings)) {
      execute(database, "UPDATE flyway_schema_history SET checksum = checksum + 1 WHERE version = '1'");
    }

    HistoryUnavailableException e =
        assertThrows(HistoryUnavailableException.class, () -> HistoryDatabase.open(settings));

    assertTrue(e.getMessage().contains("a migration was changed after it was applied"), e.getMessage());
  }

  @Test
  void closingClosesThePool() {
    HistoryDatabase database = postgres.openHistory();
    database.close();

    assertThrows(SQLException.class, () -> {
      try (Connection connection = database.dataSource().getConnection()) {
        connection.isValid(1);
      }
    });
  }

  @Test
  void refusesSettingsItCannotUse() {
    assertThrows(
        IllegalArgumentException.class, () -> HistoryDatabase.Settings.of("jdbc:mysql://db/tessera", "u", "p"));
    assertThrows(
        IllegalArgumentException.class,
        () -> HistoryDatabase.Settings.of("jdbc:postgresql://db/tessera", "u", "p").withMaxConnections(0));
    HistoryDatabase.Settings good = HistoryDatabase.Settings.of("jdbc:postgresql://db/tessera", "u", "p");
    assertThrows(IllegalArgumentException.class, () -> good.withConnectTimeout(Duration.ofMillis(10)));
  }

  @Test
  void locationLeavesTheQueryOut() {
    assertEquals(
        "jdbc:postgresql://db:5432/tessera", HistoryDatabase.location("jdbc:postgresql://db:5432/tessera?password=x"));
    assertEquals("jdbc:postgresql://db/tessera", HistoryDatabase.location("jdbc:postgresql://db/tessera"));
  }

  private static void execute(HistoryDatabase database, String sql) throws SQLException {
    try (Connection connection = database.dataSource().getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute(sql);
    }
  }

  private static long count(HistoryDatabase database, String sql) throws SQLException {
    try (Connection connection = database.dataSource().getConnection();
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(sql)) {
      rows.next();
      return rows.getLong(1);
    }
  }

  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
