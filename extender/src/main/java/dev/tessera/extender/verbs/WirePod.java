package dev.tessera.extender.verbs;

import dev.tessera.extender.model.PodKey;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The parts of a {@code v1.Pod} in an extender request that Tessera uses; everything else in the
 * body is skipped unparsed.
 *
 * @param gpuQuantities per app container, its {@code nvidia.com/gpu} limit (or request when no
 *     limit is set) as written, or null when the container asks for none
 * @param initGpuQuantities the same for init containers
 * @param priority {@code spec.priority}, 0 when absent
 */
public record WirePod(
    PodKey key,
    Map<String, String> labels,
    Map<String, String> annotations,
    List<String> gpuQuantities,
    List<String> initGpuQuantities,
    int priority) {
  public WirePod {
    Objects.requireNonNull(key, "key");
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
    gpuQuantities = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(gpuQuantities));
    initGpuQuantities =
        java.util.Collections.unmodifiableList(new java.util.ArrayList<>(initGpuQuantities));
  }
}
