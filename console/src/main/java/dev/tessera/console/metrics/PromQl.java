package dev.tessera.console.metrics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The PromQL for a workload's metrics. Every name from outside (namespace, pod, node) goes into a
 * quoted string, and into a regex only quoted, so no pod or namespace name can change what a query
 * selects beyond its own series.
 */
final class PromQl {
  /** The node agent's series, under dcgm-exporter's names (node-agent's {@code DcgmMetrics}). */
  static final String GPU_UTIL = "DCGM_FI_DEV_GPU_UTIL";

  static final String FB_USED_MIB = "DCGM_FI_DEV_FB_USED";
  /**
   * The node agent's per-container series (node-agent's {@code ContainerMetrics}): it names the pod
   * on a shared GPU, where the DCGM series leave {@code pod} empty.
   */
  static final String CONTAINER_GPU_MEMORY = "tessera_container_gpu_memory_used_bytes";
  /** The kubelet's cAdvisor series. */
  static final String CPU_SECONDS = "container_cpu_usage_seconds_total";

  static final String MEMORY_WORKING_SET = "container_memory_working_set_bytes";

  /** The labels a GPU line keeps; {@code pod} and its kin change as tenants come and go. */
  static final String GPU_LABELS = "Hostname, gpu, UUID, modelName";

  private PromQl() {}

  /**
   * One line per GPU the pods hold: those whose DCGM series name one of the pods (a fractional pod
   * alone on its GPU), those the agent's per-container series put one of the pods on (a shared
   * GPU), and those the lookup says they hold (a whole GPU, which the agent's series never name a
   * pod on).
   */
  static String gpus(String metric, PodSelection pods) {
    List<String> held = new ArrayList<>();
    for (Map.Entry<String, SortedSet<String>> namespace : pods.podsByNamespace().entrySet()) {
      String byPod = podMatchers(namespace.getKey(), namespace.getValue());
      held.add(metric + "{" + byPod + "}");
      held.add("(" + metric + " and on (UUID) " + CONTAINER_GPU_MEMORY + "{" + byPod + "})");
    }
    for (Map.Entry<String, SortedSet<Integer>> node : pods.gpusByNode().entrySet()) {
      List<String> indices = node.getValue().stream().map(String::valueOf).toList();
      held.add(metric + "{Hostname=" + string(node.getKey()) + ",gpu=~" + string(anyOf(indices)) + "}");
    }
    return "max by (" + GPU_LABELS + ") (" + String.join(" or ", held) + ")";
  }

  /**
   * Each pod's CPU use in cores, over its containers: not the pod's own cgroup ({@code container=""})
   * nor its sandbox ({@code container="POD"}), which would count the same use again.
   */
  static String cpuCoresByPod(PodSelection pods, Duration window) {
    List<String> rates = new ArrayList<>();
    for (Map.Entry<String, SortedSet<String>> namespace : pods.podsByNamespace().entrySet()) {
      rates.add("rate(" + CPU_SECONDS + "{" + containerMatchers(namespace.getKey(), namespace.getValue())
          + "}[" + window.toMillis() + "ms])");
    }
    return "sum by (namespace, pod) (" + String.join(" or ", rates) + ")";
  }

  /** Each pod's memory in use, over its containers, as the OOM killer counts it. */
  static String memoryBytesByPod(PodSelection pods) {
    List<String> sets = new ArrayList<>();
    for (Map.Entry<String, SortedSet<String>> namespace : pods.podsByNamespace().entrySet()) {
      sets.add(MEMORY_WORKING_SET + "{" + containerMatchers(namespace.getKey(), namespace.getValue()) + "}");
    }
    return "sum by (namespace, pod) (" + String.join(" or ", sets) + ")";
  }

  private static String podMatchers(String namespace, Collection<String> names) {
    return "namespace=" + string(namespace) + ",pod=~" + string(anyOf(names));
  }

  private static String containerMatchers(String namespace, Collection<String> names) {
    return podMatchers(namespace, names) + ",container!=\"\",container!=\"POD\"";
  }

  /** A PromQL string literal holding exactly {@code value}. */
  static String string(String value) {
    StringBuilder out = new StringBuilder(value.length() + 2).append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '"' -> out.append("\\\"");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          // Other control characters are legal raw, but an escape keeps the query readable in logs.
          if (c < 0x20 || c == 0x7f) {
            out.append(String.format("\\x%02x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  /**
   * A regex (RE2, which Prometheus anchors at both ends) matching exactly one of {@code literals}:
   * each quoted as Go's {@code regexp.QuoteMeta} does, sorted so equal requests give equal queries.
   */
  static String anyOf(Collection<String> literals) {
    List<String> quoted = new ArrayList<>();
    for (String literal : new TreeSet<>(literals)) {
      quoted.add(quoteMeta(literal));
    }
    return String.join("|", quoted);
  }

  /** {@code literal} as an RE2 pattern that matches only itself. */
  static String quoteMeta(String literal) {
    StringBuilder out = new StringBuilder(literal.length() + 8);
    for (int i = 0; i < literal.length(); i++) {
      char c = literal.charAt(i);
      if ("\\.+*?()|[]{}^$".indexOf(c) >= 0) {
        out.append('\\');
      }
      out.append(c);
    }
    return out.toString();
  }
}
