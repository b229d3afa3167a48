package dev.tessera.controller.workloads.policy;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An allowed-image pattern: {@code *} matches any characters but {@code /} (so
 * "nvcr.io/nvidia/*" admits nvcr.io/nvidia/pytorch:24.01-py3 but not a deeper repository),
 * {@code **} any characters, {@code ?} one character but {@code /}. Everything else matches
 * itself. Only characters an image reference can hold are allowed, so a typo such as a regex
 * bracket is reported rather than silently matching nothing.
 */
final class ImageGlob {
  private static final Pattern ALLOWED = Pattern.compile("[A-Za-z0-9._\\-/:@*?]+");

  private ImageGlob() {}

  /** Why {@code glob} is not a valid pattern, or empty when it is. */
  static Optional<String> problem(String glob) {
    if (glob == null || glob.isBlank()) {
      return Optional.of("is empty");
    }
    if (!ALLOWED.matcher(glob).matches()) {
      return Optional.of("\"" + glob + "\" is not a supported pattern: use letters, digits, . _ - / : @ and"
          + " the wildcards *, ** and ?");
    }
    if (glob.contains("***")) {
      return Optional.of("\"" + glob + "\" has *** : use * (within one path segment) or ** (across them)");
    }
    return Optional.empty();
  }

  /** Whether {@code image} matches {@code glob}; {@code glob} must be valid. */
  static boolean matches(String glob, String image) {
    return compile(glob).matcher(image).matches();
  }

  private static Pattern compile(String glob) {
    StringBuilder regex = new StringBuilder();
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      if (c == '*' && i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
        regex.append(".*");
        i++;
      } else if (c == '*') {
        regex.append("[^/]*");
      } else if (c == '?') {
        regex.append("[^/]");
      } else {
        regex.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(regex.toString());
  }
}
