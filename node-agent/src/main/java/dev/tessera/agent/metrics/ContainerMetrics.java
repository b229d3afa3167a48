package dev.tessera.agent.metrics;

import dev.tessera.agent.ContainerUsage;
import dev.tessera.agent.GpuState;
import dev.tessera.agent.NodeSnapshot;
import io.micrometer.core.instrument.Tags;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Tessera's own per-container gauges: what each container uses of each GPU it holds, and its
 * limit. Labels {@code pod}, {@code namespace}, {@code container}, {@code UUID} (spelled as in the
 * DCGM series, so the two join on {@code UUID}).
 */
public final class ContainerMetrics {
  public static final String MEMORY_USED = "tessera_container_gpu_memory_used_bytes";
  public static final String MEMORY_LIMIT = "tessera_container_gpu_memory_limit_bytes";
  public static final String FRACTION = "tessera_container_gpu_fraction";
  public static final String MEMORY_REQUEST = "tessera_container_gpu_memory_request_bytes";
  public static final String MEMORY_BORROWED = "tessera_container_gpu_memory_borrowed_bytes";

  private ContainerMetrics() {}

  public static List<GaugeFamily> families() {
    return List.of(
        family(MEMORY_USED, "GPU memory the container has allocated on this GPU, in bytes.", (c, s) -> c.memoryUsedBytes()),
        family(
            MEMORY_LIMIT,
            "GPU memory the container may allocate on this GPU, in bytes (no series: no limit, whole GPU).",
            (c, s) -> c.memoryLimitBytes() > 0 ? c.memoryLimitBytes() : Double.NaN),
        family(
            MEMORY_REQUEST,
            "GPU memory the container was placed by on this GPU, in bytes: never taken back (no series: whole GPU).",
            (c, s) -> c.memoryLimitBytes() > 0 ? c.memoryRequestBytes() : Double.NaN),
        family(
            MEMORY_BORROWED,
            "GPU memory the container uses above its request on this GPU, in bytes: on loan until another"
                + " tenant needs it (no series: whole GPU).",
            (c, s) -> c.memoryLimitBytes() > 0 ? c.memoryBorrowedBytes() : Double.NaN),
        family(
            FRACTION,
            "Share of this GPU's memory the container holds, 0..1 (1 for a whole GPU).",
            ContainerMetrics::fraction));
  }

  /** Limit over the GPU's memory; NaN (no series) when the GPU is not in the inventory. */
  private static double fraction(ContainerUsage c, NodeSnapshot s) {
    if (c.memoryLimitBytes() == 0) {
      return 1.0;
    }
    for (GpuState g : s.gpus()) {
      if (g.info().uuid().equals(c.gpuUuid()) && g.info().memoryTotalBytes() > 0) {
        return Math.min(1.0, (double) c.memoryLimitBytes() / g.info().memoryTotalBytes());
      }
    }
    return Double.NaN;
  }

  /** How to read one figure of one container on one GPU from a snapshot. */
  @FunctionalInterface
  private interface Figure {
    double of(ContainerUsage container, NodeSnapshot snapshot);
  }

  private record Key(String namespace, String pod, String container, String gpuUuid) {
    static Key of(ContainerUsage c) {
      return new Key(c.namespace(), c.pod(), c.container(), c.gpuUuid());
    }

    Tags tags() {
      return Tags.of("pod", pod, "namespace", namespace, "container", container, "UUID", gpuUuid);
    }
  }

  private static GaugeFamily family(String name, String help, Figure figure) {
    return new GaugeFamily(
        name,
        help,
        snapshot -> {
          Map<Tags, ToDoubleFunction<NodeSnapshot>> series = new LinkedHashMap<>();
          for (Map.Entry<Key, ContainerUsage> e : merged(snapshot.containers()).entrySet()) {
            if (Double.isNaN(figure.of(e.getValue(), snapshot))) {
              continue;
            }
            Key key = e.getKey();
            series.put(key.tags(), view -> read(view, key, figure));
          }
          return series;
        });
  }

  private static double read(NodeSnapshot view, Key key, Figure figure) {
    ContainerUsage c = merged(view.containers()).get(key);
    return c == null ? Double.NaN : figure.of(c, view);
  }

  /**
   * One entry per (container, GPU): a source may list a container's processes separately; their
   * use adds up and the limit is the container's.
   */
  private static Map<Key, ContainerUsage> merged(List<ContainerUsage> containers) {
    Map<Key, ContainerUsage> out = new LinkedHashMap<>();
    for (ContainerUsage c : containers) {
      out.merge(
          Key.of(c),
          c,
          (a, b) ->
              new ContainerUsage(
                  a.namespace(), a.pod(), a.podUid(), a.container(), a.gpuUuid(),
                  a.memoryUsedBytes() + b.memoryUsedBytes(),
                  Math.max(a.memoryLimitBytes(), b.memoryLimitBytes()),
                  Math.max(a.memoryRequestBytes(), b.memoryRequestBytes())));
    }
    return out;
  }
}
