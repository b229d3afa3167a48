package dev.tessera.extender.controllers;

import dev.tessera.extender.actions.Evictor;
import dev.tessera.extender.actions.PodEvents;
import dev.tessera.extender.actions.RecentKeys;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.ledger.PodIndex;
import dev.tessera.extender.ledger.PolicyState;
import dev.tessera.extender.ledger.RunningPods;
import dev.tessera.extender.model.Project;
import dev.tessera.extender.scheduling.ClusterSnapshot;
import dev.tessera.extender.scheduling.PolicySnapshot;
import dev.tessera.extender.scheduling.ReclaimChoice;
import dev.tessera.extender.scheduling.Reclaimer;
import dev.tessera.extender.scheduling.RunningPod;
import dev.tessera.extender.scheduling.VictimSelector;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives projects their quota back (kube-scheduler cannot: the pods in the way have the same
 * priority). Each run takes the most important pending pod that filter found no node for, whose
 * project is under its fair share, asks {@link VictimSelector} for pods of over-fair-share
 * projects whose eviction makes room on one node, and evicts them through the Eviction API (so
 * PodDisruptionBudgets hold). Each victim gets a Warning event saying who reclaimed it and why;
 * their controllers create them again and they wait, Pending, like any other pod.
 *
 * <p>No thrashing: victims come only from projects that stay at or above fair share, and a pending
 * pod gets no second reclaim until its last one settled (its victims are gone, or it was bound or
 * deleted). One reclaim per run, so the next sees the figures the last one changed. Runs on one
 * thread.
 */
public final class ReclaimController {
  private static final Logger log = LoggerFactory.getLogger(ReclaimController.class);

  public static final String RECLAIMED = "Reclaimed";
  public static final String RECLAIMING = "ReclaimingGpus";

  private final ClusterCache cache;
  private final PodIndex pods;
  private final Supplier<PolicySnapshot> policy;
  private final Unschedulable unschedulable;
  private final VictimSelector selector;
  private final Evictor evictor;
  private final PodEvents events;
  private final MeterRegistry registry;
  /** Pending pod UID to the victims its reclaim is waiting for. Only the running thread touches it. */
  private final Map<String, Set<String>> inFlight = new HashMap<>();
  /** Blocked evictions already reported: a budget can block the same one every round. */
  private final RecentKeys reported = new RecentKeys(10_000);
  private final Map<Evictor.Outcome, Counter> evictions = new java.util.EnumMap<>(Evictor.Outcome.class);
  /** Reclaims by pool; a pool's counter is registered (at 0) once the policy names it. Only the running thread touches it. */
  private final Map<String, Counter> reclaims = new HashMap<>();

  public ReclaimController(
      ClusterCache cache,
      PodIndex pods,
      Supplier<PolicySnapshot> policy,
      Unschedulable unschedulable,
      VictimSelector selector,
      Evictor evictor,
      PodEvents events,
      MeterRegistry registry) {
    this.cache = Objects.requireNonNull(cache, "cache");
    this.pods = Objects.requireNonNull(pods, "pods");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.unschedulable = Objects.requireNonNull(unschedulable, "unschedulable");
    this.selector = Objects.requireNonNull(selector, "selector");
    this.evictor = Objects.requireNonNull(evictor, "evictor");
    this.events = Objects.requireNonNull(events, "events");
    this.registry = Objects.requireNonNull(registry, "registry");
    for (Evictor.Outcome outcome : Evictor.Outcome.values()) {
      evictions.put(outcome, Counter.builder("tessera.reclaim.evictions")
          .description("Evictions reclaim asked for, by outcome: evicted, gone, blocked_by_budget, failed")
          .tag("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT))
          .register(registry));
    }
    reclaimCounter(dev.tessera.api.WellKnown.DEFAULT_POOL);
  }

  private Counter reclaimCounter(String pool) {
    return reclaims.computeIfAbsent(pool, p -> Counter.builder("tessera.reclaims")
        .description("Reclaims started (victims chosen and evicted for a pod of a project under its fair share), by pool")
        .tag("pool", p)
        .register(registry));
  }

  /** One round: settles finished reclaims, then starts at most one; returns it, or null. */
  public ReclaimChoice.Victims run() {
    settle();
    PolicySnapshot policyNow = policy.get();
    policyNow.poolNames().forEach(this::reclaimCounter);
    List<PodIndex.IndexedPod> waiting = new ArrayList<>();
    Set<String> considered = new HashSet<>();
    for (Unschedulable.Entry entry : unschedulable.all().values()) {
      PodIndex.IndexedPod pod = pods.get(entry.pod().uid());
      if (pod == null || !pod.pending() || pod.finished()) {
        unschedulable.cleared(entry.pod().uid()); // placed or gone: forget it, projects or not
        continue;
      }
      considered.add(pod.key().uid());
      if (mayReclaim(pod, policyNow)) {
        waiting.add(pod);
      }
    }
    // Pods kube-scheduler refused by its own filters, never asking the extender: a whole-GPU pod
    // when every node's nvidia.com/gpu is requested by pods over their quota. Reclaim is how they
    // get in, so they wait for it like the pods the extender refused.
    for (PodIndex.IndexedPod pod : pods.all()) {
      if (pod.unschedulable() && pod.tessera() && pod.pending() && !pod.finished()
          && !considered.contains(pod.key().uid()) && mayReclaim(pod, policyNow)) {
        waiting.add(pod);
      }
    }
    if (waiting.isEmpty()) {
      return null;
    }
    waiting.sort(Comparator.comparingInt((PodIndex.IndexedPod p) -> -priorityOf(p, policyNow))
        .thenComparing(PodIndex.IndexedPod::created)
        .thenComparing(p -> p.key().toString()));
    ClusterSnapshot cluster = cache.snapshot();
    RunningPods running = RunningPods.of(pods, cache, cluster, policyNow);
    for (PodIndex.IndexedPod pod : waiting) {
      Project project = policyNow.projectOf(pod.key().namespace());
      List<String> pools = pod.traits().pools().isEmpty()
          ? List.of(PolicyState.homePool(project))
          : pod.traits().pools();
      for (String pool : pools) {
        Reclaimer reclaimer = new Reclaimer(
            pod.key(), project.name(), pool, pod.request(), pod.request().gpus(0), priorityOf(pod, policyNow));
        ReclaimChoice choice = selector.chooseReclaim(
            reclaimer,
            cluster,
            node -> node.node().pool().equals(pool),
            running.byNode(),
            running.byGang(),
            RunningPods.standings(policyNow, pool));
        if (choice instanceof ReclaimChoice.Victims victims) {
          evict(pod, victims);
          return victims;
        }
        log.debug("no reclaim for {} in pool {}: {}", pod.key(), pool, ((ReclaimChoice.None) choice).why());
      }
    }
    return null;
  }

  private boolean mayReclaim(PodIndex.IndexedPod pod, PolicySnapshot policyNow) {
    return !policyNow.policy().projects().isEmpty() && !inFlight.containsKey(pod.key().uid())
        && pod.request().wantsGpu() && policyNow.projectOf(pod.key().namespace()) != null;
  }

  private void evict(PodIndex.IndexedPod reclaimer, ReclaimChoice.Victims victims) {
    Set<String> waitingFor = new HashSet<>();
    log.info("reclaiming GPUs for {}: evicting {} pod(s) on {}: {}",
        reclaimer.key(), victims.victims().size(), victims.node(), victims.reason());
    events.normal(reclaimer.key(), RECLAIMING,
        "evicting " + victims.victims().size() + " pod(s) of over-quota projects to make room on node "
            + victims.node() + ": " + victims.reason());
    for (RunningPod victim : victims.victims()) {
      Evictor.Result result = evictor.evict(victim.key());
      evictions.get(result.outcome()).increment();
      switch (result.outcome()) {
        case EVICTED -> {
          waitingFor.add(victim.uid());
          events.warn(victim.key(), RECLAIMED, "evicted to give GPUs back to project " + reclaimerProject(reclaimer)
              + " (pod " + reclaimer.key() + "): " + victims.reason());
        }
        case GONE -> {}
        case BLOCKED_BY_BUDGET, FAILED -> {
          // Not waited for: the next round may choose differently, or try again.
          if (reported.firstTime(reclaimer.key().uid() + "\n" + victim.uid() + "\n" + result.outcome())) {
            log.warn("could not evict {} for {}'s reclaim ({}: {}); retrying each round, reported once",
                victim.key(), reclaimer.key(), result.outcome(), result.detail());
          }
        }
      }
    }
    reclaimCounter(victims.victims().get(0).pool()).increment();
    inFlight.put(reclaimer.key().uid(), waitingFor);
  }

  private static int priorityOf(PodIndex.IndexedPod pod, PolicySnapshot policy) {
    Project project = policy.projectOf(pod.key().namespace());
    return pod.priority(project == null ? 0 : project.defaultPriority());
  }

  private String reclaimerProject(PodIndex.IndexedPod reclaimer) {
    Project project = policy.get().projectOf(reclaimer.key().namespace());
    return project == null ? "?" : project.name();
  }

  /** Forgets reclaims whose pending pod was placed or deleted, or whose victims are all gone. */
  private void settle() {
    inFlight.entrySet().removeIf(entry -> {
      PodIndex.IndexedPod pod = pods.get(entry.getKey());
      if (pod == null || !pod.pending()) {
        return true;
      }
      entry.getValue().removeIf(uid -> {
        PodIndex.IndexedPod victim = pods.get(uid);
        return victim == null || victim.finished();
      });
      return entry.getValue().isEmpty();
    });
  }

  /** Pending pods whose reclaim has not settled yet. */
  public Set<String> inFlight() {
    return Set.copyOf(inFlight.keySet());
  }
}
