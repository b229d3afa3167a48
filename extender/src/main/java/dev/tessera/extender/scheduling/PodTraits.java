package dev.tessera.extender.scheduling;

import dev.tessera.api.WellKnown;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a pod's labels and annotations say about how it is scheduled: its gang, the node pools it
 * may use, and whether it may be preempted. Never throws on user input: a malformed pool list is
 * kept as {@link #poolsError} so every node can report it.
 *
 * @param gang the pod group key "namespace/name", or null for a pod in no group
 * @param pools pools the pod may use, most preferred first; empty for any pool
 * @param poolsError why {@value WellKnown#NODE_POOLS} cannot be used, or null
 * @param preemptible false for interactive (workspace) pods and pods that opt out
 * @param elastic its gang can do without it while the gang keeps its minMember ({@value
 *     WellKnown#ELASTIC_ANNOTATION})
 */
public record PodTraits(String gang, List<String> pools, String poolsError, boolean preemptible, boolean elastic) {
  public static final String WORKSPACE = "workspace";

  public PodTraits {
    pools = List.copyOf(pools);
  }

  public static PodTraits of(String namespace, Map<String, String> labels, Map<String, String> annotations) {
    String group = labels.get(WellKnown.POD_GROUP_LABEL);
    if (group == null || group.isBlank()) {
      group = annotations.get(WellKnown.KAI_POD_GROUP_ANNOTATION);
    }
    String gang = group == null || group.isBlank() ? null : namespace + "/" + group.trim();

    List<String> pools = new ArrayList<>();
    String poolsError = null;
    String poolList = annotations.get(WellKnown.NODE_POOLS);
    if (poolList != null) {
      for (String entry : poolList.split(",", -1)) {
        String pool = entry.trim();
        if (pool.isEmpty()) {
          poolsError = "annotation " + WellKnown.NODE_POOLS + " '" + poolList
              + "' has an empty entry: write pool names separated by commas, e.g. \"h100,a100\"";
          break;
        }
        if (pools.contains(pool)) {
          poolsError = "annotation " + WellKnown.NODE_POOLS + " names pool " + pool + " twice";
          break;
        }
        pools.add(pool);
      }
      if (poolsError != null) {
        pools.clear();
      }
    }

    String optIn = annotations.get(WellKnown.PREEMPTIBLE_ANNOTATION);
    boolean preemptible;
    if ("true".equalsIgnoreCase(optIn) || "false".equalsIgnoreCase(optIn)) {
      preemptible = Boolean.parseBoolean(optIn.toLowerCase(java.util.Locale.ROOT));
    } else {
      preemptible = !WORKSPACE.equals(labels.get(WellKnown.WORKLOAD_KIND_LABEL));
    }
    boolean elastic = gang != null && "true".equalsIgnoreCase(annotations.get(WellKnown.ELASTIC_ANNOTATION));
    return new PodTraits(gang, pools, poolsError, preemptible, elastic);
  }

  /** Where the pod's pending demand counts: its most preferred pool, else the project's. */
  public String demandPool(String projectsFirstPool) {
    return pools.isEmpty() ? projectsFirstPool : pools.get(0);
  }
}
