package dev.tessera.console.history;

/** What PostgreSQL's text type cannot hold, taken out before it refuses a whole batch for it. */
final class PostgresText {
  private PostgresText() {}

  /** The text without NUL characters, which PostgreSQL rejects; null stays null. */
  static String clean(String text) {
    return text == null || text.indexOf('\0') < 0 ? text : text.replace("\0", "");
  }
}
