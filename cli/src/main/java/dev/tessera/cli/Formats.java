package dev.tessera.cli;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** How numbers, ages and missing values look in every command's output. */
final class Formats {
  static final String NONE = "-";

  private Formats() {}

  /** 1.0 as "1", 0.5 as "0.5", at most two decimals; null as "-". */
  static String number(Number value) {
    if (value == null) {
      return NONE;
    }
    BigDecimal decimal = BigDecimal.valueOf(value.doubleValue()).setScale(2, RoundingMode.HALF_UP).stripTrailingZeros();
    return decimal.scale() < 0 ? decimal.setScale(0).toPlainString() : decimal.toPlainString();
  }

  /** An RFC 3339 time, or null when absent or unreadable. */
  static Instant instant(String rfc3339) {
    if (rfc3339 == null || rfc3339.isBlank()) {
      return null;
    }
    try {
      return Instant.parse(rfc3339);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** kubectl's style: 42s, 7m, 5h, 3d. */
  static String age(Instant since, Instant now) {
    if (since == null) {
      return NONE;
    }
    long seconds = Math.max(0, Duration.between(since, now).getSeconds());
    if (seconds < 120) {
      return seconds + "s";
    }
    if (seconds < 120 * 60) {
      return seconds / 60 + "m";
    }
    if (seconds < 48 * 3600) {
      return seconds / 3600 + "h";
    }
    return seconds / 86400 + "d";
  }

  /** Bytes as a Kubernetes quantity: the largest binary unit that holds them whole ("16Gi", "1536Mi"), else bytes. */
  static String bytes(long bytes) {
    String[] units = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    if (bytes == 0) {
      return "0";
    }
    long amount = bytes;
    int unit = -1;
    while (unit < units.length - 1 && amount % 1024 == 0) {
      amount /= 1024;
      unit++;
    }
    return unit < 0 ? Long.toString(amount) : amount + units[unit];
  }

  static String orNone(Object value) {
    return value == null ? NONE : value.toString();
  }
}
