package dev.tessera.console.table;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/**
 * Where the next page starts: after the row with this sort value and uid. Keyed on values, not on
 * an offset, so a page does not skip or repeat rows when rows before it come or go.
 *
 * @param fingerprint the query it belongs to ({@link TableQuery#fingerprint})
 * @param value the last row's sort value as text ("" for none)
 * @param hasValue false when the last row had no value in the sort column
 * @param uid the last row's uid
 */
public record Cursor(String fingerprint, String value, boolean hasValue, String uid) {
  private static final char SEPARATOR = '\n';

  public Cursor {
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(uid, "uid");
  }

  /** The opaque token a page's {@code continue} carries. */
  public String encode() {
    String plain = fingerprint + SEPARATOR + (hasValue ? "v" : "n") + SEPARATOR + uid + SEPARATOR + value;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Reads a {@code continue} token.
   *
   * @throws IllegalArgumentException when it is not one this API wrote
   */
  public static Cursor decode(String token) {
    String plain;
    try {
      plain = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("continue token \"" + token + "\" is not one this API wrote", e);
    }
    String[] parts = plain.split(String.valueOf(SEPARATOR), 4);
    if (parts.length != 4 || !(parts[1].equals("v") || parts[1].equals("n"))) {
      throw new IllegalArgumentException("continue token \"" + token + "\" is not one this API wrote");
    }
    return new Cursor(parts[0], parts[3], parts[1].equals("v"), parts[2]);
  }
}
