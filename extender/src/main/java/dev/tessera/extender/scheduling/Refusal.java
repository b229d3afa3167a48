package dev.tessera.extender.scheduling;

import java.util.Objects;

/**
 * Why a node cannot take a pod, as one {@link NodeRule} found. Unresolvable: no preemption on that
 * node could help (kube-scheduler's {@code UnschedulableAndUnresolvable}), so kube-scheduler does
 * not consider the node for preemption.
 *
 * @param reasonClass which of the few kinds of reason it is, for the metrics
 */
public record Refusal(String reason, boolean unresolvable, ReasonClass reasonClass) {
  public Refusal {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(reasonClass, "reasonClass");
  }

  /** A refusal of class {@link ReasonClass#OTHER}. */
  public Refusal(String reason, boolean unresolvable) {
    this(reason, unresolvable, ReasonClass.OTHER);
  }
}
