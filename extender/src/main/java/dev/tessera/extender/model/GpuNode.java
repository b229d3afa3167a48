package dev.tessera.extender.model;

import java.util.List;
import java.util.Objects;

/**
 * What a node offers: its GPUs, the placement strategy its label asks for, and what its node agent
 * last measured on them.
 *
 * @param strategy the node's own strategy (label {@link WellKnown#PLACEMENT_STRATEGY_LABEL}), or
 *     null to use the extender's default
 * @param observed per GPU, by index, the agent's latest fresh measurement; empty when no agent
 *     reports for the node (or its report went stale), and then the ledger alone decides
 */
public record GpuNode(
    String name, List<GpuDevice> gpus, PlacementStrategy strategy, List<ObservedGpu> observed) {
  /** No server holds more; a larger count is a bad label or report, not a node. */
  public static final int MAX_GPUS = 64;

  public GpuNode {
    Objects.requireNonNull(name, "name");
    gpus = List.copyOf(gpus);
    observed = List.copyOf(observed);
    if (gpus.size() > MAX_GPUS) {
      throw new IllegalArgumentException(
          "node " + name + " reports " + gpus.size() + " GPUs; at most " + MAX_GPUS + " are supported");
    }
    for (int i = 0; i < gpus.size(); i++) {
      if (gpus.get(i).index() != i) {
        throw new IllegalArgumentException(
            "node " + name + ": GPU at position " + i + " has index " + gpus.get(i).index());
      }
    }
    if (!observed.isEmpty() && observed.size() != gpus.size()) {
      throw new IllegalArgumentException(
          "node " + name + ": " + observed.size() + " observed GPUs for " + gpus.size() + " GPUs");
    }
  }

  /** A node known only from its labels or allocatable: nothing observed. */
  public GpuNode(String name, List<GpuDevice> gpus, PlacementStrategy strategy) {
    this(name, gpus, strategy, List.of());
  }

  public int gpuCount() {
    return gpus.size();
  }

  public boolean hasObservations() {
    return !observed.isEmpty();
  }
}
