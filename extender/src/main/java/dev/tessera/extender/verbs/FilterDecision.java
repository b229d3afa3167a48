package dev.tessera.extender.verbs;

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
public record FilterDecision(String[] reasons, boolean[] unresolvable, String error, int chosen) {
  /** {@link #chosen} when every node without a reason passes. */
  public static final int NONE_CHOSEN = -1;

  public FilterDecision {
    Objects.requireNonNull(reasons, "reasons");
    Objects.requireNonNull(unresolvable, "unresolvable");
    if (reasons.length != unresolvable.length) {
      throw new IllegalArgumentException(
          reasons.length + " reasons but " + unresolvable.length + " unresolvable flags");
    }
    if (chosen != NONE_CHOSEN && (chosen < 0 || chosen >= reasons.length || reasons[chosen] != null)) {
      throw new IllegalArgumentException("the chosen node " + chosen + " must be one that passes");
    }
    error = error == null ? "" : error;
  }

  public FilterDecision(String[] reasons, boolean[] unresolvable, String error) {
    this(reasons, unresolvable, error, NONE_CHOSEN);
  }

  /** Every one of {@code nodes} nodes passes. */
  public static FilterDecision allPass(int nodes) {
    return new FilterDecision(new String[nodes], new boolean[nodes], "");
  }

  /**
   * The extender chose the node at {@code index} (and holds its GPUs for the pod): it is the only
   * node returned, and the others are left out of the answer without reasons, which kube-scheduler
   * reads as "not feasible" and never shows anyone once a node passed.
   */
  public static FilterDecision chosen(String[] reasons, boolean[] unresolvable, int index) {
    return new FilterDecision(reasons, unresolvable, "", index);
  }

  public int size() {
    return reasons.length;
  }

  /** True when the node at {@code node} is in the answer's node list. */
  public boolean passed(int node) {
    return chosen == NONE_CHOSEN ? reasons[node] == null : node == chosen;
  }

  /** True when the answer lists why nodes failed: only when nothing was chosen. */
  public boolean reportsFailures() {
    return chosen == NONE_CHOSEN;
  }
}
