package dev.tessera.extender.scheduling;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Priority preemption for a whole gang: running pods of lower priority whose eviction lets every
 * unplaced member of the gang fit at once. kube-scheduler preempts for one pod at a time and its
 * dry run sees only that pod, so a member that fits alone never makes room for its mates; Tessera
 * chooses for the gang instead.
 *
 * <p>Victims are taken least important first ({@link VictimSelector}'s order: lowest priority,
 * elastic members, newest), each with what must leave with it: an elastic member leaves alone
 * while its gang keeps its minMember, any other gang member takes its whole gang. Like kube-
 * scheduler's own preemption a victim must be preemptible and of lower priority, and no project
 * other than the preemptor's is taken below its deserved quota. Once the gang fits, victims that
 * turn out unnecessary are put back, most important first.
 *
 * <p>Pure: it reads the values it is given; the caller evicts.
 */
public final class GangPreemption {
  /** What to do for the gang. */
  public sealed interface Choice {
    /** Evict these pods (whole gangs, or elastic members alone) and the gang fits. */
    record Victims(List<RunningPod> victims, String reason) implements Choice {
      public Victims {
        victims = List.copyOf(victims);
        Objects.requireNonNull(reason, "reason");
        if (victims.isEmpty()) {
          throw new IllegalArgumentException("a preemption evicts at least one pod");
        }
      }
    }

    /** Nothing to evict, and why. */
    record None(String why) implements Choice {
      public None {
        Objects.requireNonNull(why, "why");
      }
    }
  }

  /**
   * The gang asking for room.
   *
   * @param gang its key, "namespace/name"
   * @param priority its members' priority: only pods below it may go
   * @param project its project ("" for none): pods of the same project are not protected by quota
   */
  public record Preemptor(String gang, int priority, String project) {
    public Preemptor {
      Objects.requireNonNull(gang, "gang");
      Objects.requireNonNull(project, "project");
    }
  }

  private final GangPlanner planner;

  public GangPreemption(GangPlanner planner) {
    this.planner = Objects.requireNonNull(planner, "planner");
  }

  /**
   * @param unplaced the gang's members without a node or reservation
   * @param allowed the nodes the gang may use (its pool)
   * @param running the bound pods that might leave
   * @param runningByGang bound pods per gang key, to take gangs whole
   * @param standings the projects' standings in the gang's pool; a project missing here has nothing
   *     deserved
   */
  public Choice choose(
      Preemptor preemptor,
      List<GangPlanner.Member> unplaced,
      ClusterSnapshot snapshot,
      Predicate<NodeState> allowed,
      Collection<RunningPod> running,
      Map<String, List<RunningPod>> runningByGang,
      Map<String, Standing> standings) {
    if (planner.plan(snapshot, unplaced, allowed) instanceof GangPlanner.Plan.Placed) {
      return new Choice.None("gang " + preemptor.gang() + " fits without evicting anything");
    }
    List<RunningPod> candidates = new ArrayList<>();
    for (RunningPod pod : running) {
      NodeState node = snapshot.node(pod.node());
      if (mayLeave(pod, preemptor) && !preemptor.gang().equals(pod.gang()) && node != null && allowed.test(node)) {
        candidates.add(pod);
      }
    }
    if (candidates.isEmpty()) {
      return new Choice.None("no preemptible pod of priority below " + preemptor.priority()
          + " runs on the nodes gang " + preemptor.gang() + " may use");
    }
    candidates.sort(VictimSelector.CHEAPEST_FIRST);

    Set<String> leaving = new HashSet<>();
    Map<String, Double> takenByProject = new HashMap<>();
    List<List<RunningPod>> units = new ArrayList<>();
    ClusterSnapshot state = snapshot;
    for (RunningPod candidate : candidates) {
      if (leaving.contains(candidate.uid())) {
        continue;
      }
      List<RunningPod> unit = unitOf(candidate, runningByGang, leaving, preemptor);
      if (unit == null || !projectsCanGive(unit, preemptor, takenByProject, standings)) {
        continue;
      }
      ClusterSnapshot after = without(state, unit);
      if (after == state) {
        continue; // holds nothing in the ledger: evicting it frees nothing
      }
      state = after;
      units.add(unit);
      unit.forEach(pod -> {
        leaving.add(pod.uid());
        if (!pod.project().equals(preemptor.project())) {
          takenByProject.merge(pod.project(), pod.gpus(), Double::sum);
        }
      });
      if (planner.plan(state, unplaced, allowed) instanceof GangPlanner.Plan.Placed) {
        List<RunningPod> victims = trim(snapshot, units, unplaced, allowed);
        return new Choice.Victims(victims, "preempted for gang " + preemptor.gang() + " (priority "
            + preemptor.priority() + "), which needs their GPUs to start whole");
      }
    }
    GangPlanner.Plan still = planner.plan(state, unplaced, allowed);
    return new Choice.None("evicting every pod gang " + preemptor.gang() + " may preempt would still leave it short: "
        + (still instanceof GangPlanner.Plan.Unplaceable u ? u.reason() : "no room"));
  }

  private static boolean mayLeave(RunningPod pod, Preemptor preemptor) {
    return pod.preemptible() && pod.priority() < preemptor.priority();
  }

  /**
   * The pods that leave if {@code victim} does: itself when it is in no gang, or elastic and its
   * gang keeps its minMember without it and its mates already leaving; else its whole gang. Null
   * when a member that would have to leave may not.
   */
  private static List<RunningPod> unitOf(
      RunningPod victim, Map<String, List<RunningPod>> runningByGang, Set<String> leaving, Preemptor preemptor) {
    if (victim.gang() == null) {
      return List.of(victim);
    }
    List<RunningPod> mates = runningByGang.getOrDefault(victim.gang(), List.of(victim));
    int staying = 0;
    for (RunningPod mate : mates) {
      staying += leaving.contains(mate.uid()) ? 0 : 1;
    }
    if (victim.elastic() && victim.gangMinimum() > 0 && staying - 1 >= victim.gangMinimum()) {
      return List.of(victim);
    }
    List<RunningPod> unit = new ArrayList<>();
    for (RunningPod mate : mates) {
      if (leaving.contains(mate.uid())) {
        continue;
      }
      if (!mayLeave(mate, preemptor)) {
        return null;
      }
      unit.add(mate);
    }
    return unit;
  }

  private static boolean projectsCanGive(
      List<RunningPod> unit, Preemptor preemptor, Map<String, Double> takenByProject, Map<String, Standing> standings) {
    Map<String, Double> more = new HashMap<>();
    for (RunningPod pod : unit) {
      if (!pod.project().equals(preemptor.project())) {
        more.merge(pod.project(), pod.gpus(), Double::sum);
      }
    }
    for (Map.Entry<String, Double> entry : more.entrySet()) {
      Standing standing = standings.get(entry.getKey());
      double taken = takenByProject.getOrDefault(entry.getKey(), 0.0) + entry.getValue();
      if (standing != null && standing.allocated() - taken < standing.deserved() - VictimSelector.EPSILON) {
        return false;
      }
    }
    return true;
  }

  /** Puts back units the gang turns out not to need, the most recently taken (most important) first. */
  private List<RunningPod> trim(
      ClusterSnapshot snapshot, List<List<RunningPod>> units, List<GangPlanner.Member> unplaced,
      Predicate<NodeState> allowed) {
    for (int i = units.size() - 2; i >= 0; i--) {
      List<RunningPod> unit = units.remove(i);
      ClusterSnapshot without = snapshot;
      for (List<RunningPod> other : units) {
        without = without(without, other);
      }
      if (!(planner.plan(without, unplaced, allowed) instanceof GangPlanner.Plan.Placed)) {
        units.add(i, unit);
      }
    }
    List<RunningPod> victims = new ArrayList<>();
    units.forEach(victims::addAll);
    return victims;
  }

  /** The snapshot with the pods' allocations gone from their nodes; the same one if none held any. */
  private static ClusterSnapshot without(ClusterSnapshot state, List<RunningPod> pods) {
    ClusterSnapshot result = state;
    for (RunningPod pod : pods) {
      NodeState node = result.node(pod.node());
      if (node != null) {
        NodeState after = node.without(pod.uid());
        if (after != node) {
          result = result.with(after, result.version());
        }
      }
    }
    return result;
  }
}
