package dev.tessera.extender.policy;

import dev.tessera.api.policy.PolicyRef;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What one validation pass found, per object: problems (the object is rejected) and warnings.
 * Collected instead of thrown so that every object gets all its reasons at once, and one bad object
 * never hides the others' verdicts.
 */
final class Findings {
  private final Set<PolicyRef> seen = new TreeSet<>();
  private final Map<PolicyRef, List<String>> problems = new HashMap<>();
  private final Map<PolicyRef, List<String>> warnings = new HashMap<>();

  void saw(PolicyRef ref) {
    seen.add(ref);
  }

  void problem(PolicyRef ref, String reason) {
    seen.add(ref);
    List<String> list = problems.computeIfAbsent(ref, r -> new ArrayList<>());
    if (!list.contains(reason)) {
      list.add(reason);
    }
  }

  void warning(PolicyRef ref, String reason) {
    seen.add(ref);
    warnings.computeIfAbsent(ref, r -> new ArrayList<>()).add(reason);
  }

  boolean rejected(PolicyRef ref) {
    return problems.containsKey(ref);
  }

  Map<PolicyRef, Verdict> verdicts() {
    Map<PolicyRef, Verdict> out = new HashMap<>();
    for (PolicyRef ref : seen) {
      List<String> p = problems.getOrDefault(ref, List.of());
      List<String> w = warnings.getOrDefault(ref, List.of());
      out.put(ref, p.isEmpty() && w.isEmpty() ? Verdict.ACCEPTED : new Verdict(p, w));
    }
    return out;
  }

  /** A GPU figure as people write it: "4", "0.5". */
  static String gpus(double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return String.valueOf(value);
    }
    return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
  }

  /**
   * Checks a GPU figure: present when required, a finite number, not negative. Reports under
   * {@code field} and returns whether it is usable.
   */
  boolean checkGpus(PolicyRef ref, String field, Double value, boolean required) {
    if (value == null) {
      if (required) {
        problem(ref, field + " is required");
      }
      return !required;
    }
    if (value.isNaN() || value.isInfinite()) {
      problem(ref, field + " must be a finite number, was " + value);
      return false;
    }
    if (value < 0) {
      problem(ref, field + " must be >= 0, was " + gpus(value));
      return false;
    }
    return true;
  }
}
