package dev.tessera.extender.model;

/**
 * A project's (or department's) GPU quota in one node pool, in GPUs (fractions count: two half
 * GPUs are one GPU).
 *
 * @param deserved GPUs the project is guaranteed when it has demand for them
 * @param overQuotaWeight its share, relative to other projects', of idle GPUs beyond deserved
 * @param limit the most GPUs it may hold in the pool; {@link #UNLIMITED} for no limit
 */
public record PoolQuota(double deserved, double overQuotaWeight, double limit) {
  public static final double UNLIMITED = Double.POSITIVE_INFINITY;

  /** What a project has in a pool its spec does not mention: nothing deserved, weight 1, no limit. */
  public static final PoolQuota NONE = new PoolQuota(0, 1, UNLIMITED);

  public PoolQuota {
    if (!(deserved >= 0) || Double.isInfinite(deserved)) {
      throw new IllegalArgumentException("deserved GPUs must be a finite number >= 0, was " + deserved);
    }
    if (!(overQuotaWeight >= 0) || Double.isInfinite(overQuotaWeight)) {
      throw new IllegalArgumentException("over-quota weight must be a finite number >= 0, was " + overQuotaWeight);
    }
    if (!(limit >= 0)) {
      throw new IllegalArgumentException("limit must be >= 0 GPUs, was " + limit);
    }
    if (limit < deserved) {
      throw new IllegalArgumentException(
          "limit (" + limit + " GPUs) must not be below deserved (" + deserved + " GPUs)");
    }
  }

  public boolean limited() {
    return limit != UNLIMITED;
  }
}
