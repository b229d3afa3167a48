package dev.tessera.extender.scheduling;

import dev.tessera.extender.model.GpuRequest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Which running pods may, or should, leave to make room for a pending one. Two callers:
 *
 * <ul>
 *   <li>kube-scheduler's {@code /preempt}: kube-scheduler proposes victims by priority and Tessera
 *       vetoes what its quotas forbid ({@link #allowedPreemptions}).
 *   <li>Tessera's own reclaim loop: a project under its fair share takes GPUs back from projects
 *       above theirs. kube-scheduler cannot do this, because the victims' priority is no lower than
 *       the reclaimer's ({@link #chooseReclaim}).
 * </ul>
 *
 * <p>Pure: it reads the values it is given and returns new ones; the caller evicts. Both rules
 * share KAI-Scheduler's and YuniKorn's guarantee that no project is taken below its deserved quota
 * by another project, and never split a gang on one node.
 */
public final class VictimSelector {
  /** Tolerance for sums of fractional GPUs: 0.1 + 0.2 must count as 0.3. */
  static final double EPSILON = 1e-9;

  /**
   * Order of victims before fair share is considered: least important first, then elastic members
   * (their gang runs on without them), then the newest (it loses the least work), then the pod key,
   * so that equal inputs give equal answers.
   */
  static final Comparator<RunningPod> CHEAPEST_FIRST =
      Comparator.comparingInt(RunningPod::priority)
          .thenComparing(p -> !p.elastic())
          .thenComparing(RunningPod::created, Comparator.reverseOrder())
          .thenComparing(p -> p.key().namespace())
          .thenComparing(p -> p.key().name())
          .thenComparing(RunningPod::uid);

  private final Placement placement;

  public VictimSelector(Placement placement) {
    this.placement = Objects.requireNonNull(placement, "placement");
  }

  // ------------------------------------------------------------------------------------ preempt

  /**
   * kube-scheduler's {@code /preempt}: keep only the nodes whose candidate victims Tessera allows,
   * adding the victims' gang mates on the same node.
   *
   * <p>A node is dropped when any of its victims
   *
   * <ul>
   *   <li>is not preemptible (interactive and workspace pods, pods marked so),
   *   <li>has a priority no lower than the preemptor's (kube-scheduler never proposes such a pod,
   *       but an added gang mate may be one), or
   *   <li>belongs to another project that the node's victims together would take below its
   *       deserved quota: {@code allocated - sum(victims' GPUs) >= deserved} must hold per project.
   *       Victims of the preemptor's own project are exempt: priority decides inside a project.
   * </ul>
   *
   * <p>Gangs: a victim's gang mates on the same node are added to that node's victims (once each)
   * and judged by the same rules. Mates on other nodes are not listed, because kube-scheduler
   * rejects victims that do not run on the node; once the listed members are evicted the gang
   * falls below its minMember and the gang monitor evicts the rest, so the gang still leaves whole.
   * An elastic gang shrinks instead when it can: if a node's victims of the gang are all elastic
   * members and the gang keeps its minMember without them, they leave alone; a member it cannot do
   * without is swapped for an elastic mate on the node that frees as many GPUs. Nodes that would take
   * an elastic gang below its minimum are dropped while another node makes room without doing so:
   * such a gang is shrunk before it is preempted whole.
   *
   * @param candidatesByNode kube-scheduler's proposed victims per node
   * @param runningByGang running pods per gang key ("namespace/name"), on any node
   * @param standingsByProject the projects' standings in the pool of the candidate nodes; a project
   *     missing here has nothing deserved, so its pods are not protected by quota
   * @return a new map with the allowed nodes and their (possibly longer) victim lists, in the
   *     input's order; a node keeps an empty list only if it came with one
   */
  public Map<String, List<RunningPod>> allowedPreemptions(
      Preemptor preemptor,
      Map<String, List<RunningPod>> candidatesByNode,
      Map<String, List<RunningPod>> runningByGang,
      Map<String, Standing> standingsByProject) {
    Objects.requireNonNull(preemptor, "preemptor");
    Map<String, List<RunningPod>> allowed = new LinkedHashMap<>();
    Set<String> breakingElastic = new HashSet<>();
    for (Map.Entry<String, List<RunningPod>> entry : candidatesByNode.entrySet()) {
      String node = entry.getKey();
      List<RunningPod> candidates = entry.getValue();
      if (candidates.isEmpty()) {
        allowed.put(node, List.of());
        continue;
      }
      NodeVictims victims = withMatesOnNode(node, candidates, runningByGang);
      if (mayPreempt(preemptor, victims.pods(), standingsByProject)) {
        allowed.put(node, victims.pods());
        if (victims.breaksElasticGang()) {
          breakingElastic.add(node);
        }
      }
    }
    if (!breakingElastic.isEmpty() && allowed.size() > breakingElastic.size()) {
      allowed.keySet().removeAll(breakingElastic);
    }
    return Collections.unmodifiableMap(allowed);
  }

  /**
   * A node's victims.
   *
   * @param breaksElasticGang they take a gang with elastic members below its minMember
   */
  private record NodeVictims(List<RunningPod> pods, boolean breaksElasticGang) {}

  /**
   * The candidates followed by the gang mates on {@code node} that must leave with them, each pod
   * once. A gang's mates stay when the gang can shrink instead: every candidate of it here is
   * elastic and the gang keeps its minMember without them.
   */
  private static NodeVictims withMatesOnNode(
      String node, List<RunningPod> candidates, Map<String, List<RunningPod>> runningByGang) {
    Map<String, RunningPod> byUid = new LinkedHashMap<>();
    Map<String, List<RunningPod>> leavingByGang = new LinkedHashMap<>();
    for (RunningPod candidate : candidates) {
      if (byUid.putIfAbsent(candidate.uid(), candidate) == null && candidate.gang() != null) {
        leavingByGang.computeIfAbsent(candidate.gang(), g -> new ArrayList<>()).add(candidate);
      }
    }
    boolean breaksElastic = false;
    for (Map.Entry<String, List<RunningPod>> gang : leavingByGang.entrySet()) {
      List<RunningPod> running = runningByGang.getOrDefault(gang.getKey(), List.of());
      if (shrinks(gang.getValue(), running)) {
        continue;
      }
      List<RunningPod> instead = elasticInstead(node, gang.getValue(), running, byUid);
      if (instead != null) {
        gang.getValue().forEach(pod -> byUid.remove(pod.uid()));
        instead.forEach(pod -> byUid.putIfAbsent(pod.uid(), pod));
        continue;
      }
      breaksElastic |= running.stream().anyMatch(RunningPod::elastic);
      for (RunningPod mate : running) {
        if (mate.node().equals(node)) {
          byUid.putIfAbsent(mate.uid(), mate);
        }
      }
    }
    return new NodeVictims(List.copyOf(byUid.values()), breaksElastic);
  }

  /**
   * kube-scheduler picks victims by priority and start time alone, so it may name a member the gang
   * cannot do without (its master) while an elastic mate on the same node would free as much: the
   * victims with each such member swapped for an elastic mate holding at least its GPUs, if that
   * lets the gang shrink; else null.
   */
  private static List<RunningPod> elasticInstead(
      String node, List<RunningPod> leaving, List<RunningPod> running, Map<String, RunningPod> victims) {
    List<RunningPod> spare = new ArrayList<>();
    for (RunningPod mate : running) {
      if (mate.elastic() && mate.node().equals(node) && !victims.containsKey(mate.uid())) {
        spare.add(mate);
      }
    }
    if (spare.isEmpty()) {
      return null;
    }
    spare.sort(CHEAPEST_FIRST);
    List<RunningPod> instead = new ArrayList<>();
    for (RunningPod pod : leaving) {
      if (pod.elastic()) {
        instead.add(pod);
        continue;
      }
      RunningPod swap = null;
      for (RunningPod candidate : spare) {
        if (candidate.gpus() >= pod.gpus() - EPSILON) {
          swap = candidate;
          break;
        }
      }
      if (swap == null) {
        return null;
      }
      spare.remove(swap);
      instead.add(swap);
    }
    return shrinks(instead, running) ? instead : null;
  }

  /**
   * Whether the gang can lose {@code leaving} and run on: all of them elastic, and at least its
   * minMember left running. A gang whose minMember is not known never shrinks.
   */
  private static boolean shrinks(List<RunningPod> leaving, List<RunningPod> running) {
    int minimum = leaving.get(0).gangMinimum();
    if (minimum <= 0) {
      return false;
    }
    for (RunningPod pod : leaving) {
      if (!pod.elastic()) {
        return false;
      }
    }
    return running.size() - leaving.size() >= minimum;
  }

  private static boolean mayPreempt(
      Preemptor preemptor, List<RunningPod> victims, Map<String, Standing> standingsByProject) {
    Map<String, Double> takenByProject = new HashMap<>();
    for (RunningPod victim : victims) {
      if (!victim.preemptible() || victim.priority() >= preemptor.priority()) {
        return false;
      }
      if (!victim.project().equals(preemptor.project())) {
        takenByProject.merge(victim.project(), victim.gpus(), Double::sum);
      }
    }
    for (Map.Entry<String, Double> taken : takenByProject.entrySet()) {
      Standing standing = standingsByProject.get(taken.getKey());
      if (standing != null && standing.allocated() - taken.getValue() < standing.deserved() - EPSILON) {
        return false;
      }
    }
    return true;
  }

  // ------------------------------------------------------------------------------------ reclaim

  /**
   * Reclaim: victims from over-fair-share projects that make room for the pending pod on one node,
   * or {@link ReclaimChoice.None} with why not.
   *
   * <p>The reclaimer's project must stay within its fair share with the pod added. A victim is a
   * preemptible pod of another project of the same pool that is above its fair share. Victims are
   * taken lowest priority first, then from the project furthest above its fair share (counting
   * what this choice already took), then newest first, then by pod key. A gang is taken whole,
   * members on other nodes included, or not at all. A project loses a pod only while it is still
   * above its fair share, and never goes below its deserved quota: without the first rule two
   * projects near their shares would reclaim from each other back and forth.
   *
   * <p>On each allowed node with victims, the victims are removed from the node's ledger in that
   * order until the pod fits; victims that free nothing on the node are passed over. Victims that
   * turn out unnecessary once later ones left are then put back, most important first. Of the
   * nodes where the pod fits, the one with the least harmful victims wins: lowest highest victim
   * priority, then fewest victims, then fewest GPUs, then node name.
   *
   * <p>A pod that already fits an allowed node gets {@link ReclaimChoice.None}: nothing needs to
   * leave. Priority orders victims but does not protect them: across projects, fair share decides.
   *
   * <p>Cost: one pass over the nodes and the running pods; a node is simulated only when it has
   * victims, at O(v log v) for its v victims plus a ledger copy per victim taken, and not at all
   * once a node with less important victims than its least important one has been found.
   *
   * @param snapshot the nodes and their ledgers; victims' uids must be in their node's ledger to
   *     free anything
   * @param allowedNodes the nodes the pending pod may run on (its pool, selectors, taints)
   * @param runningByNode running pods per node name
   * @param runningByGang running pods per gang key ("namespace/name"), on any node
   * @param standingsByProject the projects' standings in the reclaimer's pool; a project missing
   *     here is not known to be above its fair share, so it gives up nothing
   */
  public ReclaimChoice chooseReclaim(
      Reclaimer reclaimer,
      ClusterSnapshot snapshot,
      Predicate<NodeState> allowedNodes,
      Map<String, List<RunningPod>> runningByNode,
      Map<String, List<RunningPod>> runningByGang,
      Map<String, Standing> standingsByProject) {
    Objects.requireNonNull(reclaimer, "reclaimer");
    GpuRequest request = reclaimer.request();
    if (!request.wantsGpu()) {
      return new ReclaimChoice.None("the pod requests no GPU");
    }
    if (request.kind() == GpuRequest.Kind.INVALID) {
      return new ReclaimChoice.None(request.invalidReason());
    }
    Standing own = standingsByProject.get(reclaimer.project());
    if (own == null) {
      return new ReclaimChoice.None(
          "project " + reclaimer.project() + " has no fair share in pool " + reclaimer.pool());
    }
    if (own.allocated() + reclaimer.gpus() > own.fairShare() + EPSILON) {
      return new ReclaimChoice.None(
          "project " + reclaimer.project() + " would exceed its fair share of " + gpus(own.fairShare())
              + " GPUs in pool " + reclaimer.pool() + " (has " + gpus(own.allocated()) + ", the pod asks for "
              + gpus(reclaimer.gpus()) + ")");
    }
    String fitsAlready = firstFitting(snapshot, allowedNodes, request);
    if (fitsAlready != null) {
      return new ReclaimChoice.None("the pod fits node " + fitsAlready + " without evicting anything");
    }
    return new Search(reclaimer, own, runningByGang, standingsByProject)
        .run(snapshot, allowedNodes, runningByNode);
  }

  /** An allowed node the request fits as it is, or null. Allocates nothing per node. */
  private String firstFitting(
      ClusterSnapshot snapshot, Predicate<NodeState> allowedNodes, GpuRequest request) {
    String[] found = new String[1];
    snapshot.forEach(node -> {
      if (found[0] == null && placement.fits(node, request) && allowedNodes.test(node)) {
        found[0] = node.name();
      }
    });
    return found[0];
  }

  /**
   * Pods taken together: a gang's running members, or one pod in no gang. Its fixed facts are
   * computed once per reclaim; {@link #takenIn} and {@link #passedIn} say what the current node's
   * simulation did with it, so that nothing is reset between nodes.
   */
  private static final class Unit {
    final List<RunningPod> members;
    final Set<String> uids;
    /** Every member is preemptible, in the pool, of a project above its fair share. */
    final boolean eligible;
    /** Indices of the members' projects, and the GPUs the members hold in each. */
    final int[] projects;
    final double[] gpus;
    final double totalGpus;
    final int maxPriority;
    int takenIn = -1;
    int passedIn = -1;

    Unit(List<RunningPod> members, Map<String, Integer> overProjects, String pool) {
      this.members = members;
      this.uids = new HashSet<>();
      boolean ok = true;
      Map<Integer, Double> byProject = new LinkedHashMap<>();
      double total = 0;
      int highest = Integer.MIN_VALUE;
      for (RunningPod member : members) {
        uids.add(member.uid());
        Integer project = overProjects.get(member.project());
        if (project == null || !member.preemptible() || !member.pool().equals(pool)) {
          ok = false;
        } else {
          byProject.merge(project, member.gpus(), Double::sum);
        }
        total += member.gpus();
        highest = Math.max(highest, member.priority());
      }
      this.eligible = ok;
      this.projects = new int[byProject.size()];
      this.gpus = new double[byProject.size()];
      int i = 0;
      for (Map.Entry<Integer, Double> entry : byProject.entrySet()) {
        projects[i] = entry.getKey();
        gpus[i] = entry.getValue();
        i++;
      }
      this.totalGpus = total;
      this.maxPriority = highest;
    }
  }

  /** How bad a node's victims are; smaller is better. */
  private record Harm(int maxPriority, int pods, double gpus, String node) implements Comparable<Harm> {
    private static final Comparator<Harm> ORDER =
        Comparator.comparingInt(Harm::maxPriority)
            .thenComparingInt(Harm::pods)
            .thenComparingDouble(Harm::gpus)
            .thenComparing(Harm::node);

    @Override
    public int compareTo(Harm other) {
      return ORDER.compare(this, other);
    }
  }

  /** One reclaim decision: the per-call tables and the best node so far. */
  private final class Search {
    private final Reclaimer reclaimer;
    private final Standing own;
    private final Map<String, List<RunningPod>> runningByGang;
    private final FailureMemo memo;
    /** Projects above their fair share, other than the reclaimer's, by name: their index. */
    private final Map<String, Integer> overProjects = new HashMap<>();
    private final List<String> names = new ArrayList<>();
    private final double[] allocated;
    private final double[] fairShare;
    private final double[] deserved;
    /**
     * GPUs the current node's victims take from each project: valid where {@link #takenIn} is the
     * current simulation, 0 elsewhere, so nothing is reset between nodes.
     */
    private final double[] taken;
    private final int[] takenIn;
    private final Map<String, Unit> gangs = new HashMap<>();
    /** Gang key to the units of its elastic members taken alone. */
    private final Map<String, List<Unit>> elastic = new HashMap<>();
    private int simulation;
    private boolean simulated;
    private boolean anyTaken;

    private List<RunningPod> bestVictims;
    private Harm bestHarm;
    /** The node that came closest when none fits: its ledger after every victim it could lose. */
    private NodeState closest;
    private long closestRoom = -1;
    private int closestEvicted;

    Search(
        Reclaimer reclaimer,
        Standing own,
        Map<String, List<RunningPod>> runningByGang,
        Map<String, Standing> standingsByProject) {
      this.reclaimer = reclaimer;
      this.own = own;
      this.runningByGang = runningByGang;
      this.memo = new FailureMemo().forRequest(reclaimer.request());
      for (Map.Entry<String, Standing> entry : standingsByProject.entrySet()) {
        Standing standing = entry.getValue();
        if (!entry.getKey().equals(reclaimer.project())
            && standing.allocated() > standing.fairShare() + EPSILON) {
          overProjects.put(entry.getKey(), names.size());
          names.add(entry.getKey());
        }
      }
      int n = names.size();
      allocated = new double[n];
      fairShare = new double[n];
      deserved = new double[n];
      taken = new double[n];
      takenIn = new int[n];
      for (int i = 0; i < n; i++) {
        Standing standing = standingsByProject.get(names.get(i));
        allocated[i] = standing.allocated();
        fairShare[i] = standing.fairShare();
        deserved[i] = standing.deserved();
      }
    }

    ReclaimChoice run(
        ClusterSnapshot snapshot, Predicate<NodeState> allowedNodes, Map<String, List<RunningPod>> runningByNode) {
      boolean anyVictim = false;
      if (!overProjects.isEmpty()) {
        for (Map.Entry<String, List<RunningPod>> entry : runningByNode.entrySet()) {
          List<RunningPod> victims = null;
          NodeState node = null;
          for (RunningPod pod : entry.getValue()) {
            if (!mayBeVictim(pod)) {
              continue;
            }
            if (victims == null) {
              node = snapshot.node(entry.getKey());
              if (node == null || !allowedNodes.test(node)) {
                break;
              }
              victims = new ArrayList<>();
            }
            victims.add(pod);
          }
          if (victims != null) {
            anyVictim = true;
            simulate(node, victims);
          }
        }
      }
      if (bestVictims != null) {
        return new ReclaimChoice.Victims(bestHarm.node(), bestVictims, reason(bestVictims));
      }
      if (!anyVictim) {
        return new ReclaimChoice.None(
            "no preemptible pods of projects over their fair share in pool " + reclaimer.pool()
                + " on the nodes the pod may use");
      }
      if (!simulated || closest == null) {
        return new ReclaimChoice.None(
            "no node with preemptible pods of projects over their fair share in pool " + reclaimer.pool()
                + " could ever hold " + reclaimer.request().describe());
      }
      if (!anyTaken) {
        return new ReclaimChoice.None(
            "no pod of a project over its fair share in pool " + reclaimer.pool() + " can be taken:"
                + " its project would drop below its deserved quota or is down to its fair share,"
                + " its gang has members that cannot be taken, or its node's ledger does not hold it");
      }
      Refusal still = placement.check(closest, reclaimer.request(), memo);
      return new ReclaimChoice.None(
          "not enough could be freed on any single node: the most any node could free is on "
              + closest.name() + " (evicting " + pods(closestEvicted) + "), which would still fail: "
              + (still == null ? reclaimer.request().describe() : still.reason()));
    }

    /** Whether the pod may be a victim at all, before gangs and what others took. */
    private boolean mayBeVictim(RunningPod pod) {
      return pod.preemptible()
          && pod.pool().equals(reclaimer.pool())
          && overProjects.containsKey(pod.project());
    }

    /** Takes victims on one node until the pod fits; records the node if it is the best so far. */
    private void simulate(NodeState node, List<RunningPod> victims) {
      Refusal before = placement.check(node, reclaimer.request(), memo);
      if (before != null && before.unresolvable()) {
        return; // no eviction can make this node fit
      }
      simulated = true;
      simulation++;
      victims.sort(CHEAPEST_FIRST);
      int n = victims.size();
      int[] projectOf = new int[n];
      for (int i = 0; i < n; i++) {
        projectOf[i] = overProjects.get(victims.get(i).project());
      }
      boolean[] done = new boolean[n];
      List<Unit> units = new ArrayList<>();
      NodeState state = node;
      boolean fits = false;
      for (int level = 0; level < n && !fits; ) {
        if (bestHarm != null && victims.get(level).priority() > bestHarm.maxPriority()) {
          return; // whatever fits here evicts a pod more important than the best node's victims
        }
        int end = level;
        while (end < n && victims.get(end).priority() == victims.get(level).priority()) {
          end++;
        }
        for (int left = end - level; left > 0 && !fits; left--) {
          int next = furthestOverFairShare(projectOf, done, level, end);
          done[next] = true;
          Unit unit = unitOf(victims.get(next));
          NodeState after = take(unit, state);
          if (after != null) {
            units.add(unit);
            state = after;
            fits = placement.fits(state, reclaimer.request());
          }
        }
        level = end;
      }
      if (units.isEmpty()) {
        considerClosest(node, 0);
        return;
      }
      anyTaken = true;
      if (!fits) {
        considerClosest(state, units.stream().mapToInt(u -> u.members.size()).sum());
        return;
      }
      trim(node, units);
      int pods = 0;
      double gpus = 0;
      int maxPriority = Integer.MIN_VALUE;
      for (Unit unit : units) {
        pods += unit.members.size();
        gpus += unit.totalGpus;
        maxPriority = Math.max(maxPriority, unit.maxPriority);
      }
      Harm harm = new Harm(maxPriority, pods, gpus, node.name());
      if (bestHarm == null || harm.compareTo(bestHarm) < 0) {
        bestHarm = harm;
        Map<String, RunningPod> chosen = new LinkedHashMap<>();
        for (Unit unit : units) {
          unit.members.forEach(member -> chosen.putIfAbsent(member.uid(), member));
        }
        bestVictims = List.copyOf(chosen.values());
      }
    }

    /**
     * Among the victims not yet considered in {@code [from, to)} (all of one priority), the one
     * whose project is furthest above its fair share after what this node already took; on a tie
     * the first in {@link #CHEAPEST_FIRST} order.
     */
    private int furthestOverFairShare(int[] projectOf, boolean[] done, int from, int to) {
      int best = -1;
      double bestOver = 0;
      for (int i = from; i < to; i++) {
        if (done[i]) {
          continue;
        }
        int project = projectOf[i];
        double over = allocated[project] - taken(project) - fairShare[project];
        if (best < 0 || over > bestOver + EPSILON) {
          best = i;
          bestOver = over;
        }
      }
      return best;
    }

    /**
     * The node's ledger without the unit's members on it, recording what the unit takes from each
     * project; null (and nothing recorded) when the unit may not be taken or frees nothing here.
     */
    private NodeState take(Unit unit, NodeState state) {
      if (unit.takenIn == simulation || unit.passedIn == simulation) {
        return null;
      }
      if (!unit.eligible || !projectsCanGive(unit)) {
        unit.passedIn = simulation;
        return null;
      }
      NodeState after = state;
      for (RunningPod member : unit.members) {
        if (member.node().equals(state.name())) {
          after = after.without(member.uid());
        }
      }
      if (after == state) {
        unit.passedIn = simulation; // the ledger holds none of them here
        return null;
      }
      for (int i = 0; i < unit.projects.length; i++) {
        int project = unit.projects[i];
        taken[project] = taken(project) + unit.gpus[i];
        takenIn[project] = simulation;
      }
      unit.takenIn = simulation;
      return after;
    }

    /** GPUs the current node's victims so far take from the project. */
    private double taken(int project) {
      return takenIn[project] == simulation ? taken[project] : 0;
    }

    /**
     * Every project the unit takes from is still above its fair share before, and stays at or
     * above its deserved quota after.
     */
    private boolean projectsCanGive(Unit unit) {
      for (int i = 0; i < unit.projects.length; i++) {
        int project = unit.projects[i];
        double holds = allocated[project] - taken(project);
        if (!(holds > fairShare[project] + EPSILON) || holds - unit.gpus[i] < deserved[project] - EPSILON) {
          return false;
        }
      }
      return true;
    }

    /**
     * Puts back victims the pod turned out not to need, trying the most recently taken (the most
     * important) first; the last one taken is needed, as the pod did not fit before it left.
     */
    private void trim(NodeState node, List<Unit> units) {
      for (int i = units.size() - 2; i >= 0; i--) {
        Unit unit = units.remove(i);
        if (!placement.fits(without(node, units), reclaimer.request())) {
          units.add(i, unit);
        }
      }
    }

    private NodeState without(NodeState node, List<Unit> units) {
      Set<String> leaving = new HashSet<>();
      for (Unit unit : units) {
        leaving.addAll(unit.uids);
      }
      Collection<Allocation> all = node.allocations().values();
      List<Allocation> staying = new ArrayList<>(all.size());
      for (Allocation allocation : all) {
        if (!leaving.contains(allocation.pod().uid())) {
          staying.add(allocation);
        }
      }
      return NodeState.of(node.node(), staying);
    }

    /** Keeps the node whose ledger, after its victims left, has the most room for the pod. */
    private void considerClosest(NodeState state, int evicted) {
      long room =
          reclaimer.request().kind() == GpuRequest.Kind.WHOLE ? state.freeWholeGpus() : state.maxFreeMiB();
      if (room > closestRoom || (room == closestRoom && state.name().compareTo(closest.name()) < 0)) {
        closest = state;
        closestRoom = room;
        closestEvicted = evicted;
      }
    }

    /**
     * The unit the victim leaves with: itself when it is in no gang, or elastic and its gang keeps
     * its minMember without it and the elastic mates this node already took; else its whole gang,
     * as known from the running pods.
     */
    private Unit unitOf(RunningPod victim) {
      if (victim.gang() == null) {
        return new Unit(List.of(victim), overProjects, reclaimer.pool());
      }
      if (victim.elastic() && victim.gangMinimum() > 0) {
        List<Unit> shrunk = elastic.computeIfAbsent(victim.gang(), g -> new ArrayList<>());
        int takenHere = 0;
        Unit own = null;
        for (Unit unit : shrunk) {
          takenHere += unit.takenIn == simulation ? 1 : 0;
          own = unit.uids.contains(victim.uid()) ? unit : own;
        }
        int running = runningByGang.getOrDefault(victim.gang(), List.of(victim)).size();
        if (running - takenHere - 1 >= victim.gangMinimum()) {
          if (own == null) {
            own = new Unit(List.of(victim), overProjects, reclaimer.pool());
            shrunk.add(own);
          }
          return own;
        }
        // Below its minimum without it: the gang leaves whole. Mates taken alone before are in
        // that unit again; taking them twice only counts their GPUs twice against their project,
        // which can refuse a reclaim but never over-take.
      }
      Unit known = gangs.get(victim.gang());
      if (known != null && known.uids.contains(victim.uid())) {
        return known;
      }
      Map<String, RunningPod> members = new LinkedHashMap<>();
      members.put(victim.uid(), victim);
      for (RunningPod mate : runningByGang.getOrDefault(victim.gang(), List.of())) {
        members.putIfAbsent(mate.uid(), mate);
      }
      Unit unit = new Unit(List.copyOf(members.values()), overProjects, reclaimer.pool());
      if (known == null) {
        gangs.put(victim.gang(), unit);
      }
      return unit;
    }

    private String reason(List<RunningPod> victims) {
      StringBuilder text = new StringBuilder()
          .append("reclaimed by ").append(reclaimer.key())
          .append(" of project ").append(reclaimer.project())
          .append(" (under its fair share of ").append(gpus(own.fairShare()))
          .append(" GPUs in pool ").append(reclaimer.pool()).append(")");
      Set<String> told = new HashSet<>();
      for (RunningPod victim : victims) {
        Integer project = overProjects.get(victim.project());
        if (project != null && told.add(victim.project())) {
          text.append("; project ").append(victim.project())
              .append(" holds ").append(gpus(allocated[project]))
              .append(" GPUs, fair share ").append(gpus(fairShare[project]));
        }
      }
      return text.toString();
    }
  }

  /** GPUs with two decimals, "4.00". */
  private static String gpus(double gpus) {
    return GpuRequest.hundredthsText(Math.round(gpus * 100));
  }

  private static String pods(int n) {
    return n + (n == 1 ? " pod" : " pods");
  }
}
