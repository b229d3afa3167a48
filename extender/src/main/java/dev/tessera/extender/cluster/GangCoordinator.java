package dev.tessera.extender.cluster;

import dev.tessera.extender.model.GpuAssignment;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PodGroup;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.model.Project;
import dev.tessera.extender.scheduling.GangPlanner;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.scheduling.PolicySnapshot;
import dev.tessera.extender.scheduling.QuotaAdmission;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Decides, when kube-scheduler asks about a gang member, where it goes: to the node its gang's
 * reserved plan gives it, or nowhere yet. The first member seen plans the whole gang (every member
 * that exists and is not bound yet) against the ledger; if all fit, their GPUs are reserved at
 * once ({@link ClusterCache#reserveGang}) and each member is steered to its node; if not, nothing
 * is reserved and every member's filter answer says why.
 *
 * <p>Members bind one by one as kube-scheduler gets to them, each at once: {@code /bind} never
 * waits for the rest of the gang, so it always answers within kube-scheduler's {@code
 * httpTimeout}. {@link GangMonitor} releases a plan, and evicts the members already bound, when
 * the gang is not whole by its timeout.
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
  }

  private final ClusterCache cache;
  private final PodIndex pods;
  private final GangPlanner planner;
  private final Clock clock;
  /**
   * Gang key to the last plan that failed, and the ledger and policy it failed on: every member's
   * filter call would otherwise plan the same gang again, under the cache's lock, though nothing
   * changed.
   */
  private final java.util.Map<String, Failed> failed = new java.util.concurrent.ConcurrentHashMap<>();

  private record Failed(long clusterVersion, PolicySnapshot policy, int members, String reason) {}

  public GangCoordinator(ClusterCache cache, PodIndex pods, GangPlanner planner, Clock clock) {
    this.cache = Objects.requireNonNull(cache, "cache");
    this.pods = Objects.requireNonNull(pods, "pods");
    this.planner = Objects.requireNonNull(planner, "planner");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * @param pools pools the member may use, most preferred first; empty for any
   * @param project the gang's project, or null when its namespace has none
   */
  /**
   * @param request the member's GPU request, as the filter request carries it: the pod informer
   *     may not have delivered the pod yet, and the member is planned all the same
   */
  public Decision decide(
      PodKey pod, GpuRequest request, PodGroup group, List<String> pools, Project project, PolicySnapshot policy) {
    GpuAssignment reserved = cache.reservation(pod.uid());
    if (reserved != null) {
      return new Decision.Steer(reserved.node(), false);
    }
    List<PodIndex.IndexedPod> members = pods.gang(group.key());
    int bound = 0;
    List<GangPlanner.Member> unplaced = new ArrayList<>();
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
        unplaced.add(new GangPlanner.Member(member.key(), isSelf ? request : member.request()));
      }
    }
    if (!self) {
      unplaced.add(new GangPlanner.Member(pod, request));
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
    // A gang of a project stays in one pool, where its quota is counted; any pool will do for
    // a gang outside projects.
    List<String> candidates = !pools.isEmpty() ? pools : project != null ? policy.poolNames() : List.of();
    List<String> reasons = new ArrayList<>();
    Decision decision = null;
    if (candidates.isEmpty()) {
      decision = place(pod, group, unplaced, project, policy, null, reasons, known);
    } else {
      for (String pool : candidates) {
        decision = place(pod, group, unplaced, project, policy, pool, reasons, known);
        if (decision instanceof Decision.Steer) {
          return decision;
        }
      }
      decision = new Decision.Refuse(String.join("; ", reasons), known);
    }
    if (decision instanceof Decision.Refuse refuse) {
      failed.put(group.key(), new Failed(version, policy, unplaced.size(), refuse.reason()));
      if (failed.size() > 10_000) {
        failed.clear(); // gangs that never came back: forget them all rather than grow
      }
    }
    return decision;
  }

  private Decision place(
      PodKey pod,
      PodGroup group,
      List<GangPlanner.Member> unplaced,
      Project project,
      PolicySnapshot policy,
      String pool,
      List<String> reasons,
      int known) {
    String where = pool == null ? "" : " in pool " + pool;
    if (project != null && pool != null) {
      double gpus = 0;
      for (GangPlanner.Member member : unplaced) {
        gpus += member.request().gpus(0);
      }
      String refusal = QuotaAdmission.refusal(project, pool, policy, gpus);
      if (refusal != null) {
        reasons.add("gang " + group.key() + ": " + refusal);
        return new Decision.Refuse(reasons.get(reasons.size() - 1), known);
      }
    }
    Predicate<NodeState> allowed = pool == null ? node -> true : node -> node.node().pool().equals(pool);
    GangPlanner.Plan plan =
        cache.reserveGang(group.key(), unplaced, planner, allowed, clock.instant().plus(group.schedulingTimeout()));
    if (plan instanceof GangPlanner.Plan.Placed placed) {
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
