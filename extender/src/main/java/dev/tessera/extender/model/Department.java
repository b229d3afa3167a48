package dev.tessera.extender.model;

import java.util.Map;
import java.util.Objects;

/**
 * A group of projects whose GPUs together are capped per node pool.
 *
 * @param quotaByPool per pool, the most GPUs its projects may hold together; pools it does not
 *     name are not capped
 */
public record Department(String name, Map<String, Double> quotaByPool) {
  public Department {
    Objects.requireNonNull(name, "name");
    quotaByPool = Map.copyOf(quotaByPool);
    quotaByPool.forEach((pool, quota) -> {
      if (!(quota >= 0) || Double.isInfinite(quota)) {
        throw new IllegalArgumentException(
            "department " + name + ": quota in pool " + pool + " must be a finite number >= 0, was " + quota);
      }
    });
  }

  /** The cap on its projects' GPUs in the pool; {@link PoolQuota#UNLIMITED} when none. */
  public double quota(String pool) {
    Double quota = quotaByPool.get(pool);
    return quota == null ? PoolQuota.UNLIMITED : quota;
  }
}
