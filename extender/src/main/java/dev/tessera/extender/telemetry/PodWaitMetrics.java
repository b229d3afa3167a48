package dev.tessera.extender.telemetry;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.controllers.Unschedulable;
import dev.tessera.extender.ledger.PodIndex;
import dev.tessera.extender.ledger.PolicyState;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.model.Project;
import dev.tessera.extender.scheduling.ClusterSnapshot;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.scheduling.PolicySnapshot;
import dev.tessera.extender.scheduling.ReasonClass;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * How long GPU pods wait, and why:
 *
 * <ul>
 *   <li>{@code tessera_pod_created_to_bound_seconds{project, pool}}: a histogram with the fixed
 *       buckets {@link #LATENCY_BUCKETS}, observed when the extender binds a GPU pod (now, by the
 *       injected clock, less the pod's creation timestamp).
 *   <li>{@code tessera_pods_pending{project, pool, reason}}: GPU pods of the Tessera scheduler
 *       waiting for a node, by the class of filter's last refusal ({@link ReasonClass#tag}), or
 *       {@code none} when filter has not refused them.
 *   <li>{@code tessera_pods_pending_oldest_seconds{project, pool}}: the age of the oldest of them.
 *   <li>{@code tessera_pods_unschedulable{reason}}: pending pods filter found no node for, by
 *       reason class, cluster-wide: a pod that can never fit is counted here.
 * </ul>
 *
 * Pending counts are taken at each {@link #update} (the ages are computed when scraped); the pool
 * of a pending pod is the one its demand counts in (its first listed pool, else its project's home
 * pool). A (project, pool) pair keeps its series while the project exists, or while it has pending
 * pods. Every histogram of the policy's projects and pools, and every unschedulable reason, exists
 * at 0 before the first pod.
 */
public final class PodWaitMetrics {
  static final String LATENCY = "tessera.pod.created.to.bound";
  static final String PENDING = "tessera.pods.pending";
  static final String OLDEST = "tessera.pods.pending.oldest";
  static final String UNSCHEDULABLE = "tessera.pods.unschedulable";
  /** The reason label of pending pods filter has not refused. */
  public static final String NOT_REFUSED = "none";

  /** The created-to-bound histogram's buckets: from a pod placed at once to one that waited an hour. */
  public static final List<Duration> LATENCY_BUCKETS = List.of(
      Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofSeconds(30),
      Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(5), Duration.ofMinutes(10),
      Duration.ofMinutes(30), Duration.ofHours(1));

  private static final List<String> REASONS = reasons();

  private record Pair(String project, String pool) {}

  private record Pending(Map<Pair, Map<String, Integer>> counts, Map<Pair, Instant> oldest) {}

  private final MeterRegistry registry;
  private final Supplier<PolicySnapshot> policy;
  private final Supplier<ClusterSnapshot> ledger;
  private final Supplier<Collection<PodIndex.IndexedPod>> allPods;
  private final Function<String, PodIndex.IndexedPod> pods;
  private final Unschedulable unschedulable;
  private final Predicate<String> held;
  private final Clock clock;
  private final Map<Pair, Timer> latency = new ConcurrentHashMap<>();
  private final GaugeSet<Pair> pendingGauges;
  /** Unschedulable pods by reason class (ordinal) as of the last update; replaced whole. */
  private volatile int[] unschedulableCounts = new int[ReasonClass.values().length];
  private volatile Pending pending = new Pending(Map.of(), Map.of());

  /**
   * @param held whether the pod's GPUs are held already (assumed at bind, reserved for its gang):
   *     it is then counted as allocated, not pending
   */
  public PodWaitMetrics(
      MeterRegistry registry,
      Supplier<PolicySnapshot> policy,
      Supplier<ClusterSnapshot> ledger,
      PodIndex pods,
      Unschedulable unschedulable,
      Predicate<String> held,
      Clock clock) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.ledger = Objects.requireNonNull(ledger, "ledger");
    Objects.requireNonNull(pods, "pods");
    this.allPods = pods::all;
    this.pods = pods::get;
    this.unschedulable = Objects.requireNonNull(unschedulable, "unschedulable");
    this.held = Objects.requireNonNull(held, "held");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.pendingGauges = new GaugeSet<>(registry, this::registerPending);
    for (ReasonClass reason : ReasonClass.values()) {
      Gauge.builder(UNSCHEDULABLE, this, m -> m.unschedulableCounts[reason.ordinal()])
          .description("Pending GPU pods filter found no node for, by reason class")
          .tag("reason", reason.tag())
          .register(registry);
    }
    timer(new Pair(AllocationMetrics.NO_PROJECT, WellKnown.DEFAULT_POOL));
    registerTimers(policy.get());
  }

  /**
   * A GPU pod was bound: observes its wait since creation. Never blocks; registers a histogram only
   * the first time a project and pool is seen.
   */
  public void bound(PodKey pod, Instant created, String node) {
    if (created.equals(Instant.EPOCH)) {
      return; // no creation timestamp: nothing to measure from
    }
    NodeState state = ledger.get().node(node);
    String pool = state == null ? WellKnown.DEFAULT_POOL : state.node().pool();
    Duration waited = Duration.between(created, clock.instant());
    timer(new Pair(AllocationMetrics.projectOf(policy.get(), pod.namespace()), pool))
        .record(waited.isNegative() ? Duration.ZERO : waited);
  }

  /** Counts the pending and unschedulable pods and brings the series in line. */
  public void update() {
    PolicySnapshot policyNow = policy.get();
    registerTimers(policyNow);
    Map<Pair, Map<String, Integer>> counts = new HashMap<>();
    Map<Pair, Instant> oldest = new HashMap<>();
    for (PodIndex.IndexedPod pod : allPods.get()) {
      if (!pod.pending() || pod.finished() || !pod.tessera() || !pod.request().wantsGpu()
          || held.test(pod.key().uid())) {
        continue;
      }
      Project project = policyNow.projectOf(pod.key().namespace());
      Pair pair = new Pair(project == null ? AllocationMetrics.NO_PROJECT : project.name(),
          pod.traits().demandPool(project == null ? WellKnown.DEFAULT_POOL : PolicyState.homePool(project)));
      Unschedulable.Entry refusal = unschedulable.get(pod.key().uid());
      counts.computeIfAbsent(pair, p -> new HashMap<>())
          .merge(refusal == null ? NOT_REFUSED : refusal.reasonClass().tag(), 1, Integer::sum);
      if (!pod.created().equals(Instant.EPOCH)) {
        oldest.merge(pair, pod.created(), (a, b) -> a.isBefore(b) ? a : b);
      }
    }
    int[] refused = new int[unschedulableCounts.length];
    for (Unschedulable.Entry entry : unschedulable.entries()) {
      PodIndex.IndexedPod pod = pods.apply(entry.pod().uid());
      if (pod != null && pod.pending() && !pod.finished()) {
        refused[entry.reasonClass().ordinal()]++;
      }
    }
    unschedulableCounts = refused;
    pending = new Pending(Map.copyOf(counts), Map.copyOf(oldest));
    Set<Pair> present = new HashSet<>(counts.keySet());
    for (Pair pair : pendingGauges.keys()) {
      if (policyNow.allFigures().getOrDefault(pair.project(), Map.of()).containsKey(pair.pool())) {
        present.add(pair);
      }
    }
    pendingGauges.retain(present);
  }

  private void registerTimers(PolicySnapshot policyNow) {
    policyNow.allFigures().forEach((project, byPool) -> byPool.keySet().forEach(pool -> timer(new Pair(project, pool))));
  }

  private Timer timer(Pair pair) {
    return latency.computeIfAbsent(pair, p -> Timer.builder(LATENCY)
        .description("From a GPU pod's creation to its binding by the extender")
        .tag("project", p.project())
        .tag("pool", p.pool())
        .serviceLevelObjectives(LATENCY_BUCKETS.toArray(Duration[]::new))
        .register(registry));
  }

  private List<Meter> registerPending(Pair pair) {
    List<Meter> meters = new ArrayList<>(REASONS.size() + 1);
    for (String reason : REASONS) {
      meters.add(Gauge.builder(PENDING, this,
              m -> m.pending.counts().getOrDefault(pair, Map.of()).getOrDefault(reason, 0))
          .description("GPU pods waiting for a node, by the class of filter's last refusal (none: not refused)")
          .tag("project", pair.project())
          .tag("pool", pair.pool())
          .tag("reason", reason)
          .strongReference(true)
          .register(registry));
    }
    meters.add(Gauge.builder(OLDEST, this, m -> m.oldestSeconds(pair))
        .description("Age of the oldest GPU pod waiting for a node; 0 when none waits")
        .baseUnit("seconds")
        .tag("project", pair.project())
        .tag("pool", pair.pool())
        .strongReference(true)
        .register(registry));
    return meters;
  }

  private double oldestSeconds(Pair pair) {
    Instant created = pending.oldest().get(pair);
    return created == null ? 0 : Math.max(0, Duration.between(created, clock.instant()).toMillis() / 1000.0);
  }

  private static List<String> reasons() {
    List<String> all = new ArrayList<>();
    all.add(NOT_REFUSED);
    for (ReasonClass reason : ReasonClass.values()) {
      all.add(reason.tag());
    }
    return List.copyOf(all);
  }
}
