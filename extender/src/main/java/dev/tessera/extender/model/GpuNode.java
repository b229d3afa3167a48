package dev.tessera.extender.model;

import java.util.List;
import java.util.Objects;

/**
 * What a node offers: its GPUs and the placement strategy its label asks for.
 *
 * @param strategy the node's own strategy (label {@link WellKnown#PLACEMENT_STRATEGY_LABEL}), or
 *     null to use the extender's default
 */
public record GpuNode(String name, List<GpuDevice> gpus, PlacementStrategy strategy) {
  /** No server holds more; a larger count is a bad label or report, not a node. */
  public static final int MAX_GPUS = 64;

  public GpuNode {
    Objects.requireNonNull(name, "name");
    gpus = List.copyOf(gpus);
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
  }

  public int gpuCount() {
    return gpus.size();
  }
}
