package dev.tessera.extender.controllers;

import dev.tessera.extender.actions.PodWaker;
import dev.tessera.extender.gangs.GangCoordinator;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.ledger.PodIndex;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PodGroup;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.scheduling.ClusterSnapshot;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.scheduling.Placement;
import dev.tessera.extender.scheduling.Policy;
import dev.tessera.extender.scheduling.PolicySnapshot;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Pods filter refused, and what would let each in: when that happens, the pod is handed to the
 * {@link PodWaker} so kube-scheduler tries it again within a second or so instead of leaving it in
 * its unschedulable queue for up to five minutes (an extender's refusal names none of
 * kube-scheduler's own plugins, so none of its cluster events requeues the pod).
 *
 * <p>What lets a pod in depends on why it was refused ({@link Cause}): room on a node where its
 * request fits (found by comparing snapshots: only nodes whose state changed are checked), a change
 * to the scheduling policy (a pool, project, quota or pod group defined), or its gang's members.
 * Each pod is woken at most once per second at first, then less often (up to every
 * {@value #MAX_QUIET_SECONDS} s) while it keeps being refused, so a reason that only seems to
 * go away never turns into a loop. Filter threads record and clear; {@link #check} runs on one
 * thread.
 */
public final class RefusedPods {
  /** Why a pod was refused, as far as waking it goes. */
  public enum Cause {
    /** No node had room for it now (or its project's quota did not allow more). */
    CAPACITY,
    /** A pool, project or pod group it names does not exist, or the policy refuses it outright. */
    POLICY,
    /** Its gang is incomplete, or does not fit as a whole. */
    GANG,
    /** Its bind waited for kube-scheduler to accept its gang mates' reserved nodes. */
    GANG_BIND
  }

  /**
   * One refusal as filter saw it.
   *
   * @param pools the pools the pod may use; empty for any
   * @param clusterVersion the snapshot version filter decided on
   * @param policy the policy definitions filter decided on
   * @param gangMembers for {@link Cause#GANG}: how many members the gang had then
   * @param reserved its gang held a reservation for it when it was refused
   */
  public record Refusal(
      PodKey pod,
      GpuRequest request,
      List<String> pools,
      String gang,
      Cause cause,
      long clusterVersion,
      Policy policy,
      int gangMembers,
      boolean reserved) {
    public Refusal {
      Objects.requireNonNull(pod, "pod");
      Objects.requireNonNull(request, "request");
      Objects.requireNonNull(cause, "cause");
      pools = List.copyOf(pools);
    }
  }

  /** Has kube-scheduler try a pod again ({@link PodWaker#wake}). */
  @FunctionalInterface
  public interface Wake {
    void wake(PodKey pod, String why);
  }

  static final int MAX_QUIET_SECONDS = 30;
  /** A refused pod the pod informer never delivers is forgotten after this long. */
  private static final Duration UNSEEN_LIMIT = Duration.ofMinutes(1);

  private record Tracked(Refusal refusal, Instant at, int wakes, Instant quietUntil) {
    Tracked refusedAgain(Refusal next) {
      return new Tracked(next, at, wakes, quietUntil);
    }

    Tracked woken(Instant now) {
      long quiet = Math.min(MAX_QUIET_SECONDS, 1L << Math.min(wakes, 5));
      return new Tracked(refusal, at, wakes + 1, now.plusSeconds(quiet));
    }

    /** Changes up to {@code version} have been looked at: later checks need only newer ones. */
    Tracked checkedUpTo(long version) {
      Refusal r = refusal;
      return new Tracked(new Refusal(r.pod(), r.request(), r.pools(), r.gang(), r.cause(), version, r.policy(),
          r.gangMembers(), r.reserved()), at, wakes, quietUntil);
    }
  }

  private final ClusterCache cache;
  private final Placement placement;
  private final Supplier<PolicySnapshot> policy;
  private final PodIndex pods;
  private final Wake waker;
  private final Predicate<String> gangReadyToBind;
  private final Clock clock;
  private final Map<String, Tracked> tracked = new ConcurrentHashMap<>();
  /** The snapshot the last check compared against; only the checking thread touches it. */
  private ClusterSnapshot lastChecked;

  /**
   * @param gangReadyToBind whether every reserved member of a gang has been offered its node by
   *     kube-scheduler ({@link GangCoordinator#notYetOffered} is empty)
   */
  public RefusedPods(
      ClusterCache cache,
      Supplier<PolicySnapshot> policy,
      PodIndex pods,
      Wake waker,
      Predicate<String> gangReadyToBind,
      Clock clock) {
    this.gangReadyToBind = Objects.requireNonNull(gangReadyToBind, "gangReadyToBind");
    this.cache = Objects.requireNonNull(cache, "cache");
    this.placement = cache.placement();
    this.policy = Objects.requireNonNull(policy, "policy");
    this.pods = Objects.requireNonNull(pods, "pods");
    this.waker = Objects.requireNonNull(waker, "waker");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Filter refused the pod; keeps how often it was woken before, so the backoff holds. */
  public void refused(Refusal refusal) {
    tracked.compute(refusal.pod().uid(), (uid, known) ->
        known == null ? new Tracked(refusal, clock.instant(), 0, Instant.MIN) : known.refusedAgain(refusal));
  }

  /** Filter found the pod a node, or it is gone. */
  public void cleared(String uid) {
    tracked.remove(uid);
  }

  /** Pods being watched for their refusal to go away. */
  public int size() {
    return tracked.size();
  }

  /** Wakes every pod whose refusal has gone away; forgets pods that were placed or deleted. */
  public void check() {
    Instant now = clock.instant();
    ClusterSnapshot snapshot = cache.snapshot();
    PolicySnapshot policyNow = policy.get();
    List<NodeState> changed = new java.util.ArrayList<>();
    if (lastChecked != null) {
      snapshot.forEachChangedSince(lastChecked, changed::add);
    }
    long baseline = lastChecked == null ? -1 : lastChecked.version();
    for (Map.Entry<String, Tracked> entry : tracked.entrySet()) {
      Tracked current = entry.getValue();
      if (gone(current, now)) {
        tracked.remove(entry.getKey(), current);
        continue;
      }
      if (now.isBefore(current.quietUntil()) && !newlyReserved(current.refusal())
          && current.refusal().cause() != Cause.GANG_BIND) {
        continue;
      }
      // A refusal decided on a snapshot older than the last one compared may have missed changes
      // in between: look at every node once.
      boolean everyNode = current.refusal().clusterVersion() < baseline || lastChecked == null;
      String why = reasonGone(current.refusal(), snapshot, everyNode ? snapshot.nodes() : changed, policyNow);
      if (why != null) {
        waker.wake(current.refusal().pod(), why);
        tracked.replace(entry.getKey(), current, current.woken(now));
      } else if (current.refusal().clusterVersion() < snapshot.version()) {
        tracked.replace(entry.getKey(), current, current.checkedUpTo(snapshot.version()));
      }
    }
    lastChecked = snapshot;
  }

  /**
   * The pod's gang was planned after it was refused: it has a place now, and is woken at once (a
   * gang's members start together).
   */
  private boolean newlyReserved(Refusal refusal) {
    return refusal.cause() == Cause.GANG && !refusal.reserved() && cache.reservation(refusal.pod().uid()) != null;
  }

  /** Placed, finished or deleted (or never seen by the pod informer in a minute). */
  private boolean gone(Tracked tracked, Instant now) {
    PodIndex.IndexedPod pod = pods.get(tracked.refusal().pod().uid());
    if (pod == null) {
      return Duration.between(tracked.at(), now).compareTo(UNSEEN_LIMIT) > 0;
    }
    return !pod.pending() || pod.finished();
  }

  /** What changed that may let the pod in now, or null. */
  private String reasonGone(Refusal refusal, ClusterSnapshot snapshot, List<NodeState> candidates, PolicySnapshot now) {
    if (refusal.cause() == Cause.GANG_BIND) {
      return gangReadyToBind.test(refusal.gang())
          ? "kube-scheduler accepted every reserved place of gang " + refusal.gang() : null;
    }
    if (now.policy() != refusal.policy()) {
      return "the scheduling policy changed";
    }
    if (refusal.cause() == Cause.POLICY) {
      return null;
    }
    if (refusal.cause() == Cause.GANG) {
      PodGroup group = now.podGroup(refusal.gang());
      int members = pods.gang(refusal.gang()).size();
      if (group != null && members != refusal.gangMembers() && members >= group.minMember()) {
        return "gang " + refusal.gang() + " now has " + members + " of its " + group.minMember() + " members";
      }
      if (newlyReserved(refusal)) {
        return "gang " + refusal.gang() + " was planned and holds a place for it";
      }
    }
    for (NodeState node : candidates) {
      if ((refusal.pools().isEmpty() || refusal.pools().contains(node.node().pool()))
          && placement.fits(node, refusal.request())) {
        return "node " + node.name() + " has room for it now";
      }
    }
    return null;
  }
}
