package dev.tessera.console.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class EventCursorTest {
  @Test
  void readsBackWhatItWrote() {
    for (EventCursor cursor :
        new EventCursor[] {
          new EventCursor(Instant.parse("2024-03-01T12:00:00.123456Z"), 42),
          new EventCursor(Instant.parse("1969-12-31T23:59:59.999999Z"), Long.MAX_VALUE),
          new EventCursor(Instant.EPOCH, 0)
        }) {
      assertEquals(cursor, EventCursor.decode(cursor.encode()));
    }
  }

  @Test
  void isUrlSafeWithoutPadding() {
    String encoded = new EventCursor(Instant.parse("2024-03-01T12:00:00Z"), -1).encode();

    assertTrue(encoded.matches("[A-Za-z0-9_-]+"), encoded);
  }

  @Test
  void refusesWhatItDidNotWrite() {
    assertMalformed("not base64 at all!", "not base64url");
    assertMalformed("", "0 bytes where a cursor has 17");
    assertMalformed(base64(new byte[20]), "20 bytes where a cursor has 17");
    assertMalformed(base64(ByteBuffer.allocate(17).put((byte) 2).array()), "version 2 where this server writes 1");
  }

  @Test
  void aLongCursorIsShortenedInTheMessage() {
    String huge = "A".repeat(10_000);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EventCursor.decode(huge));

    assertTrue(e.getMessage().length() < 300, e.getMessage());
  }

  private static void assertMalformed(String cursor, String why) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EventCursor.decode(cursor));
    assertTrue(e.getMessage().startsWith("malformed history cursor"), e.getMessage());
    assertTrue(e.getMessage().contains(why), e.getMessage());
  }

  private static String base64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
