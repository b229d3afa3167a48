package dev.tessera.extender.policy;

import dev.tessera.api.conditions.Condition;
import dev.tessera.api.policy.PolicyRef;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Checks that a name one policy object gives refers to an object that exists and was accepted. A
 * reference to a rejected object rejects the referring one too: the catalog never holds a project
 * whose pool or department it does not hold, so schedulers never meet a dangling name.
 */
final class References {
  private final String kind;
  private final Set<String> existing;
  private final Function<String, PolicyRef> ref;
  private final Findings findings;

  /**
   * @param kind how messages name the kind ("node pool")
   * @param existing names of every object of the kind, accepted or not (plus implicit ones such as
   *     the default pool)
   */
  References(String kind, Collection<String> existing, Function<String, PolicyRef> ref, Findings findings) {
    this.kind = kind;
    this.existing = new TreeSet<>(existing);
    this.ref = ref;
    this.findings = findings;
  }

  /**
   * Reports on {@code from} and returns false when {@code name} is unknown or rejected.
   *
   * @param field where the name was given ("quotas"), to start the reason with; null for none
   */
  boolean check(PolicyRef from, String field, String name) {
    String prefix = field == null ? "" : field + ": ";
    if (!existing.contains(name)) {
      findings.problem(from, prefix + kind + " " + name + " does not exist"
          + (existing.isEmpty() ? "" : " (there are: " + String.join(", ", existing) + ")"));
      return false;
    }
    if (findings.rejected(ref.apply(name))) {
      findings.problem(from, prefix + kind + " " + name + " is rejected; fix it first (see its "
          + Condition.ACCEPTED + " condition)");
      return false;
    }
    return true;
  }
}
