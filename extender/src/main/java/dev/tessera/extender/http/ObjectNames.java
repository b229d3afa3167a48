package dev.tessera.extender.http;

/**
 * Kubernetes' rules for the names a request may carry, checked before anything is decided: a pod
 * name or namespace the API server could never hold must get a 400 with the rule it breaks, not an
 * API call that fails after seconds (or, with a NUL or a lone surrogate, fails inside the client).
 */
final class ObjectNames {
  /** DNS-1123 label: namespaces. */
  static final int LABEL_MAX = 63;
  /** DNS-1123 subdomain: pod and node names. */
  static final int SUBDOMAIN_MAX = 253;
  /** UIDs are UUIDs; anything longer than this is not one the API server made. */
  static final int UID_MAX = 128;

  private ObjectNames() {}

  /** @throws BadRequestException unless {@code value} is a DNS-1123 subdomain (pods, nodes) */
  static String subdomain(String value, String field) throws BadRequestException {
    check(value, field, SUBDOMAIN_MAX, true);
    return value;
  }

  /** @throws BadRequestException unless {@code value} is a DNS-1123 label (namespaces) */
  static String label(String value, String field) throws BadRequestException {
    check(value, field, LABEL_MAX, false);
    return value;
  }

  /**
   * A UID as kube-scheduler sends it: empty (some callers leave it out), or up to {@value #UID_MAX}
   * printable ASCII characters.
   *
   * @throws BadRequestException otherwise
   */
  static String uid(String value, String field) throws BadRequestException {
    if (value.length() > UID_MAX) {
      throw new BadRequestException(field + " is " + value.length() + " characters long; a UID has at most " + UID_MAX);
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        throw new BadRequestException(field + " has " + describe(c) + " at position " + i
            + "; a UID is printable ASCII");
      }
    }
    return value;
  }

  private static void check(String value, String field, int max, boolean dots) throws BadRequestException {
    String rule = dots
        ? "a DNS-1123 subdomain: at most " + max + " lowercase letters, digits, '-' and '.', starting and ending"
            + " with a letter or digit"
        : "a DNS-1123 label: at most " + max + " lowercase letters, digits and '-', starting and ending with a"
            + " letter or digit";
    if (value.isEmpty()) {
      throw new BadRequestException(field + " is empty; it must be " + rule);
    }
    if (value.length() > max) {
      throw new BadRequestException(field + " is " + value.length() + " characters long; it must be " + rule);
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      boolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      boolean inner = c == '-' || (dots && c == '.');
      boolean edge = i == 0 || i == value.length() - 1;
      if (!alnum && (edge || !inner)) {
        throw new BadRequestException(field + " '" + printable(value) + "' has " + describe(c) + " at position " + i
            + "; it must be " + rule);
      }
    }
  }

  private static String describe(char c) {
    if (c == ' ') {
      return "a space";
    }
    if (c >= 0x21 && c <= 0x7e) {
      return "'" + c + "'";
    }
    return String.format("U+%04X", (int) c);
  }

  /** The value as it can go in a message and a log line: at most 64 characters, controls escaped. */
  private static String printable(String value) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < value.length() && out.length() < 64; i++) {
      char c = value.charAt(i);
      out.append(c >= 0x20 && c <= 0x7e ? String.valueOf(c) : String.format("\\u%04x", (int) c));
    }
    return value.length() > 64 ? out + "…" : out.toString();
  }
}
