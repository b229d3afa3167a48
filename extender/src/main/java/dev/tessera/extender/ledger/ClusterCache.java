package dev.tessera.extender.ledger;

import dev.tessera.api.WellKnown;
import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.extender.model.GpuNode;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.NodePool;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.scheduling.Allocation;
import dev.tessera.extender.scheduling.ClusterSnapshot;
import dev.tessera.extender.scheduling.GangPlanner;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.scheduling.Placement;
import dev.tessera.extender.scheduling.Refusal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The extender's view of the cluster: nodes' GPU inventories and the ledger of which pod holds
 * which GPU. Informer events and binds change it; filter and prioritize read immutable
 * {@link ClusterSnapshot}s of it without locking.
 *
 * <p>Writers take one lock, apply the change, and publish a new snapshot before releasing it, so
 * a snapshot is always a state the cache really was in. A pod's hold moves through {@link Stage}s:
 * filter <em>nominates</em> the node it chose (its GPUs are held at once, so the filter of the next
 * pod, which kube-scheduler runs while this one's bind is in flight, sees them taken), a gang's
 * plan <em>reserves</em> its members' places, a bind takes the hold over, the API server's answer
 * makes it <em>bound</em>, and the informer <em>confirms</em> it. Nominations and binds that never
 * finish lapse after their TTL; a bound pod's GPUs stay held until the informer shows it, however
 * slow the API server is.
 */
public final class ClusterCache {
  private static final Logger log = LoggerFactory.getLogger(ClusterCache.class);

  /** What {@link #assume} decided. */
  public sealed interface AssumeResult {
    record Assumed(GpuAssignment assignment) implements AssumeResult {}

    record Refused(String reason) implements AssumeResult {}
  }

  /** Where a pod's hold on GPUs stands, from filter's choice to the informer's confirmation. */
  public enum Stage {
    /** Filter chose this node for the pod; kube-scheduler's bind is expected within the nomination TTL. */
    NOMINATED,
    /** A gang's plan holds the place until the member is bound or the gang times out. */
    RESERVED,
    /** The bind is under way (or its outcome is still being found out); expires after the assume TTL. */
    BINDING,
    /** The API server accepted the binding; the informer has not shown it yet. Never expires. */
    BOUND,
    /** The informer shows the pod bound with this assignment. */
    CONFIRMED;

    /** Held before the informer confirmed it: not yet the cluster's record. */
    boolean assumed() {
      return this != CONFIRMED;
    }
  }

  /**
   * One pod's hold on GPUs.
   *
   * @param until when a {@link Stage#NOMINATED}, {@link Stage#RESERVED} or {@link Stage#BINDING}
   *     hold lapses; null for the others
   * @param gang for a gang member's reservation: the gang's key; null otherwise
   */
  public record Hold(Allocation allocation, Stage stage, Instant until, String gang) {
    static Hold confirmed(Allocation allocation) {
      return new Hold(allocation, Stage.CONFIRMED, null, null);
    }

    public String node() {
      return allocation.node();
    }

    public GpuAssignment assignment() {
      return allocation.assignment();
    }

    boolean assumed() {
      return stage.assumed();
    }

    boolean reservation() {
      return stage == Stage.RESERVED;
    }

    boolean lapsed(Instant now) {
      return until != null && !now.isBefore(until) && stage != Stage.RESERVED;
    }
  }

  /** How long a node chosen by filter stays held for the pod when no bind comes. */
  public static final Duration DEFAULT_NOMINATION_TTL = Duration.ofSeconds(10);

  private final Clock clock;
  private final Duration assumeTtl;
  private final Duration nominationTtl;
  private final Placement placement;
  private final ReentrantLock lock = new ReentrantLock();

  // Guarded by lock.
  /** Nodes as the API server describes them (labels, allocatable). */
  private final Map<String, GpuNode> nodes = new HashMap<>();
  /** Nodes as their agents last reported them, while the reports are fresh. */
  private final Map<String, AgentView> agentViews = new HashMap<>();
  private final Map<String, Hold> pods = new HashMap<>();
  /** Gang key to its members holding reservations (not yet being bound), by UID. */
  private final Map<String, Map<String, PodKey>> reservedByGang = new HashMap<>();
  private final Map<String, Map<String, Allocation>> allocationsByNode = new HashMap<>();
  /** Foreign pods whose node is not known yet or has no room in the ledger, by UID. */
  private final Map<String, ForeignPod> unplacedForeign = new HashMap<>();
  /** Node pools in the order they were defined; nodes none selects are in the default pool. */
  private List<NodePool> pools = List.of();
  private long version;

  /** Holds not yet confirmed by the informer, by pod UID; written under the lock, read without it. */
  private final Map<String, Hold> unconfirmed = new ConcurrentHashMap<>();

  private volatile ClusterSnapshot snapshot = ClusterSnapshot.EMPTY;
  private volatile boolean synced;

  public ClusterCache(Clock clock, Duration assumeTtl, Placement placement) {
    this(clock, assumeTtl, DEFAULT_NOMINATION_TTL, placement);
  }

  /**
   * @param assumeTtl how long a bind's hold lasts while its outcome is unknown
   * @param nominationTtl how long a node filter chose stays held for the pod if no bind comes
   */
  public ClusterCache(Clock clock, Duration assumeTtl, Duration nominationTtl, Placement placement) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.assumeTtl = Objects.requireNonNull(assumeTtl, "assumeTtl");
    this.nominationTtl = Objects.requireNonNull(nominationTtl, "nominationTtl");
    this.placement = Objects.requireNonNull(placement, "placement");
  }

  /** The latest published state; never blocks. */
  public ClusterSnapshot snapshot() {
    return snapshot;
  }

  public Placement placement() {
    return placement;
  }

  /** Set once the informers have listed everything; until then the cache may miss capacity. */
  public void markSynced() {
    synced = true;
  }

  public boolean synced() {
    return synced;
  }

  public void upsertNode(GpuNode node) {
    lock.lock();
    try {
      GpuNode previous = nodes.put(node.name(), node);
      if (node.equals(previous)) {
        return;
      }
      publish(NodeState.of(effective(node), allocationsOn(node.name()).values()));
      retryForeignOn(node.name());
    } finally {
      lock.unlock();
    }
  }

  public void removeNode(String name) {
    lock.lock();
    try {
      agentViews.remove(name);
      if (nodes.remove(name) != null) {
        snapshot = snapshot.without(name, ++version);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * The node's agent reported: from now on its GPUs and measured use come from the report. Null
   * clears it (the report went stale), and the node's labels describe it again.
   *
   * @return false when the API server has no such node (the report is not kept)
   */
  public boolean agentReported(String nodeName, AgentView view) {
    lock.lock();
    try {
      GpuNode labelled = nodes.get(nodeName);
      if (labelled == null) {
        agentViews.remove(nodeName);
        return false;
      }
      AgentView previous = view == null ? agentViews.remove(nodeName) : agentViews.put(nodeName, view);
      if (!Objects.equals(previous, view)) {
        publish(NodeState.of(effective(labelled), allocationsOn(nodeName).values()));
        retryForeignOn(nodeName);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Sets the node pools (validated: no two overlap) and moves every node into the pool that now
   * selects it.
   */
  public void nodePools(List<NodePool> newPools) {
    lock.lock();
    try {
      List<NodePool> copy = List.copyOf(newPools);
      if (copy.equals(pools)) {
        return;
      }
      pools = copy;
      for (GpuNode node : nodes.values()) {
        publish(NodeState.of(effective(node), allocationsOn(node.name()).values()));
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * The node as placement should see it: its agent's report when there is one, else its labels;
   * in the pool that selects it, placing GPU pods by its own strategy label, else its pool's.
   */
  private GpuNode effective(GpuNode labelled) {
    AgentView view = agentViews.get(labelled.name());
    GpuNode node = view == null ? labelled : labelled.withGpus(view.gpus(), view.observed(), view.swapMiB());
    for (NodePool pool : pools) {
      if (pool.selects(node.labels())) {
        PlacementStrategy strategy = node.strategy() != null ? node.strategy() : pool.gpuStrategy();
        return node.inPool(pool.name(), strategy);
      }
    }
    return node.pool().equals(WellKnown.DEFAULT_POOL) ? node : node.inPool(WellKnown.DEFAULT_POOL, node.strategy());
  }

  /**
   * The informer saw the pod bound with this assignment: record it as held, confirming an
   * assumption for the same pod. Replaces whatever the pod held before.
   */
  public void podBound(PodKey pod, GpuAssignment assignment) {
    lock.lock();
    try {
      Hold current = pods.get(pod.uid());
      if (current != null
          && !current.assumed()
          && current.allocation().assignment().equals(assignment)) {
        return; // a resync repeating what we know
      }
      if (current != null
          && current.assumed()
          && !current.allocation().assignment().equals(assignment)) {
        log.warn(
            "pod {} was assumed on {} but is bound with assignment {}; the cluster's record wins",
            pod, current.allocation().assignment(), assignment);
      }
      put(Hold.confirmed(new Allocation(pod, assignment, false)));
    } finally {
      lock.unlock();
    }
  }

  /**
   * The informer saw a pod bound with GPUs but no assignment of ours (another scheduler placed
   * it, or it predates Tessera). Its GPUs are in use all the same: hold the ones our own choice
   * would give it, so nothing else is placed on them.
   */
  public void podBoundWithoutAssignment(PodKey pod, String node, GpuRequest request) {
    podBoundWithoutAssignment(new ForeignPod(pod, node, request));
  }

  public void podBoundWithoutAssignment(ForeignPod pod) {
    lock.lock();
    try {
      if (!pods.containsKey(pod.key().uid())) {
        placeForeign(pod);
      }
    } finally {
      lock.unlock();
    }
  }

  /** A pod bound with GPUs but without a Tessera assignment. */
  public record ForeignPod(PodKey key, String node, GpuRequest request) {
    public ForeignPod {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(node, "node");
      Objects.requireNonNull(request, "request");
    }
  }

  /**
   * Holds GPUs for a foreign pod, or parks it until its node is known or has room: its GPUs are
   * busy whether or not the ledger can say which.
   */
  private void placeForeign(ForeignPod pod) {
    NodeState state = snapshot.node(pod.node());
    GpuAssignment assignment = state == null ? null : placement.pick(state, pod.request());
    if (assignment == null) {
      if (unplacedForeign.put(pod.key().uid(), pod) == null && state != null) {
        log.warn(
            "pod {} on node {} uses {} without a {} annotation and the ledger has no room for it:"
                + " the node is over-committed; it is held as soon as room appears",
            pod.key(), pod.node(), pod.request().describe(), WellKnown.GPU_ASSIGNMENT);
      }
      return;
    }
    unplacedForeign.remove(pod.key().uid());
    log.info(
        "pod {} on node {} uses {} without a Tessera assignment; holding GPUs {} for it",
        pod.key(), pod.node(), pod.request().describe(), assignment.shares());
    put(Hold.confirmed(new Allocation(pod.key(), assignment, false)));
  }

  private void retryForeignOn(String node) {
    for (ForeignPod pod : List.copyOf(unplacedForeign.values())) {
      if (pod.node().equals(node)) {
        placeForeign(pod);
      }
    }
  }

  /** The pod was deleted or finished: release what it held. */
  public void podGone(String uid) {
    lock.lock();
    try {
      unplacedForeign.remove(uid);
      Hold previous = pods.get(uid);
      remove(uid);
      if (previous != null) {
        retryForeignOn(previous.allocation().node()); // room was freed there
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Filter chose {@code node} for the pod: holds GPUs there for it at once, so the next pod's
   * filter, running while this one's bind is still on its way, sees them taken. Replaces the pod's
   * earlier nomination (kube-scheduler tries a pod again after a failed attempt). The hold lapses
   * after the nomination TTL unless a bind takes it over ({@link #assume}).
   */
  public AssumeResult nominate(PodKey pod, String node, GpuRequest request) {
    if (request.kind() == GpuRequest.Kind.INVALID || !request.wantsGpu()) {
      return new AssumeResult.Refused("pod " + pod + " asks for no valid GPU request; there is nothing to hold");
    }
    lock.lock();
    try {
      Hold current = pods.get(pod.uid());
      if (current != null) {
        switch (current.stage()) {
          case NOMINATED -> {
            if (current.allocation().node().equals(node)) {
              put(new Hold(current.allocation(), Stage.NOMINATED, clock.instant().plus(nominationTtl), null));
              return new AssumeResult.Assumed(current.allocation().assignment());
            }
            remove(pod.uid());
          }
          case RESERVED -> {
            return current.allocation().node().equals(node)
                ? new AssumeResult.Assumed(current.allocation().assignment())
                : new AssumeResult.Refused("pod " + pod + " is reserved on node " + current.allocation().node()
                    + " by gang " + current.gang() + "'s plan, not on " + node);
          }
          case BINDING -> {
            return new AssumeResult.Refused(
                "pod " + pod + " is being bound to node " + current.allocation().node() + " already");
          }
          case BOUND, CONFIRMED -> {
            return new AssumeResult.Refused(
                "pod " + pod + " is bound to node " + current.allocation().node() + " already");
          }
        }
      }
      return holdIfFits(pod, node, request, Stage.NOMINATED, nominationTtl);
    } finally {
      lock.unlock();
    }
  }

  /**
   * The pod is about to be bound to {@code node}: holds its GPUs there against the current ledger
   * (the ones filter nominated, or a gang reserved, when on this node), so two binds racing for the
   * last capacity cannot both win. A repeated call for a pod already being bound to the same node
   * returns the same assignment. Follow with {@link #bound} or {@link #forget}.
   */
  public AssumeResult assume(PodKey pod, String node, GpuRequest request) {
    if (request.kind() == GpuRequest.Kind.INVALID) {
      return new AssumeResult.Refused("pod " + pod + ": " + request.invalidReason());
    }
    if (!request.wantsGpu()) {
      return new AssumeResult.Refused("pod " + pod + " asks for no GPU; there is nothing to hold");
    }
    lock.lock();
    try {
      Hold current = pods.get(pod.uid());
      if (current != null) {
        boolean here = current.allocation().node().equals(node);
        switch (current.stage()) {
          case RESERVED -> {
            if (!here) {
              return new AssumeResult.Refused(
                  "pod " + pod + " is reserved on node " + current.allocation().node() + " by gang "
                      + current.gang() + "'s plan, not on " + node);
            }
            return takeOver(current);
          }
          case NOMINATED -> {
            if (here) {
              return takeOver(current);
            }
            remove(pod.uid()); // kube-scheduler chose otherwise after all: place it afresh below
          }
          case BINDING -> {
            return here
                ? new AssumeResult.Assumed(current.allocation().assignment())
                : new AssumeResult.Refused("pod " + pod + " is being bound to node " + current.allocation().node());
          }
          case BOUND, CONFIRMED -> {
            return new AssumeResult.Refused(
                "pod " + pod + " already holds GPUs on node " + current.allocation().node());
          }
        }
      }
      return holdIfFits(pod, node, request, Stage.BINDING, assumeTtl);
    } finally {
      lock.unlock();
    }
  }

  /**
   * As {@link #assume}, for a gang member that was reserved when its bind began: refused unless
   * its reservation still stands. The gang's plan may be given up while the bind waits for its
   * mates ({@link #releaseGang}); the member must then not be bound on its own.
   */
  public AssumeResult assumeReserved(PodKey pod, String node, GpuRequest request, String gang) {
    lock.lock();
    try {
      Hold current = pods.get(pod.uid());
      if (current == null || current.stage() != Stage.RESERVED) {
        return new AssumeResult.Refused("gang " + gang + "'s plan was given up while pod " + pod
            + " waited to bind (the gang is planned again); it is bound only with its gang");
      }
      return assume(pod, node, request);
    } finally {
      lock.unlock();
    }
  }

  /** A nomination or reservation becomes the bind's hold: the same GPUs, the bind's TTL. */
  private AssumeResult takeOver(Hold current) {
    put(new Hold(current.allocation(), Stage.BINDING, clock.instant().plus(assumeTtl), null));
    return new AssumeResult.Assumed(current.allocation().assignment());
  }

  private AssumeResult holdIfFits(PodKey pod, String node, GpuRequest request, Stage stage, Duration ttl) {
    NodeState state = snapshot.node(node);
    if (state == null) {
      return new AssumeResult.Refused("node " + node + " is not known to the extender");
    }
    Refusal failure = placement.check(state, request);
    if (failure != null) {
      return new AssumeResult.Refused("node " + node + " cannot take it now: " + failure.reason());
    }
    GpuAssignment assignment = placement.pick(state, request);
    put(new Hold(new Allocation(pod, assignment, true), stage, clock.instant().plus(ttl), null));
    return new AssumeResult.Assumed(assignment);
  }

  /**
   * The API server accepted the pod's binding: its GPUs stay held, whatever time passes, until the
   * informer shows the pod bound (or deleted, or finished). Only a failed bind frees them.
   */
  public void bound(String uid) {
    lock.lock();
    try {
      Hold current = pods.get(uid);
      if (current != null && current.stage() == Stage.BINDING) {
        put(new Hold(current.allocation(), Stage.BOUND, null, null));
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * The bind failed, or filter's choice is void: releases the pod's hold unless the API server
   * has it bound already ({@link Stage#BOUND}, {@link Stage#CONFIRMED}).
   */
  public void forget(String uid) {
    lock.lock();
    try {
      Hold current = pods.get(uid);
      if (current != null && current.stage() != Stage.BOUND && current.stage() != Stage.CONFIRMED) {
        remove(uid);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Releases the pod's nomination, if it has one: kube-scheduler is filtering the pod again (its
   * last attempt failed after filter), and the pod must not find its own hold in the way.
   */
  public void dropNomination(String uid) {
    Hold hold = unconfirmed.get(uid);
    if (hold == null || hold.stage() != Stage.NOMINATED) {
      return;
    }
    lock.lock();
    try {
      Hold current = pods.get(uid);
      if (current != null && current.stage() == Stage.NOMINATED) {
        remove(uid);
      }
    } finally {
      lock.unlock();
    }
  }

  /** A hold that lapsed: a nomination no bind took over, or a bind whose outcome never came. */
  public record Lapsed(PodKey pod, Stage stage) {}

  /**
   * Drops nominations and binds whose TTL passed (kube-scheduler abandoned the choice, or a bind
   * never finished). Holds of bound pods never lapse; gang reservations end with their gang.
   */
  public List<Lapsed> expireAssumptions() {
    Instant now = clock.instant();
    List<Lapsed> expired = new ArrayList<>();
    lock.lock();
    try {
      for (Hold entry : List.copyOf(pods.values())) {
        if (entry.lapsed(now)) {
          remove(entry.allocation().pod().uid());
          expired.add(new Lapsed(entry.allocation().pod(), entry.stage()));
        }
      }
    } finally {
      lock.unlock();
    }
    for (Lapsed lapsed : expired) {
      if (lapsed.stage() == Stage.BINDING) {
        log.warn("the bind of pod {} did not finish within {}; its GPUs are free again", lapsed.pod(), assumeTtl);
      } else {
        log.debug("kube-scheduler did not bind pod {} to the node filter chose within {}; the hold lapsed",
            lapsed.pod(), nominationTtl);
      }
    }
    return expired;
  }

  /** The stage of the pod's hold, or null when it holds nothing. */
  public Stage stage(String uid) {
    lock.lock();
    try {
      Hold entry = pods.get(uid);
      return entry == null ? null : entry.stage();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Replaces nodes and bound pods with a full listing (startup after sync, periodic resync),
   * keeping pending assumptions. Returns how many pods' records changed: more than zero after
   * startup means events were missed.
   */
  public int replaceAll(Collection<GpuNode> allNodes, Collection<Allocation> bound) {
    return replaceAll(allNodes, bound, List.of());
  }

  /**
   * As {@link #replaceAll(Collection, Collection)}, with the pods bound with GPUs but no
   * assignment: those already held keep their GPUs, new ones are held as the listing is applied.
   */
  public int replaceAll(
      Collection<GpuNode> allNodes, Collection<Allocation> bound, Collection<ForeignPod> foreign) {
    lock.lock();
    try {
      Map<String, Hold> fresh = new HashMap<>();
      for (Allocation allocation : bound) {
        fresh.put(allocation.pod().uid(), Hold.confirmed(new Allocation(allocation.pod(), allocation.assignment(), false)));
      }
      List<ForeignPod> toPlace = new ArrayList<>();
      for (ForeignPod pod : foreign) {
        if (fresh.containsKey(pod.key().uid())) {
          continue;
        }
        Hold held = pods.get(pod.key().uid());
        if (held != null && !held.assumed() && held.allocation().node().equals(pod.node())) {
          fresh.put(pod.key().uid(), held);
        } else {
          toPlace.add(pod);
        }
      }
      int changed = 0;
      for (ForeignPod pod : toPlace) {
        String uid = pod.key().uid();
        if (!pods.containsKey(uid) && !unplacedForeign.containsKey(uid)) {
          changed++; // a foreign pod no event told us about
        }
      }
      for (Map.Entry<String, Hold> old : pods.entrySet()) {
        Hold now = fresh.get(old.getKey());
        if (old.getValue().assumed()) {
          if (now == null) {
            fresh.put(old.getKey(), old.getValue());
          }
        } else if (now == null || !now.allocation().equals(old.getValue().allocation())) {
          changed++;
        }
      }
      for (String uid : fresh.keySet()) {
        if (!pods.containsKey(uid)) {
          changed++;
        }
      }
      nodes.clear();
      for (GpuNode node : allNodes) {
        nodes.put(node.name(), node);
      }
      agentViews.keySet().retainAll(nodes.keySet());
      pods.clear();
      pods.putAll(fresh);
      unconfirmed.clear();
      reservedByGang.clear();
      for (Hold entry : pods.values()) {
        if (entry.assumed()) {
          unconfirmed.put(entry.allocation().pod().uid(), entry);
        }
        if (entry.reservation()) {
          indexReservation(entry);
        }
      }
      allocationsByNode.clear();
      for (Hold entry : pods.values()) {
        allocationsOn(entry.allocation().node()).put(entry.allocation().pod().uid(), entry.allocation());
      }
      List<NodeState> states = new ArrayList<>(nodes.size());
      for (GpuNode node : nodes.values()) {
        states.add(NodeState.of(effective(node), allocationsOn(node.name()).values()));
      }
      snapshot = ClusterSnapshot.of(states, ++version);
      unplacedForeign.clear();
      for (ForeignPod pod : toPlace) {
        placeForeign(pod);
      }
      return changed;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Plans the gang's members against the current ledger and, if all of them fit, holds their GPUs
   * at once until {@code until} (or until each is bound): from then on no other pod can take that
   * capacity, and each member can only be bound to its planned node.
   *
   * <p>Planning (milliseconds for a large gang) happens outside the lock, on a snapshot; the lock is
   * taken only to check and commit: if every node the plan uses is still the state it planned on
   * (node states are replaced, never changed, so identity says "unchanged") and no member got a
   * hold meanwhile, the plan is as valid as one made under the lock, and its holds are put. Two
   * gangs racing for the same capacity therefore still see each other's reservations: the second
   * to commit finds a node changed and plans again. Filter calls that hold a node for a single pod
   * never wait for a gang's planning. After {@value #OPTIMISTIC_PLANS} plans overtaken by changes,
   * the gang is planned under the lock, so it cannot starve.
   */
  public GangPlanner.Plan reserveGang(
      String gang,
      List<GangPlanner.Member> members,
      GangPlanner planner,
      Predicate<NodeState> allowed,
      Instant until) {
    for (int attempt = 0; attempt < OPTIMISTIC_PLANS; attempt++) {
      ClusterSnapshot seen = snapshot;
      List<GangPlanner.Member> free = withoutHolds(members, unconfirmed);
      GangPlanner.Plan plan = planner.plan(seen, free, allowed);
      if (!(plan instanceof GangPlanner.Plan.Placed placed)) {
        return plan; // did not fit the ledger as it was; the refusal wakes it when room appears
      }
      lock.lock();
      try {
        if (stillValid(seen, placed, free, members)) {
          reserve(gang, placed, until);
          return plan;
        }
      } finally {
        lock.unlock();
      }
    }
    lock.lock();
    try {
      GangPlanner.Plan plan = planner.plan(snapshot, withoutHolds(members, pods), allowed);
      if (plan instanceof GangPlanner.Plan.Placed placed) {
        reserve(gang, placed, until);
      }
      return plan;
    } finally {
      lock.unlock();
    }
  }

  /** The members without an entry in {@code holds}. */
  private static List<GangPlanner.Member> withoutHolds(List<GangPlanner.Member> members, Map<String, Hold> holds) {
    List<GangPlanner.Member> free = new ArrayList<>(members.size());
    for (GangPlanner.Member member : members) {
      if (!holds.containsKey(member.pod().uid())) {
        free.add(member);
      }
    }
    return free;
  }

  /** Under the lock: holds the plan's GPUs for its members. */
  private void reserve(String gang, GangPlanner.Plan.Placed placed, Instant until) {
    placed.assignments().forEach((pod, assignment) ->
        put(new Hold(new Allocation(pod, assignment, true), Stage.RESERVED, until, gang)));
  }

  /** Plans made off the lock before one is made under it. */
  static final int OPTIMISTIC_PLANS = 3;

  /**
   * Under the lock: the nodes the plan uses are the states it was made on, and the members it
   * planned are exactly those still without a hold.
   */
  private boolean stillValid(
      ClusterSnapshot seen, GangPlanner.Plan.Placed placed, List<GangPlanner.Member> planned,
      List<GangPlanner.Member> members) {
    for (GpuAssignment assignment : placed.assignments().values()) {
      if (snapshot.node(assignment.node()) != seen.node(assignment.node())) {
        return false;
      }
    }
    return withoutHolds(members, pods).equals(planned);
  }

  /**
   * True while the pod holds GPUs the informer has not yet seen it bound with (nominated by filter,
   * reserved for its gang, being bound or bound). Never blocks.
   */
  public boolean holdsUnconfirmed(String uid) {
    return unconfirmed.containsKey(uid);
  }

  /** The pod's hold the informer has not confirmed yet, or null. Never blocks. */
  public Hold unconfirmed(String uid) {
    return unconfirmed.get(uid);
  }

  /** The GPUs reserved for a gang member not yet bound, or null. Never blocks. */
  public GpuAssignment reservation(String uid) {
    Hold hold = unconfirmed.get(uid);
    return hold != null && hold.reservation() ? hold.assignment() : null;
  }

  /**
   * Moves a gang member's reservation to {@code node}, keeping its gang and deadline: kube-scheduler
   * did not offer the node the plan chose. The rest of the plan stays. False, and nothing changed,
   * when the pod holds no reservation or the node has no room for it.
   */
  public boolean moveReservation(PodKey pod, String node, GpuRequest request) {
    lock.lock();
    try {
      Hold current = pods.get(pod.uid());
      if (current == null || !current.reservation()) {
        return false;
      }
      if (current.node().equals(node)) {
        return true;
      }
      NodeState state = snapshot.node(node);
      GpuAssignment assignment = state == null || placement.check(state, request) != null
          ? null : placement.pick(state, request);
      if (assignment == null) {
        return false;
      }
      put(new Hold(new Allocation(pod, assignment, true), Stage.RESERVED, current.until(), current.gang()));
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Gangs that hold reservations now. */
  public java.util.Set<String> reservedGangs() {
    lock.lock();
    try {
      return new java.util.HashSet<>(reservedByGang.keySet());
    } finally {
      lock.unlock();
    }
  }

  /** Releases the gang's reservations (members not yet bound); returns the members released. */
  public List<PodKey> releaseGang(String gang) {
    lock.lock();
    try {
      List<PodKey> released = reservedMembers(gang);
      released.forEach(pod -> remove(pod.uid()));
      return released;
    } finally {
      lock.unlock();
    }
  }

  /** The gang's members that hold a reservation and are not being bound yet. */
  public List<PodKey> reservedMembers(String gang) {
    lock.lock();
    try {
      Map<String, PodKey> members = reservedByGang.get(gang);
      return members == null ? new ArrayList<>() : new ArrayList<>(members.values());
    } finally {
      lock.unlock();
    }
  }

  /** The pod's allocation, assumed or bound, or null. */
  public Allocation allocation(String uid) {
    lock.lock();
    try {
      Hold entry = pods.get(uid);
      return entry == null ? null : entry.allocation();
    } finally {
      lock.unlock();
    }
  }

  private void put(Hold entry) {
    Allocation allocation = entry.allocation();
    String uid = allocation.pod().uid();
    Hold previous = pods.put(uid, entry);
    if (entry.assumed()) {
      unconfirmed.put(uid, entry);
    } else {
      unconfirmed.remove(uid);
    }
    if (previous != null && previous.reservation()) {
      unindexReservation(previous);
    }
    if (entry.reservation()) {
      indexReservation(entry);
    }
    if (previous != null && !previous.allocation().node().equals(allocation.node())) {
      detach(previous.allocation());
    }
    allocationsOn(allocation.node()).put(uid, allocation);
    NodeState state = snapshot.node(allocation.node());
    if (state != null) {
      publish(state.with(allocation));
    }
  }

  private void remove(String uid) {
    unconfirmed.remove(uid);
    Hold previous = pods.remove(uid);
    if (previous != null) {
      if (previous.reservation()) {
        unindexReservation(previous);
      }
      detach(previous.allocation());
    }
  }

  private void indexReservation(Hold reservation) {
    reservedByGang.computeIfAbsent(reservation.gang(), g -> new java.util.LinkedHashMap<>())
        .put(reservation.allocation().pod().uid(), reservation.allocation().pod());
  }

  private void unindexReservation(Hold reservation) {
    Map<String, PodKey> members = reservedByGang.get(reservation.gang());
    if (members != null) {
      members.remove(reservation.allocation().pod().uid());
      if (members.isEmpty()) {
        reservedByGang.remove(reservation.gang());
      }
    }
  }

  private void detach(Allocation allocation) {
    String uid = allocation.pod().uid();
    Map<String, Allocation> onNode = allocationsByNode.get(allocation.node());
    if (onNode != null) {
      onNode.remove(uid);
      if (onNode.isEmpty()) {
        allocationsByNode.remove(allocation.node());
      }
    }
    NodeState state = snapshot.node(allocation.node());
    if (state != null) {
      publish(state.without(uid));
    }
  }

  private Map<String, Allocation> allocationsOn(String node) {
    return allocationsByNode.computeIfAbsent(node, n -> new LinkedHashMap<>());
  }

  private void publish(NodeState state) {
    snapshot = snapshot.with(state, ++version);
  }
}
