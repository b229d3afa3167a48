package dev.tessera.extender.model;

import dev.tessera.api.WellKnown;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a node offers: its GPUs, the placement strategy its label asks for, and what its node agent
 * last measured on them.
 *
 * @param strategy the node's own strategy (label {@link WellKnown#PLACEMENT_STRATEGY_LABEL}), or
 *     null to use the extender's default
 * @param observed per GPU, by index, the agent's latest fresh measurement; empty when no agent
 *     reports for the node (or its report went stale), and then the ledger alone decides
 * @param labels the node's labels, which decide its node pool
 * @param pool the node pool it belongs to ({@link WellKnown#DEFAULT_POOL} when no pool selects it)
 * @param swapMiB host memory the node lends to GPU memory swap, MiB, by its agent's latest fresh
 *     report: pods that opt in may be placed beyond a GPU's memory by that much, all its GPUs
 *     together; 0 without swap or without a fresh report
 */
public record GpuNode(
    String name,
    List<GpuDevice> gpus,
    PlacementStrategy strategy,
    List<ObservedGpu> observed,
    Map<String, String> labels,
    String pool,
    long swapMiB) {
  /** No server holds more; a larger count is a bad label or report, not a node. */
  public static final int MAX_GPUS = WellKnown.MAX_GPUS_PER_NODE;

  public GpuNode {
    Objects.requireNonNull(name, "name");
    gpus = List.copyOf(gpus);
    observed = List.copyOf(observed);
    labels = Map.copyOf(labels);
    Objects.requireNonNull(pool, "pool");
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
    if (swapMiB < 0) {
      throw new IllegalArgumentException("node " + name + ": swap must be >= 0 MiB, was " + swapMiB);
    }
  }

  /** A node without GPU memory swap. */
  public GpuNode(
      String name,
      List<GpuDevice> gpus,
      PlacementStrategy strategy,
      List<ObservedGpu> observed,
      Map<String, String> labels,
      String pool) {
    this(name, gpus, strategy, observed, labels, pool, 0);
  }

  /** A node known only from its labels or allocatable: nothing observed. */
  public GpuNode(String name, List<GpuDevice> gpus, PlacementStrategy strategy) {
    this(name, gpus, strategy, List.of());
  }

  /** A node in the default pool, without labels. */
  public GpuNode(
      String name, List<GpuDevice> gpus, PlacementStrategy strategy, List<ObservedGpu> observed) {
    this(name, gpus, strategy, observed, Map.of(), WellKnown.DEFAULT_POOL);
  }

  /** The same node as its agent describes its GPUs. */
  public GpuNode withGpus(List<GpuDevice> newGpus, List<ObservedGpu> newObserved) {
    return withGpus(newGpus, newObserved, 0);
  }

  /** The same node as its agent describes its GPUs and the host memory it lends them for swap. */
  public GpuNode withGpus(List<GpuDevice> newGpus, List<ObservedGpu> newObserved, long newSwapMiB) {
    return new GpuNode(name, newGpus, strategy, newObserved, labels, pool, newSwapMiB);
  }

  /** The same node in a pool, with the strategy it places GPU pods by. */
  public GpuNode inPool(String newPool, PlacementStrategy newStrategy) {
    return new GpuNode(name, gpus, newStrategy, observed, labels, newPool, swapMiB);
  }

  public int gpuCount() {
    return gpus.size();
  }

  public boolean hasObservations() {
    return !observed.isEmpty();
  }
}
