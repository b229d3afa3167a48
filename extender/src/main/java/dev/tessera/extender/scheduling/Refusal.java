package dev.tessera.extender.scheduling;

import java.util.Objects;

/**
 * Why a node cannot take a pod, as one {@link NodeRule} found. Unresolvable: no preemption on that
 * node could help (kube-scheduler's {@code UnschedulableAndUnresolvable}), so kube-scheduler does
 * not consider the node for preemption.
 */
public record Refusal(String reason, boolean unresolvable) {
  public Refusal {
    Objects.requireNonNull(reason, "reason");
  }
}
