package dev.tessera.extender.policy;

import dev.tessera.api.conditions.Condition;
import java.util.List;

/**
 * What validation concluded about one policy object: accepted (perhaps with warnings) or rejected
 * with its reasons. Becomes the object's {@value Condition#ACCEPTED} condition.
 *
 * @param problems why it was rejected; empty when accepted
 * @param warnings things worth fixing that do not keep it out of the catalog
 */
public record Verdict(List<String> problems, List<String> warnings) {
  public static final Verdict ACCEPTED = new Verdict(List.of(), List.of());

  /** Condition reasons. */
  public static final String REASON_VALID = "Valid";
  public static final String REASON_VALID_WITH_WARNINGS = "ValidWithWarnings";
  public static final String REASON_INVALID = "Invalid";

  public Verdict {
    problems = List.copyOf(problems);
    warnings = List.copyOf(warnings);
  }

  public boolean accepted() {
    return problems.isEmpty();
  }

  /**
   * The {@value Condition#ACCEPTED} condition this verdict asks for (without a transition time:
   * the status writer keeps the old one while the status does not change).
   */
  public Condition condition(Long observedGeneration) {
    if (!accepted()) {
      return new Condition(Condition.ACCEPTED, Condition.FALSE, REASON_INVALID,
          "rejected: " + String.join("; ", problems), observedGeneration, null);
    }
    if (!warnings.isEmpty()) {
      return new Condition(Condition.ACCEPTED, Condition.TRUE, REASON_VALID_WITH_WARNINGS,
          "accepted with warnings: " + String.join("; ", warnings), observedGeneration, null);
    }
    return new Condition(Condition.ACCEPTED, Condition.TRUE, REASON_VALID,
        "accepted", observedGeneration, null);
  }
}
