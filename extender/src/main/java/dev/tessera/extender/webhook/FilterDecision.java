package dev.tessera.extender.webhook;

import java.util.Map;
import java.util.Objects;

/**
 * The answer to one filter call, aligned with the node list that was sent.
 *
 * @param passed {@code passed[i]} is true when the i-th node sent can take the pod
 * @param failed reason per node that cannot take the pod now but could after preemption or churn
 * @param unresolvable reason per node that could never take the pod; kube-scheduler does not
 *     try preemption there
 * @param error non-empty to fail the whole scheduling attempt (kube-scheduler's {@code Error})
 */
public record FilterDecision(
    boolean[] passed, Map<String, String> failed, Map<String, String> unresolvable, String error) {
  public FilterDecision {
    Objects.requireNonNull(passed, "passed");
    Objects.requireNonNull(failed, "failed");
    Objects.requireNonNull(unresolvable, "unresolvable");
    error = error == null ? "" : error;
  }
}
