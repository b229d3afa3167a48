package dev.tessera.extender.scheduling;

/**
 * A project's GPUs in one node pool, as the scheduler last computed them. All in GPUs; fractions
 * count as their share.
 *
 * @param deserved its quota there
 * @param limit the most it may hold there ({@link dev.tessera.extender.model.PoolQuota#UNLIMITED}
 *     for no limit)
 * @param fairShare deserved (as far as it has demand) plus its weighted part of the idle GPUs
 * @param allocated what its pods hold now
 * @param pending what its pods waiting to be scheduled ask for
 */
public record ProjectFigures(double deserved, double limit, double fairShare, double allocated, double pending) {}
