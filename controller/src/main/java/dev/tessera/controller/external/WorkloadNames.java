package dev.tessera.controller.external;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The name of the ExternalWorkload (and of its PodGroup, and the value of its pods' {@code
 * tessera.dev/workload} label) for a top owner: {@code <kind>-<name>}, lower case, so a Job and a
 * Deployment of one name stay two workloads. A label value holds at most 63 characters: a longer
 * name keeps its first 52 and ends in a hash of the whole, so two long names never collide.
 */
public final class WorkloadNames {
  static final int MAX = 63;

  private WorkloadNames() {}

  public static String of(String ownerKind, String ownerName) {
    String full = ownerKind.toLowerCase(Locale.ROOT) + "-" + ownerName;
    if (full.length() <= MAX) {
      return full;
    }
    String head = full.substring(0, 52);
    while (!head.isEmpty() && !Character.isLetterOrDigit(head.charAt(head.length() - 1))) {
      head = head.substring(0, head.length() - 1);
    }
    return head + "-" + hash(full);
  }

  private static String hash(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 5);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
