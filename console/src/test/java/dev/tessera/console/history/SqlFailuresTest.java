package dev.tessera.console.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;

class SqlFailuresTest {
  @Test
  void saysWhatFailedWhereAndWhatToCheck() {
    SQLException refused = new SQLException("Connection to localhost:5432 refused", "08001");

    HistoryUnavailableException e =
        SqlFailures.unavailable("record 3 history entries", "jdbc:postgresql://db/t", refused);

    assertEquals(
        "could not record 3 history entries in the history database jdbc:postgresql://db/t: Connection to"
            + " localhost:5432 refused (SQLState 08001); check that PostgreSQL is running and reachable at that"
            + " address",
        e.getMessage());
    assertSame(refused, e.getCause());
  }

  @Test
  void givesTheHintThatFitsTheState() {
    assertHint(new SQLException("password authentication failed", "28P01"), "check the user name and password");
    assertHint(new SQLException("relation \"history_events\" does not exist", "42P01"), "the schema is missing");
    assertHint(new SQLException("permission denied for table history_events", "42501"), "may read and write");
    assertHint(new SQLException("terminating connection due to administrator command", "57P01"), "shutting down");
    assertHint(new SQLTransientConnectionException("tessera-history - Connection is not available"), "pool is not");
    assertHint(new SQLException("something else", "XX000"), "check PostgreSQL's log");
  }

  @Test
  void aFailedBatchIsDescribedByItsReasonNotItsStatement() {
    BatchUpdateException batch =
        new BatchUpdateException(
            "Batch entry 0 INSERT INTO history_events " + "(...), ".repeat(1000), "08006", 0, new int[0]);
    batch.setNextException(new SQLException("An I/O error occurred while sending to the backend.", "08006"));

    String message = SqlFailures.unavailable("record 1000 history entries", "db", batch).getMessage();

    assertTrue(message.contains("An I/O error occurred while sending to the backend. (SQLState 08006)"), message);
    assertFalse(message.contains("INSERT"), message);
  }

  @Test
  void aLongMessageIsCut() {
    String message = SqlFailures.unavailable("x", "db", new SQLException("y".repeat(10_000), "XX000")).getMessage();

    assertTrue(message.length() < 500, message);
  }

  private static void assertHint(SQLException e, String hint) {
    String message = SqlFailures.unavailable("x", "db", e).getMessage();
    assertTrue(message.contains(hint), message);
  }
}
