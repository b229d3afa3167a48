package dev.tessera.console.table;

/** Case-insensitive matching without copying either string: queries run over every row. */
final class Text {
  private Text() {}

  static boolean containsIgnoreCase(String haystack, String needle) {
    int last = haystack.length() - needle.length();
    for (int at = 0; at <= last; at++) {
      if (haystack.regionMatches(true, at, needle, 0, needle.length())) {
        return true;
      }
    }
    return false;
  }
}
