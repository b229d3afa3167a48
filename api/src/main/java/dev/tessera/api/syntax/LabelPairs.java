package dev.tessera.api.syntax;

import java.util.Map;

/**
 * The label pairs of the Prometheus text format, {@code {code="200",handler="/v1"}}: a scraped
 * sample carries them and a {@link SeriesSelector} is written with them, so the CLI checks a
 * selector with the same reader the extender scrapes with.
 */
public final class LabelPairs {
  private LabelPairs() {}

  /**
   * Reads the label pairs in braces starting at {@code text[open]} (which is '{') into {@code
   * into}: {@code name="value"} separated by commas, a trailing comma allowed, values escaped with
   * {@code \\}, {@code \"} and {@code \n}. Returns the index after the closing brace, or -1 when
   * they are malformed.
   */
  public static int read(String text, int open, Map<String, String> into) {
    int i = skipSpaces(text, open + 1);
    while (i < text.length() && text.charAt(i) != '}') {
      int nameEnd = i;
      while (nameEnd < text.length() && (Character.isLetterOrDigit(text.charAt(nameEnd)) || text.charAt(nameEnd) == '_')) {
        nameEnd++;
      }
      String label = text.substring(i, nameEnd);
      if (!SeriesSelector.LABEL_NAME.matcher(label).matches()) {
        return -1;
      }
      i = skipSpaces(text, nameEnd);
      if (i >= text.length() || text.charAt(i) != '=') {
        return -1;
      }
      i = skipSpaces(text, i + 1);
      if (i >= text.length() || text.charAt(i) != '"') {
        return -1;
      }
      StringBuilder value = new StringBuilder();
      i++;
      boolean closed = false;
      while (i < text.length()) {
        char c = text.charAt(i++);
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && i < text.length()) {
          char escaped = text.charAt(i++);
          value.append(escaped == 'n' ? '\n' : escaped);
        } else {
          value.append(c);
        }
      }
      if (!closed) {
        return -1;
      }
      into.put(label, value.toString());
      i = skipSpaces(text, i);
      if (i < text.length() && text.charAt(i) == ',') {
        i = skipSpaces(text, i + 1);
      } else if (i >= text.length() || text.charAt(i) != '}') {
        return -1;
      }
    }
    return i < text.length() ? i + 1 : -1;
  }

  private static int skipSpaces(String text, int i) {
    while (i < text.length() && (text.charAt(i) == ' ' || text.charAt(i) == '\t')) {
      i++;
    }
    return i;
  }
}
