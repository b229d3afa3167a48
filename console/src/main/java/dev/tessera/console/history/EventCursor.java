package dev.tessera.console.history;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Objects;

/**
 * Where a page of history ended: the (time, id) of its oldest entry, the next page starting just
 * below it. Keyset rather than offset, so a deep page costs what the first does and entries that
 * arrive meanwhile neither repeat nor hide older ones.
 *
 * <p>Clients see it as an opaque base64url string; a version byte leads so the layout can change
 * without misreading cursors a client still holds.
 *
 * @param time the entry's time, to the microsecond PostgreSQL keeps
 * @param id the entry's row id, which orders entries of the same time
 */
record EventCursor(Instant time, long id) {
  private static final byte VERSION = 1;
  private static final int LENGTH = 1 + Long.BYTES + Long.BYTES;

  EventCursor {
    Objects.requireNonNull(time, "time");
  }

  /** The string a client passes back as {@link EventQuery#before()}. */
  String encode() {
    ByteBuffer bytes = ByteBuffer.allocate(LENGTH);
    bytes.put(VERSION).putLong(ChronoUnit.MICROS.between(Instant.EPOCH, time)).putLong(id);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.array());
  }

  /**
   * Reads a cursor a previous page handed out.
   *
   * @throws IllegalArgumentException when it is not one
   */
  static EventCursor decode(String cursor) {
    Objects.requireNonNull(cursor, "cursor");
    byte[] raw;
    try {
      raw = Base64.getUrlDecoder().decode(cursor);
    } catch (IllegalArgumentException e) {
      throw malformed(cursor, "not base64url", e);
    }
    if (raw.length != LENGTH) {
      throw malformed(cursor, raw.length + " bytes where a cursor has " + LENGTH, null);
    }
    ByteBuffer bytes = ByteBuffer.wrap(raw);
    byte version = bytes.get();
    if (version != VERSION) {
      throw malformed(cursor, "version " + version + " where this server writes " + VERSION, null);
    }
    // Any long of microseconds is within Instant's range: no overflow to guard.
    Instant time = Instant.EPOCH.plus(bytes.getLong(), ChronoUnit.MICROS);
    return new EventCursor(time, bytes.getLong());
  }

  private static IllegalArgumentException malformed(String cursor, String why, Exception cause) {
    String shown = cursor.length() > 64 ? cursor.substring(0, 64) + "..." : cursor;
    return new IllegalArgumentException(
        "malformed history cursor \"" + shown + "\" (" + why + "): pass back the \"next\" of the previous page"
            + " unchanged, or none for the first page",
        cause);
  }
}
