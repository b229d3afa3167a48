package dev.tessera.console.api;

import dev.tessera.console.http.ApiException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/** Times and durations in query parameters: RFC 3339 or epoch seconds; "30s", "5m", "1h" or seconds. */
final class Times {
  private Times() {}

  static Instant instant(String name, String text, Instant otherwise) {
    if (text == null || text.isEmpty()) {
      return otherwise;
    }
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException notRfc3339) {
      try {
        return Instant.ofEpochMilli((long) (Double.parseDouble(text) * 1000));
      } catch (NumberFormatException notSeconds) {
        throw ApiException.badRequest(name + " is an RFC 3339 time (2026-12-07T10:00:00Z) or epoch seconds, not \""
            + text + "\"");
      }
    }
  }

  static Duration duration(String name, String text, Duration otherwise) {
    if (text == null || text.isEmpty()) {
      return otherwise;
    }
    var parsed = dev.tessera.api.syntax.Durations.parse(text);
    if (parsed.isPresent()) {
      return parsed.get();
    }
    try {
      return Duration.ofMillis((long) (Double.parseDouble(text) * 1000));
    } catch (NumberFormatException notSeconds) {
      throw ApiException.badRequest(name + " is a duration (30s, 5m, 1h) or seconds, not \"" + text + "\"");
    }
  }
}
