package dev.tessera.console.history;

import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/**
 * Turns a failed statement into the one exception the history store throws, with a message that
 * says what failed and where an operator should look first.
 */
final class SqlFailures {
  private SqlFailures() {}

  /**
   * @param action what was being done, as a phrase ("record 12 history entries")
   * @param location the database, as {@link HistoryDatabase#location()} shows it
   */
  static HistoryUnavailableException unavailable(String action, String location, SQLException e) {
    return new HistoryUnavailableException(
        "could not " + action + " in the history database " + location + ": " + describe(e) + "; " + hint(e), e);
  }

  /** Longer than this, a driver's message is the statement it failed on, not the reason. */
  private static final int MAX_MESSAGE = 300;

  private static String describe(SQLException e) {
    // A failed batch's own message repeats the whole statement with its values; the reason is the
    // next exception's.
    SQLException reason = e instanceof BatchUpdateException && e.getNextException() != null ? e.getNextException() : e;
    String message = reason.getMessage() == null ? reason.getClass().getSimpleName() : reason.getMessage();
    if (message.length() > MAX_MESSAGE) {
      message = message.substring(0, MAX_MESSAGE) + "...";
    }
    String state = reason.getSQLState() != null ? reason.getSQLState() : e.getSQLState();
    return state == null ? message : message + " (SQLState " + state + ")";
  }

  private static String hint(SQLException e) {
    // Hikari's "connection is not available, request timed out" carries no state of its own.
    if (e instanceof SQLTransientConnectionException) {
      return "check that PostgreSQL is running and reachable from the console, and that the pool is not"
          + " exhausted by slow statements";
    }
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    if (state.startsWith("08")) {
      return "check that PostgreSQL is running and reachable at that address";
    }
    if (state.startsWith("28")) {
      return "check the user name and password the console is given";
    }
    if (state.equals("42P01") || state.equals("42703")) {
      return "the schema is missing or old: the console migrates it at start (HistoryDatabase.open), so check"
          + " that it started against this database";
    }
    if (state.startsWith("42")) {
      return "check that the console's user may read and write the history tables";
    }
    if (state.startsWith("53") || state.startsWith("57")) {
      return "PostgreSQL is out of resources or shutting down: check its log";
    }
    return "check PostgreSQL's log for the statement";
  }
}
