package dev.tessera.extender.webhook;

import java.util.Objects;

/**
 * The answer to one filter call, position by position with the node list that was sent: arrays
 * rather than maps keyed by name, because at thousands of nodes per call the maps' hashing was a
 * measurable share of the call.
 *
 * @param reasons {@code reasons[i]} is null when the i-th node sent can take the pod, otherwise
 *     why it cannot
 * @param unresolvable {@code unresolvable[i]}: the i-th node could never take the pod, so
 *     kube-scheduler does not try preemption there (only read where a reason is given)
 * @param error non-empty to fail the whole scheduling attempt (kube-scheduler's {@code Error})
 */
public record FilterDecision(String[] reasons, boolean[] unresolvable, String error) {
  public FilterDecision {
    Objects.requireNonNull(reasons, "reasons");
    Objects.requireNonNull(unresolvable, "unresolvable");
    if (reasons.length != unresolvable.length) {
      throw new IllegalArgumentException(
          reasons.length + " reasons but " + unresolvable.length + " unresolvable flags");
    }
    error = error == null ? "" : error;
  }

  /** Every one of {@code nodes} nodes passes. */
  public static FilterDecision allPass(int nodes) {
    return new FilterDecision(new String[nodes], new boolean[nodes], "");
  }

  public int size() {
    return reasons.length;
  }

  public boolean passed(int node) {
    return reasons[node] == null;
  }
}
