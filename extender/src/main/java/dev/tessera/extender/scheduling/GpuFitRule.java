package dev.tessera.extender.scheduling;

import java.util.Objects;

/**
 * Whether the node's GPUs can take the request now ({@link Placement#check}): unresolvable when
 * the node could never take it (too few GPUs, memory unknown), resolvable when they are only busy.
 */
public final class GpuFitRule implements NodeRule {
  private final Placement placement;

  public GpuFitRule(Placement placement) {
    this.placement = Objects.requireNonNull(placement, "placement");
  }

  @Override
  public NodeCheck forPod(Candidate pod) {
    return node -> placement.check(node, pod.request(), pod.memo());
  }
}
