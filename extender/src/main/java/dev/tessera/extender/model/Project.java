package dev.tessera.extender.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A team's share of the cluster (KAI-Scheduler's queue, Run:ai's project): the namespaces whose
 * pods it owns, its department, and its quota per node pool.
 *
 * @param department the department's name, or null for none
 * @param quotas per node pool name; pools it does not name get {@link PoolQuota#NONE}
 * @param defaultPriority priority of its pods that set none
 * @param overQuotaAllowed whether its pods may use idle GPUs beyond its deserved quota
 */
public record Project(
    String name,
    List<String> namespaces,
    String department,
    Map<String, PoolQuota> quotas,
    int defaultPriority,
    boolean overQuotaAllowed) {
  public Project {
    Objects.requireNonNull(name, "name");
    namespaces = List.copyOf(namespaces);
    quotas = Map.copyOf(quotas);
  }

  public PoolQuota quota(String pool) {
    return quotas.getOrDefault(pool, PoolQuota.NONE);
  }
}
