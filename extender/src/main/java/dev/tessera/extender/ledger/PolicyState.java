package dev.tessera.extender.ledger;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.model.PoolQuota;
import dev.tessera.extender.model.Project;
import dev.tessera.extender.scheduling.LedgerTotals;
import dev.tessera.extender.scheduling.Policy;
import dev.tessera.extender.scheduling.PolicyAccounting;
import dev.tessera.extender.scheduling.PolicySnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the current {@link PolicySnapshot}: the accepted policy and every project's figures.
 * Recomputes them whenever the policy, the GPU ledger or the pending pods changed, checking for
 * changes every {@code period} on one thread so a burst of informer events costs one
 * recomputation; readers get the latest snapshot without blocking.
 */
public final class PolicyState {
  private static final Logger log = LoggerFactory.getLogger(PolicyState.class);

  private final ClusterCache cache;
  private final PodIndex pods;
  private final Object recomputing = new Object();
  private volatile Policy policy = Policy.EMPTY;
  private volatile PolicySnapshot snapshot = PolicySnapshot.EMPTY;
  private volatile Consumer<PolicySnapshot> listener = s -> {};
  /** The last snapshot the listener saw; only the scheduler's thread touches it. */
  private PolicySnapshot notified;
  // Guarded by recomputing: what the last computation read.
  private Policy computedPolicy;
  private long computedClusterVersion = -1;
  private long computedPodsVersion = -1;
  /** Guarded by recomputing. */
  private final LedgerTotals totals = new LedgerTotals();

  public PolicyState(ClusterCache cache, PodIndex pods) {
    this.cache = Objects.requireNonNull(cache, "cache");
    this.pods = Objects.requireNonNull(pods, "pods");
  }

  /** Checks for changes every period on the scheduler, and tells the listener of new figures. */
  public void start(ScheduledExecutorService scheduler, long periodMillis) {
    scheduler.scheduleWithFixedDelay(this::recomputeQuietly, 0, periodMillis, TimeUnit.MILLISECONDS);
  }

  /**
   * Called with each new snapshot on the scheduler's thread, never on a caller of {@link
   * #recompute} (a bind): listeners may do I/O.
   */
  public void onChange(Consumer<PolicySnapshot> newListener) {
    this.listener = Objects.requireNonNull(newListener, "listener");
  }

  /** A newly accepted policy: nodes move to their pools and the figures are recomputed. */
  public void policy(Policy newPolicy) {
    this.policy = Objects.requireNonNull(newPolicy, "policy");
    cache.nodePools(newPolicy.pools());
    recompute();
  }

  public PolicySnapshot snapshot() {
    return snapshot;
  }

  /** Recomputes now if anything changed since the last computation; returns the current snapshot. */
  public PolicySnapshot recompute() {
    synchronized (recomputing) {
      Policy currentPolicy = policy;
      var cluster = cache.snapshot();
      long podsVersion = pods.version();
      if (currentPolicy == computedPolicy
          && cluster.version() == computedClusterVersion
          && podsVersion == computedPodsVersion) {
        return snapshot;
      }
      totals.update(cluster);
      PolicySnapshot next =
          PolicyAccounting.compute(currentPolicy, totals, pendingDemand(currentPolicy), cluster.version());
      computedPolicy = currentPolicy;
      computedClusterVersion = cluster.version();
      computedPodsVersion = podsVersion;
      snapshot = next;
      return next;
    }
  }

  private List<PolicyAccounting.PendingDemand> pendingDemand(Policy current) {
    Map<String, Project> byNamespace = current.projectsByNamespace();
    List<PolicyAccounting.PendingDemand> demand = new ArrayList<>();
    for (PodIndex.IndexedPod pod : pods.all()) {
      if (!pod.pending() || pod.finished() || !pod.tessera() || !pod.request().wantsGpu()) {
        continue;
      }
      if (cache.holdsUnconfirmed(pod.key().uid())) {
        continue; // assumed at bind or reserved for its gang: the ledger counts it as allocated
      }
      Project project = byNamespace.get(pod.key().namespace());
      if (project == null) {
        continue;
      }
      String pool = pod.traits().demandPool(homePool(project));
      if (pod.request().devices() > totals.largestNode(pool)) {
        // It can never run in this pool (no node has that many GPUs): counting it would hold
        // idle GPUs back from other projects for a pod that will not take them.
        continue;
      }
      demand.add(new PolicyAccounting.PendingDemand(pod.key().namespace(), pool, pod.request().gpus(0)));
    }
    return demand;
  }

  /** The pool a project's pods without a pool preference count their demand in. */
  public static String homePool(Project project) {
    String best = WellKnown.DEFAULT_POOL;
    double most = project.quota(best).deserved();
    for (Map.Entry<String, PoolQuota> quota : project.quotas().entrySet()) {
      if (quota.getValue().deserved() > most
          || (quota.getValue().deserved() == most && most > 0 && quota.getKey().compareTo(best) < 0)) {
        best = quota.getKey();
        most = quota.getValue().deserved();
      }
    }
    return best;
  }

  private void recomputeQuietly() {
    try {
      PolicySnapshot current = recompute();
      if (current != notified) {
        notified = current;
        listener.accept(current);
      }
    } catch (RuntimeException e) {
      log.error("could not recompute project fair shares; keeping the previous figures and trying again", e);
    }
  }
}
