package dev.tessera.api.assignment;

import dev.tessera.api.WellKnown;
import java.util.List;
import java.util.Objects;

/**
 * The GPUs a pod was given on its node: what the extender writes on the pod at bind (annotation
 * {@link WellKnown#GPU_ASSIGNMENT}) and rebuilds its ledger from after a restart, and what the node
 * agent hands the pod's container.
 *
 * @param exclusive true for whole GPUs, false for shares of GPUs others may use too
 */
public record GpuAssignment(String node, boolean exclusive, List<GpuShare> shares) {
  public GpuAssignment {
    Objects.requireNonNull(node, "node");
    shares = List.copyOf(shares);
    if (shares.isEmpty()) {
      throw new IllegalArgumentException("an assignment holds at least one GPU");
    }
    long distinct = shares.stream().mapToInt(GpuShare::index).distinct().count();
    if (distinct != shares.size()) {
      throw new IllegalArgumentException("an assignment names each GPU at most once: " + shares);
    }
    if (exclusive && shares.stream().anyMatch(GpuShare::borrows)) {
      // A whole GPU is already all there is: nothing to borrow, and no one to borrow from.
      throw new IllegalArgumentException("whole GPUs have no limit above what they hold: " + shares);
    }
    if (exclusive && shares.stream().anyMatch(s -> s.swapMiB() > 0 || s.computeShare() != GpuShare.UNSET)) {
      // Whole GPUs are neither paced nor over-committed.
      throw new IllegalArgumentException("whole GPUs have no compute share or swap: " + shares);
    }
  }

  /** True when placement counted some of the pod's memory on its node's GPU memory swap. */
  public boolean onSwap() {
    return shares.stream().anyMatch(s -> s.swapMiB() > 0);
  }
}
