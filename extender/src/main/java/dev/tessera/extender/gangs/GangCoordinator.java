package dev.tessera.extender.gangs;

import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.ledger.PodIndex;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PodGroup;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.model.Project;
import dev.tessera.extender.scheduling.GangPlanner;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.scheduling.PodTraits;
import dev.tessera.extender.scheduling.PolicySnapshot;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Decides, when kube-scheduler asks about a gang member, where it goes: to the node its gang's
 * reserved plan gives it, or nowhere yet. The first member seen plans the whole gang (every member
 * that exists and is not bound yet) against the ledger; if all fit, their GPUs are reserved at
 * once ({@link ClusterCache#reserveGang}) and each member is steered to its node; if not, nothing
 * is reserved and every member's filter answer says why.
 *
 * <p>A gang may have more members than its minMember (an elastic training's workers): when not
 * all of them fit, the plan takes the minimum, members not marked elastic first, and the rest are
 * extra members placed one by one like pods in no gang ({@link Decision.Alone}) wherever GPUs are
 * idle.
 *
 * <p>A member's {@code /bind} waits at most a moment for kube-scheduler to accept its mates'
 * places, so it always answers within kube-scheduler's {@code httpTimeout}. {@link GangMonitor}
 * releases a plan, and evicts the members already bound, when the gang is not whole by its
 * timeout.
 */
public final class GangCoordinator {
  /** Where a gang member may go. */
  public sealed interface Decision {
    /**
     * Only to this node: its GPUs there are reserved for it.
     *
     * @param planned the gang was planned by this call: members refused before may be woken
     */
    record Steer(String node, boolean planned) implements Decision {}

    /**
     * Nowhere now, for this reason.
     *
     * @param members the gang's members known when deciding
     */
    record Refuse(String reason, int members) implements Decision {}

    /**
     * Like a pod in no gang: its gang has its minMember bound or reserved without it, so it is an
     * extra member (an elastic training growing into idle GPUs) that needs no plan.
     */
    record Alone() implements Decision {}
  }

  private final ClusterCache cache;
  private final PreemptionClaims claims;
  private final PodIndex pods;
  private final GangPlanner planner;
  private final Clock clock;
  /**
   * Gang key to the last plan that failed, and the ledger and policy it failed on: every member's
   * filter call would otherwise plan the same gang again though nothing changed.
   */
  private final Map<String, Failed> failed = new ConcurrentHashMap<>();

  private record Failed(long clusterVersion, PolicySnapshot policy, int members, String reason) {}

  /**
   * Gang key to the members whose reserved node kube-scheduler has offered in a filter call: its
   * own filters (CPU, memory, taints, affinity) accept that node for them. The plan only knows
   * GPUs; a gang binds once kube-scheduler has agreed to every member's place.
   */
  private final Map<String, Set<String>> offered = new ConcurrentHashMap<>();
  /** Notified whenever a member is offered, for binds waiting on their gang. */
  private final Object offers = new Object();
  /**
   * Member UID to the nodes kube-scheduler's filters let it use, recorded when they turned down the
   * node its gang's plan gave it: the next plan keeps it to those.
   */
  private final Map<String, Set<String>> onlyNodes = new ConcurrentHashMap<>();
  private static final int MAX_TRACKED = 10_000;

  public GangCoordinator(
      ClusterCache cache, PodIndex pods, GangPlanner planner, PreemptionClaims claims, Clock clock) {
    this.cache = Objects.requireNonNull(cache, "cache");
    this.claims = Objects.requireNonNull(claims, "claims");
    this.pods = Objects.requireNonNull(pods, "pods");
    this.planner = Objects.requireNonNull(planner, "planner");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * @param request the member's GPU request, as the filter request carries it: the pod informer
   *     may not have delivered the pod yet, and the member is planned all the same
   * @param traits the member's pools (most preferred first; empty for any) and whether it is elastic
   * @param project the gang's project, or null when its namespace has none
   * @param priority the member's priority: nodes held for a gang of higher priority are not planned on
   */
  public Decision decide(PodKey pod, GpuRequest request, PodGroup group, PodTraits traits, Project project,
      PolicySnapshot policy, int priority) {
    GpuAssignment reserved = cache.reservation(pod.uid());
    if (reserved != null) {
      return new Decision.Steer(reserved.node(), false);
    }
    List<PodIndex.IndexedPod> members = pods.gang(group.key());
    int bound = 0;
    List<GangPlanner.Member> unplaced = new ArrayList<>();
    Set<PodKey> elastic = new HashSet<>();
    boolean self = false;
    for (PodIndex.IndexedPod member : members) {
      if (member.finished()) {
        continue;
      }
      boolean isSelf = member.key().uid().equals(pod.uid());
      self |= isSelf;
      if (!member.pending() && !isSelf) {
        bound++;
      } else if (cache.reservation(member.key().uid()) != null) {
        bound++; // already has its place in the plan
      } else {
        unplaced.add(new GangPlanner.Member(member.key(), isSelf ? request : member.request(),
            onlyNodes.get(member.key().uid())));
        if (isSelf ? traits.elastic() : member.traits().elastic()) {
          elastic.add(member.key());
        }
      }
    }
    if (!self) {
      unplaced.add(new GangPlanner.Member(pod, request, onlyNodes.get(pod.uid())));
      if (traits.elastic()) {
        elastic.add(pod);
      }
    }
    if (bound >= group.minMember()) {
      return new Decision.Alone();
    }
    int known = bound + unplaced.size();
    if (known < group.minMember()) {
      return new Decision.Refuse(
          "gang " + group.key() + " has " + known + " of its " + group.minMember()
              + " pods (minMember); waiting for the rest to be created", known);
    }
    long version = cache.snapshot().version();
    Failed last = failed.get(group.key());
    if (last != null && last.clusterVersion() == version && last.policy() == policy
        && last.members() == unplaced.size()) {
      return new Decision.Refuse(last.reason(), known);
    }
    failed.remove(group.key());
    List<String> candidates = GangPools.candidates(traits.pools(), project, policy);
    Decision decision = placeInAPool(pod, group, unplaced, project, policy, candidates, known, priority);
    int needed = group.minMember() - bound;
    if (decision instanceof Decision.Refuse whole && unplaced.size() > needed) {
      // Not all fit: the minimum may. Members the gang cannot do without go first.
      List<GangPlanner.Member> minimum = new ArrayList<>(unplaced);
      minimum.sort(Comparator.comparing((GangPlanner.Member m) -> elastic.contains(m.pod()))
          .thenComparing(m -> m.pod().name()));
      minimum = minimum.subList(0, needed);
      decision = placeInAPool(pod, group, minimum, project, policy, candidates, known, priority);
      if (decision instanceof Decision.Steer && minimum.stream().noneMatch(m -> m.pod().equals(pod))) {
        return new Decision.Alone(); // the minimum is reserved without it: an extra member now
      }
      if (decision instanceof Decision.Refuse) {
        decision = whole;
      }
    }
    if (decision instanceof Decision.Refuse refuse) {
      failed.put(group.key(), new Failed(version, policy, unplaced.size(), refuse.reason()));
      if (failed.size() > 10_000) {
        failed.clear(); // gangs that never came back: forget them all rather than grow
      }
    }
    return decision;
  }

  /** Plans the members in the first of the candidate pools where they fit (a null pool: any node). */
  private Decision placeInAPool(
      PodKey pod,
      PodGroup group,
      List<GangPlanner.Member> unplaced,
      Project project,
      PolicySnapshot policy,
      List<String> candidates,
      int known,
      int priority) {
    List<String> reasons = new ArrayList<>();
    for (String pool : candidates) {
      Decision decision = place(pod, group, unplaced, project, policy, pool, reasons, known, priority);
      if (decision instanceof Decision.Steer) {
        return decision;
      }
    }
    return new Decision.Refuse(String.join("; ", reasons), known);
  }

  /** kube-scheduler offered the member the node its gang reserved for it (or one it moved to). */
  public void offered(String gang, String uid) {
    if (offered.size() >= MAX_TRACKED) {
      // Gangs that bound whole or went away leave their entry behind; drop those.
      offered.keySet().removeIf(g -> cache.reservedMembers(g).isEmpty());
    }
    offered.computeIfAbsent(gang, g -> ConcurrentHashMap.newKeySet()).add(uid);
    synchronized (offers) {
      offers.notifyAll();
    }
  }

  /**
   * The gang's members holding reservations whose node kube-scheduler has not offered them yet:
   * until there are none, a member's bind could leave the gang partly bound if kube-scheduler turns
   * another member's place down. Empty when the gang may bind.
   */
  public List<PodKey> notYetOffered(String gang) {
    Set<String> accepted = offered.getOrDefault(gang, Set.of());
    List<PodKey> reserved = cache.reservedMembers(gang);
    List<PodKey> waiting = new ArrayList<>();
    for (PodKey member : reserved) {
      if (!accepted.contains(member.uid())) {
        waiting.add(member);
      }
    }
    if (reserved.isEmpty()) {
      offered.remove(gang); // every member is bound or released: nothing left to wait for
    }
    return waiting;
  }

  /**
   * Waits up to {@code timeout} for every reserved member of the gang to be offered its node;
   * returns those still not offered (empty when the gang may bind).
   */
  public List<PodKey> awaitOffered(String gang, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (offers) {
      while (true) {
        List<PodKey> waiting = notYetOffered(gang);
        long left = deadline - System.nanoTime();
        if (waiting.isEmpty() || left <= 0) {
          return waiting;
        }
        try {
          offers.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return waiting;
        }
      }
    }
  }

  /**
   * kube-scheduler's filters turned down the node the plan gave this member and let it use only
   * {@code nodes}: plans from now on keep it there.
   */
  public void restrict(PodKey member, Collection<String> nodes) {
    if (onlyNodes.size() >= MAX_TRACKED) {
      onlyNodes.clear(); // members long gone: forget them all rather than grow
    }
    onlyNodes.put(member.uid(), Set.copyOf(nodes));
  }

  private Decision place(
      PodKey pod,
      PodGroup group,
      List<GangPlanner.Member> unplaced,
      Project project,
      PolicySnapshot policy,
      String pool,
      List<String> reasons,
      int known,
      int priority) {
    String where = pool == null ? "" : " in pool " + pool;
    String refusal = GangPools.quotaRefusal(project, pool, policy, unplaced);
    if (refusal != null) {
      reasons.add("gang " + group.key() + ": " + refusal);
      return new Decision.Refuse(reasons.get(reasons.size() - 1), known);
    }
    Predicate<NodeState> allowed = GangPools.nodes(pool, priority, claims);
    GangPlanner.Plan plan =
        cache.reserveGang(group.key(), unplaced, planner, allowed, clock.instant().plus(group.schedulingTimeout()));
    if (plan instanceof GangPlanner.Plan.Placed placed) {
      offered.remove(group.key()); // a new plan: each member's place is to be offered afresh
      for (var entry : placed.assignments().entrySet()) {
        if (entry.getKey().uid().equals(pod.uid())) {
          return new Decision.Steer(entry.getValue().node(), true);
        }
      }
      // The member asks for no GPU: kube-scheduler's own plugins place it.
      return new Decision.Steer(null, true);
    }
    String reason = "gang " + group.key() + where + " " + ((GangPlanner.Plan.Unplaceable) plan).reason();
    reasons.add(reason);
    return new Decision.Refuse(reason, known);
  }
}
