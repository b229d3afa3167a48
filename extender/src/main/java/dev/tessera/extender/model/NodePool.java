package dev.tessera.extender.model;

import dev.tessera.api.WellKnown;
import java.util.Map;
import java.util.Objects;

/**
 * A set of nodes chosen by labels, with its own placement strategies. Nodes no pool selects form
 * the pool {@value WellKnown#DEFAULT_POOL}.
 *
 * @param nodeSelector labels a node must all carry (equality, as {@code matchLabels}); never empty
 * @param gpuStrategy how GPU pods are placed on the pool's nodes
 * @param cpuStrategy how pods without GPUs are placed on them
 */
public record NodePool(
    String name,
    Map<String, String> nodeSelector,
    PlacementStrategy gpuStrategy,
    PlacementStrategy cpuStrategy) {
  public NodePool {
    Objects.requireNonNull(name, "name");
    nodeSelector = Map.copyOf(nodeSelector);
    Objects.requireNonNull(gpuStrategy, "gpuStrategy");
    Objects.requireNonNull(cpuStrategy, "cpuStrategy");
    if (nodeSelector.isEmpty()) {
      throw new IllegalArgumentException("node pool " + name + " needs a non-empty node selector");
    }
  }

  public boolean selects(Map<String, String> nodeLabels) {
    for (Map.Entry<String, String> wanted : nodeSelector.entrySet()) {
      if (!wanted.getValue().equals(nodeLabels.get(wanted.getKey()))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether some node could carry labels both selectors accept: true unless they ask for different
   * values of the same label.
   */
  public boolean overlaps(NodePool other) {
    for (Map.Entry<String, String> wanted : nodeSelector.entrySet()) {
      String theirs = other.nodeSelector.get(wanted.getKey());
      if (theirs != null && !theirs.equals(wanted.getValue())) {
        return false;
      }
    }
    return true;
  }
}
