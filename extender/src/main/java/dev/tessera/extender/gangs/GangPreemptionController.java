package dev.tessera.extender.gangs;

import dev.tessera.extender.actions.Evictor;
import dev.tessera.extender.actions.PodEvents;
import dev.tessera.extender.actions.RecentKeys;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.ledger.PodIndex;
import dev.tessera.extender.ledger.RunningPods;
import dev.tessera.extender.model.PodGroup;
import dev.tessera.extender.model.Project;
import dev.tessera.extender.scheduling.ClusterSnapshot;
import dev.tessera.extender.scheduling.GangPlanner;
import dev.tessera.extender.scheduling.GangPreemption;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.scheduling.PolicySnapshot;
import dev.tessera.extender.scheduling.RunningPod;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Preempts for gangs, which kube-scheduler cannot do: its preemption makes room for one pod, so a
 * gang member that fits alone never evicts anything for its mates, and the gang waits forever
 * behind pods of lower priority. Each run takes the most important gang that has all its members
 * but not its minimum placed, asks {@link GangPreemption} which pods of lower priority must leave
 * for the whole gang to fit (elastic members above their gang's minimum first), and evicts them
 * through the Eviction API, so PodDisruptionBudgets hold. The extender's {@code /preempt} keeps no
 * node for a gang member: this controller is the one place that preempts for gangs.
 *
 * <p>No thrashing: a gang gets no second preemption until its last one settled (its victims are
 * gone, or it has no member waiting), and the victims' nodes are held for it ({@link
 * PreemptionClaims}) so that pods of lower priority do not take the room it made. One preemption per run, so the next sees the ledger the last
 * one changed. Runs on one thread.
 */
public final class GangPreemptionController {
  private static final Logger log = LoggerFactory.getLogger(GangPreemptionController.class);

  public static final String PREEMPTED = "PreemptedForGang";
  public static final String PREEMPTING = "PreemptingForGang";

  private final ClusterCache cache;
  private final PodIndex pods;
  private final Supplier<PolicySnapshot> policy;
  private final GangPreemption preemption;
  private final Evictor evictor;
  private final PodEvents events;
  private final PreemptionClaims claims;
  /** Gang key to the victims its preemption waits for. Only the running thread touches it. */
  private final Map<String, Set<String>> inFlight = new HashMap<>();
  private final RecentKeys reported = new RecentKeys(10_000);
  private final Map<Evictor.Outcome, io.micrometer.core.instrument.Counter> evictions =
      new java.util.EnumMap<>(Evictor.Outcome.class);
  /**
   * How long the victims' nodes are held for the gang: time for the evictions to finish and
   * kube-scheduler to try the members again, with room to spare.
   */
  static final java.time.Duration CLAIM_HOLD = java.time.Duration.ofSeconds(30);

  public GangPreemptionController(
      ClusterCache cache,
      PodIndex pods,
      Supplier<PolicySnapshot> policy,
      GangPreemption preemption,
      Evictor evictor,
      PodEvents events,
      MeterRegistry registry,
      PreemptionClaims claims) {
    this.cache = Objects.requireNonNull(cache, "cache");
    this.pods = Objects.requireNonNull(pods, "pods");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.preemption = Objects.requireNonNull(preemption, "preemption");
    this.evictor = Objects.requireNonNull(evictor, "evictor");
    this.events = Objects.requireNonNull(events, "events");
    Objects.requireNonNull(registry, "registry");
    this.claims = Objects.requireNonNull(claims, "claims");
    for (Evictor.Outcome outcome : Evictor.Outcome.values()) {
      evictions.put(outcome, io.micrometer.core.instrument.Counter.builder("tessera.gang.preemption.evictions")
          .description("Evictions asked for to make room for gangs of higher priority, by outcome")
          .tag("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT))
          .register(registry));
    }
  }

  /** A gang waiting for room. */
  private record Waiting(
      String gang, int priority, Project project, List<String> pools, List<GangPlanner.Member> unplaced,
      PodIndex.IndexedPod first) {}

  /** One round: settles finished preemptions, then starts at most one; returns it, or null. */
  public GangPreemption.Choice.Victims run() {
    settle();
    PolicySnapshot policyNow = policy.get();
    List<Waiting> waiting = new ArrayList<>();
    for (String gang : pods.gangs()) {
      Waiting w = inFlight.containsKey(gang) ? null : waiting(gang, policyNow);
      if (w != null) {
        waiting.add(w);
      }
    }
    if (waiting.isEmpty()) {
      return null;
    }
    waiting.sort(Comparator.comparingInt((Waiting w) -> -w.priority()).thenComparing(Waiting::gang));
    ClusterSnapshot cluster = cache.snapshot();
    RunningPods running = RunningPods.of(pods, cache, cluster, policyNow);
    for (Waiting gang : waiting) {
      for (String pool : GangPools.candidates(gang.pools(), gang.project(), policyNow)) {
        if (GangPools.quotaRefusal(gang.project(), pool, policyNow, gang.unplaced()) != null) {
          continue; // its quota, not the room, keeps it out: evicting would not let it in
        }
        Predicate<NodeState> allowed = GangPools.nodes(pool, gang.priority(), claims);
        GangPreemption.Choice choice = preemption.choose(
            new GangPreemption.Preemptor(gang.gang(), gang.priority(), gang.project() == null ? "" : gang.project().name()),
            gang.unplaced(), cluster, allowed, running.all(), running.byGang(),
            pool == null ? Map.of() : RunningPods.standings(policyNow, pool));
        if (choice instanceof GangPreemption.Choice.Victims victims) {
          evict(gang, victims);
          return victims;
        }
        log.debug("no preemption for gang {}{}: {}", gang.gang(), pool == null ? "" : " in pool " + pool,
            ((GangPreemption.Choice.None) choice).why());
      }
    }
    return null;
  }

  /**
   * The gang as one waiting for room: every member created, fewer than its minimum placed (an
   * elastic gang's extra members wait for idle GPUs, they never preempt); null otherwise.
   */
  private Waiting waiting(String gang, PolicySnapshot policyNow) {
    PodGroup group = policyNow.podGroup(gang);
    if (group == null || group.minMember() <= 1) {
      return null;
    }
    int placed = 0;
    int pending = 0;
    int priority = Integer.MIN_VALUE;
    List<GangPlanner.Member> unplaced = new ArrayList<>();
    PodIndex.IndexedPod first = null;
    Project project = null;
    for (PodIndex.IndexedPod member : pods.gang(gang)) {
      if (member.finished()) {
        continue;
      }
      project = policyNow.projectOf(member.key().namespace());
      priority = Math.max(priority, member.priority(project == null ? 0 : project.defaultPriority()));
      if (!waitsForRoom(member)) {
        placed++;
        continue;
      }
      pending++;
      if (member.request().wantsGpu()) {
        unplaced.add(new GangPlanner.Member(member.key(), member.request()));
        first = first == null ? member : first;
      }
    }
    if (first == null || placed >= group.minMember() || placed + pending < group.minMember()) {
      return null;
    }
    return new Waiting(gang, priority, project, first.traits().pools(), unplaced, first);
  }

  private void evict(Waiting gang, GangPreemption.Choice.Victims victims) {
    log.info("preempting for gang {} (priority {}): evicting {} pod(s): {}", gang.gang(), gang.priority(),
        victims.victims().size(), victims.victims().stream().map(v -> v.key().toString()).toList());
    events.normal(gang.first().key(), PREEMPTING, "evicting " + victims.victims().size()
        + " pod(s) of lower priority so that gang " + gang.gang() + " can start whole");
    Set<String> waitingFor = new HashSet<>();
    claims.claim(gang.gang(), gang.priority(), victims.victims().stream().map(RunningPod::node).toList(), CLAIM_HOLD);
    for (RunningPod victim : victims.victims()) {
      Evictor.Result result = evictor.evict(victim.key());
      evictions.get(result.outcome()).increment();
      switch (result.outcome()) {
        case EVICTED -> {
          waitingFor.add(victim.uid());
          events.warn(victim.key(), PREEMPTED, victims.reason());
        }
        case GONE -> {}
        case BLOCKED_BY_BUDGET, FAILED -> {
          if (reported.firstTime(gang.gang() + "\n" + victim.uid() + "\n" + result.outcome())) {
            log.warn("could not evict {} for gang {} ({}: {}); retrying each round, reported once",
                victim.key(), gang.gang(), result.outcome(), result.detail());
          }
        }
      }
    }
    inFlight.put(gang.gang(), waitingFor);
  }

  /**
   * Whether the member still needs a place: pending, and holding no gang reservation nor a bind
   * the informer has not shown yet.
   */
  private boolean waitsForRoom(PodIndex.IndexedPod member) {
    if (!member.pending()) {
      return false;
    }
    ClusterCache.Stage stage = cache.stage(member.key().uid());
    return stage != ClusterCache.Stage.RESERVED && stage != ClusterCache.Stage.BINDING
        && stage != ClusterCache.Stage.BOUND;
  }

  /** Forgets preemptions whose gang has no member waiting, or whose victims are all gone. */
  private void settle() {
    inFlight.entrySet().removeIf(entry -> {
      boolean anyWaiting = pods.gang(entry.getKey()).stream().anyMatch(m -> !m.finished() && waitsForRoom(m));
      if (!anyWaiting) {
        claims.release(entry.getKey()); // placed: its nodes are anyone's again
        return true;
      }
      entry.getValue().removeIf(uid -> {
        PodIndex.IndexedPod victim = pods.get(uid);
        return victim == null || victim.finished();
      });
      return entry.getValue().isEmpty();
    });
  }
}
