package dev.tessera.console.metrics;

import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A request's pods sorted out for querying: their names by namespace, the GPUs they hold by node,
 * and what each pod's utilization is a share of.
 */
final class PodSelection {
  /** A pod by the names series carry. */
  record PodName(String namespace, String name) {}

  /** A GPU of a node. */
  record NodeGpu(String node, int gpu) {}

  private final SortedMap<String, SortedSet<String>> podsByNamespace = new TreeMap<>();
  private final SortedMap<String, SortedSet<Integer>> gpusByNode = new TreeMap<>();
  private final Map<NodeGpu, Set<PodName>> holders = new HashMap<>();
  private final Map<PodName, PodRef> pods = new HashMap<>();

  private PodSelection() {}

  /**
   * A pod name listed twice (a pod recreated under its name, as a StatefulSet's are) counts once,
   * with the figures of its last listing: the series cannot tell the two apart either.
   */
  static PodSelection of(List<PodRef> pods, GpuLookup lookup) {
    Objects.requireNonNull(lookup, "lookup");
    PodSelection selection = new PodSelection();
    for (PodRef pod : pods) {
      if (pod.namespace().isEmpty() || pod.name().isEmpty()) {
        continue; // an empty name would match every series without the label: every GPU
      }
      PodName name = new PodName(pod.namespace(), pod.name());
      selection.pods.put(name, pod);
      selection.podsByNamespace.computeIfAbsent(pod.namespace(), n -> new TreeSet<>()).add(pod.name());
      if (pod.node() == null) {
        continue;
      }
      for (int gpu : lookup.gpus(pod)) {
        if (gpu < 0) {
          continue; // no GPU has it; a query for it would find nothing anyway
        }
        selection.gpusByNode.computeIfAbsent(pod.node(), n -> new TreeSet<>()).add(gpu);
        selection.holders.computeIfAbsent(new NodeGpu(pod.node(), gpu), g -> new HashSet<>()).add(name);
      }
    }
    return selection;
  }

  boolean isEmpty() {
    return pods.isEmpty();
  }

  SortedMap<String, SortedSet<String>> podsByNamespace() {
    return Collections.unmodifiableSortedMap(podsByNamespace);
  }

  /** The GPUs the lookup says the pods hold, by node. */
  SortedMap<String, SortedSet<Integer>> gpusByNode() {
    return Collections.unmodifiableSortedMap(gpusByNode);
  }

  /** The pod a line of this GPU is of, when only one of the workload's pods holds it. */
  Optional<String> soleHolder(String node, int gpu) {
    Set<PodName> names = holders.getOrDefault(new NodeGpu(node, gpu), Set.of());
    return names.size() == 1 ? Optional.of(names.iterator().next().name()) : Optional.empty();
  }

  /** The pod's CPU request in millicores; 0 when it has none or is not one of these pods. */
  long cpuRequestMillis(PodName pod) {
    PodRef ref = pods.get(pod);
    return ref == null ? 0 : ref.cpuRequestMillis();
  }

  /** The pod's memory limit (else request) in bytes; 0 when it has none or is not one of these. */
  long memoryLimitBytes(PodName pod) {
    PodRef ref = pods.get(pod);
    return ref == null ? 0 : ref.memoryLimitBytes();
  }
}
