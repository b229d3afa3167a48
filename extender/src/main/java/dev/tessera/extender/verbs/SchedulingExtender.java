package dev.tessera.extender.verbs;

import dev.tessera.api.WellKnown;
import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.extender.actions.BindResult;
import dev.tessera.extender.actions.PodEvents;
import dev.tessera.extender.controllers.RefusedPods;
import dev.tessera.extender.controllers.Unschedulable;
import dev.tessera.extender.gangs.GangCoordinator;
import dev.tessera.extender.gangs.PreemptionClaims;
import dev.tessera.extender.informers.PodGroupLookup;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.ledger.CpuLedger;
import dev.tessera.extender.ledger.PodIndex;
import dev.tessera.extender.ledger.RunningPods;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.model.PodGroup;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.model.Project;
import dev.tessera.extender.scheduling.ClusterSnapshot;
import dev.tessera.extender.scheduling.FailureMemo;
import dev.tessera.extender.scheduling.GpuFitRule;
import dev.tessera.extender.scheduling.GpuRequestParser;
import dev.tessera.extender.scheduling.NodeRule;
import dev.tessera.extender.scheduling.NodeRules;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.scheduling.Placement;
import dev.tessera.extender.scheduling.PodTraits;
import dev.tessera.extender.scheduling.PolicySnapshot;
import dev.tessera.extender.scheduling.PoolQuotaRule;
import dev.tessera.extender.scheduling.Preemptor;
import dev.tessera.extender.scheduling.QuotaAdmission;
import dev.tessera.extender.scheduling.ReasonClass;
import dev.tessera.extender.scheduling.Refusal;
import dev.tessera.extender.scheduling.RequestedNodes;
import dev.tessera.extender.scheduling.RunningPod;
import dev.tessera.extender.scheduling.VictimSelector;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.IntPredicate;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The extender's decisions: filter and prioritize answer from the cache's current snapshot; bind
 * assumes the pod's GPUs in the cache, then writes binding and assignment in one API call, and
 * forgets the assumption if that fails.
 */
public final class SchedulingExtender implements ExtenderHandler {
  private static final Logger log = LoggerFactory.getLogger(SchedulingExtender.class);

  /** Warning event on a fractional pod bound without {@value WellKnown#GPU_SHARE_RESOURCE}. */
  public static final String GPU_SHARE_MISSING = "GpuShareNotRequested";

  static final String UNKNOWN_NODE = "node is not known to the extender yet (its cache has no such node)";
  /** How long a gang member's bind waits for kube-scheduler to accept its gang mates' places. */
  static final Duration GANG_BIND_WAIT = Duration.ofSeconds(2);
  /** Nodes left out of an answer that chose another; never shown (kube-scheduler only reads the chosen). */
  static final String NOT_CHOSEN = "the extender chose another node";

  /**
   * A pod as the bind path needs it, read from the cluster.
   *
   * @param asksForGpuShare some container requests {@value WellKnown#GPU_SHARE_RESOURCE}
   * @param created its creation timestamp; {@link Instant#EPOCH} when unknown
   */
  public record PendingPod(
      PodKey key, GpuRequest request, boolean asksForGpuShare, PodTraits traits, Instant created) {
    public PendingPod {
      Objects.requireNonNull(created, "created");
    }

    public PendingPod(PodKey key, GpuRequest request, boolean asksForGpuShare, PodTraits traits) {
      this(key, request, asksForGpuShare, traits, Instant.EPOCH);
    }

    public PendingPod(PodKey key, GpuRequest request, boolean asksForGpuShare) {
      this(key, request, asksForGpuShare, PodTraits.of(key.namespace(), Map.of(), Map.of()));
    }
  }

  /**
   * Told of every GPU pod bound, after the API server accepted the binding (the created-to-bound
   * histogram). Runs on the bind's thread: it must be quick and must not block.
   */
  @FunctionalInterface
  public interface BindObserver {
    BindObserver NONE = (pod, created, node) -> {};

    /** @param created the pod's creation timestamp, {@link Instant#EPOCH} when unknown */
    void bound(PodKey pod, Instant created, String node);
  }

  /** Finds a pod by namespace and name among those the informers know (pending ones too). */
  @FunctionalInterface
  public interface PodLookup {
    Optional<PendingPod> find(String namespace, String name);
  }

  /**
   * Creates the binding, with the assignment when there is one and the annotations to write with
   * it; never throws for what the API server answers.
   */
  @FunctionalInterface
  public interface PodBinder {
    BindResult bind(PodKey pod, String node, GpuAssignment assignmentOrNull, Map<String, String> annotations);
  }

  /** What the extender consults about scheduling policy: projects, gangs, victims. */
  public record PolicyContext(
      Supplier<PolicySnapshot> policy,
      Supplier<PolicySnapshot> recomputedPolicy,
      GangCoordinator gangs,
      Unschedulable unschedulable,
      PodIndex pods,
      VictimSelector victims,
      MeterRegistry registry,
      CpuLedger cpu,
      ToLongFunction<PodKey> cpuRequests,
      PodGroupLookup podGroups,
      RefusedPods refused,
      PreemptionClaims claims,
      BindObserver bindObserver) {
    public PolicyContext {
      Objects.requireNonNull(bindObserver, "bindObserver");
      Objects.requireNonNull(claims, "claims");
      Objects.requireNonNull(podGroups, "podGroups");
      Objects.requireNonNull(refused, "refused");
      Objects.requireNonNull(cpu, "cpu");
      Objects.requireNonNull(cpuRequests, "cpuRequests");
      Objects.requireNonNull(registry, "registry");
      Objects.requireNonNull(policy, "policy");
      Objects.requireNonNull(gangs, "gangs");
      Objects.requireNonNull(unschedulable, "unschedulable");
      Objects.requireNonNull(pods, "pods");
      Objects.requireNonNull(victims, "victims");
    }

    /** As the canonical constructor, telling no one of binds. */
    public PolicyContext(
        Supplier<PolicySnapshot> policy,
        Supplier<PolicySnapshot> recomputedPolicy,
        GangCoordinator gangs,
        Unschedulable unschedulable,
        PodIndex pods,
        VictimSelector victims,
        MeterRegistry registry,
        CpuLedger cpu,
        ToLongFunction<PodKey> cpuRequests,
        PodGroupLookup podGroups,
        RefusedPods refused,
        PreemptionClaims claims) {
      this(policy, recomputedPolicy, gangs, unschedulable, pods, victims, registry, cpu, cpuRequests, podGroups,
          refused, claims, BindObserver.NONE);
    }
  }

  private final ClusterCache cache;
  private final PodGroupLookup podGroups;
  private final RefusedPods refused;
  private final BooleanSupplier ready;
  private final BooleanSupplier synced;
  private final Placement placement;
  /** Filter's per-node rules, in the order their reasons are preferred. */
  private final NodeRules rules;
  private final PodLookup pods;
  private final PodBinder binder;
  private final PodEvents events;
  private final Supplier<PolicySnapshot> policy;
  private final Supplier<PolicySnapshot> recomputedPolicy;
  /** Serialises quota checks with assumptions at bind, so racing binds cannot pass a limit together. */
  private final Object quotaLock = new Object();
  private final GangCoordinator gangs;
  private final Unschedulable unschedulable;
  private final PodIndex podIndex;
  private final VictimSelector victims;
  private final CpuLedger cpu;
  private final ToLongFunction<PodKey> cpuRequests;
  private final BindObserver bindObserver;
  private final Counter bindsRefusedForRoom;
  private final Counter bindsRefusedForQuota;
  private final Map<BindResult.Outcome, Counter> bindsByOutcome = new java.util.EnumMap<>(BindResult.Outcome.class);
  private final Counter bindsInDoubt;
  private final Counter preemptionKept;
  private final Counter preemptionDropped;
  /** One memo per I/O thread: filter runs on the event loops, never two calls on one thread at once. */
  private final ThreadLocal<FailureMemo> memos = ThreadLocal.withInitial(FailureMemo::new);

  /**
   * @param ready true once nodes, pods and the scheduling policy have all been listed: until then
   *     the HTTP layer holds kube-scheduler's calls
   */
  public SchedulingExtender(
      ClusterCache cache,
      PodLookup pods,
      PodBinder binder,
      PodEvents events,
      PolicyContext context,
      BooleanSupplier ready) {
    this(cache, pods, binder, events, context, ready, ready);
  }

  /**
   * @param ready true once this replica decides: its cache is filled and it leads
   * @param synced true once its cache is filled, leading or standing by
   */
  public SchedulingExtender(
      ClusterCache cache,
      PodLookup pods,
      PodBinder binder,
      PodEvents events,
      PolicyContext context,
      BooleanSupplier ready,
      BooleanSupplier synced) {
    this.cache = Objects.requireNonNull(cache, "cache");
    this.ready = Objects.requireNonNull(ready, "ready");
    this.synced = Objects.requireNonNull(synced, "synced");
    this.podGroups = context.podGroups();
    this.refused = context.refused();
    this.placement = cache.placement();
    // A node held for a preempting gang says so before its busy GPUs do: that is why it will stay
    // busy for this pod.
    this.rules = new NodeRules(List.of(context.claims(), new GpuFitRule(placement), new PoolQuotaRule()));
    this.pods = Objects.requireNonNull(pods, "pods");
    this.binder = Objects.requireNonNull(binder, "binder");
    this.events = Objects.requireNonNull(events, "events");
    this.policy = context.policy();
    this.recomputedPolicy = context.recomputedPolicy();
    this.gangs = context.gangs();
    this.unschedulable = context.unschedulable();
    this.podIndex = context.pods();
    this.victims = context.victims();
    this.cpu = context.cpu();
    this.cpuRequests = context.cpuRequests();
    this.bindObserver = context.bindObserver();
    this.bindsRefusedForRoom = bindCounter(context.registry(), "no_room");
    this.bindsRefusedForQuota = bindCounter(context.registry(), "over_quota");
    this.bindsInDoubt = bindCounter(context.registry(), "in_doubt");
    for (BindResult.Outcome outcome : BindResult.Outcome.values()) {
      bindsByOutcome.put(outcome, bindCounter(context.registry(), outcome.name().toLowerCase(java.util.Locale.ROOT)));
    }
    this.preemptionKept = Counter.builder("tessera.preemption.nodes").tag("outcome", "kept")
        .description("Candidate nodes of kube-scheduler's preemption the extender let stand")
        .register(context.registry());
    this.preemptionDropped = Counter.builder("tessera.preemption.nodes").tag("outcome", "dropped")
        .description("Candidate nodes dropped: a victim not preemptible, or its project would fall below deserved")
        .register(context.registry());
  }

  @Override
  public FilterDecision filter(WirePod pod, RequestedNodes nodes) {
    GpuRequest request = requestOf(pod);
    int sent = nodes.size();
    if (!request.wantsGpu()) {
      // Nothing of ours to check: CPU-only pods go wherever kube-scheduler's own plugins say.
      return FilterDecision.allPass(sent);
    }
    cache.dropNomination(pod.key().uid());
    Refusing refusing = new Refusing(pod.key(), request, PodTraits.of(pod.key().namespace(), pod.labels(), pod.annotations()),
        cache.snapshot(), policy.get(), sent);
    PodTraits traits = refusing.traits;
    PolicySnapshot policyNow = refusing.policy;
    String refusal = poolRefusal(traits, policyNow);
    if (refusal != null) {
      return refusing.everywhere(refusal, RefusedPods.Cause.POLICY, 0,
          traits.poolsError() != null ? ReasonClass.INVALID_REQUEST : ReasonClass.NODE_POOL);
    }
    refusal = beingBound(pod.key());
    if (refusal != null) {
      return refusing.everywhere(refusal, RefusedPods.Cause.CAPACITY, 0, ReasonClass.OTHER);
    }
    Project project = policyNow.projectOf(pod.key().namespace());
    if (traits.gang() != null) {
      FilterDecision gangDecision = filterGangMember(refusing, project, nodes, pod.priority());
      if (gangDecision != null) {
        return gangDecision;
      }
    }
    ClusterSnapshot snapshot = refusing.snapshot;
    String[] reasons = refusing.reasons;
    boolean[] unresolvable = refusing.unresolvable;
    NodeRules.Checks checks = rules.forPod(new NodeRule.Candidate(
        pod.key(), pod.priority(), request, traits, project, policyNow, memos.get().forRequest(request)));
    int passing = 0;
    ReasonClass firstClass = null;
    for (int i = 0; i < sent; i++) {
      NodeState node = snapshot.node(nodes, i);
      if (node == null) {
        reasons[i] = UNKNOWN_NODE;
        continue;
      }
      Refusal verdict = checks.check(node);
      if (verdict == null) {
        passing++;
      } else {
        reasons[i] = verdict.reason();
        unresolvable[i] = verdict.unresolvable();
        if (firstClass == null) {
          firstClass = verdict.reasonClass();
        }
      }
    }
    if (passing > 0 && traits.pools().size() > 1) {
      preferPool(traits, snapshot, nodes, reasons);
    }
    int chosen = passing == 0 ? FilterDecision.NONE_CHOSEN
        : nominateBest(pod.key(), request, project, snapshot, nodes, reasons, unresolvable, refusing);
    if (chosen == FilterDecision.NONE_CHOSEN) {
      // The class of the first rule's refusal; when every node passed the rules, nomination's.
      ReasonClass reasonClass = passing > 0 ? refusing.nominateClass : firstClass;
      return refusing.asReasoned(RefusedPods.Cause.CAPACITY, reasonClass == null ? ReasonClass.OTHER : reasonClass);
    }
    return refusing.chosen(chosen);
  }

  /**
   * A gang member's answer: the node its gang's plan reserved for it (planning the gang if this is
   * the first member asked about), or a refusal on every node saying why the gang cannot start
   * yet. Null when the pod's group makes it a gang of one, or its gang has its minimum without it,
   * and it is placed like any other pod. Reads the
   * pod group from the API server if the informers have not delivered it, so it runs off the I/O
   * threads ({@link #decidesOffLoop}).
   */
  private FilterDecision filterGangMember(Refusing refusing, Project project, RequestedNodes nodes, int priority) {
    PodKey pod = refusing.pod;
    String gang = refusing.traits.gang();
    PodGroup group = refusing.policy.podGroup(gang);
    if (group == null) {
      String name = gang.substring(gang.indexOf('/') + 1);
      PodGroupLookup.Result found = podGroups.find(pod.namespace(), name);
      if (found instanceof PodGroupLookup.Result.Found f) {
        group = f.group();
      } else {
        String why;
        if (found instanceof PodGroupLookup.Result.Rejected rejected) {
          why = "pod group " + gang + " is not accepted: " + rejected.reasons();
        } else if (found instanceof PodGroupLookup.Result.Unknown unknown) {
          why = "pod group " + gang + " is not known to the extender yet and " + unknown.why()
              + "; the pod is tried again when the group arrives";
        } else {
          why = "pod group " + gang + " does not exist: create a PodGroup named " + name + " in namespace "
              + pod.namespace() + " with its minMember, or remove the pod's group label";
        }
        return refusing.everywhere(why, RefusedPods.Cause.GANG, 0, ReasonClass.GANG);
      }
    }
    if (group.minMember() <= 1 && cache.reservation(pod.uid()) == null) {
      return null;
    }
    GangCoordinator.Decision decision =
        gangs.decide(pod, refusing.request, group, refusing.traits, project, refusing.policy, priority);
    if (decision instanceof GangCoordinator.Decision.Alone) {
      return null;
    }
    if (decision instanceof GangCoordinator.Decision.Refuse refuse) {
      return refusing.everywhere(refuse.reason(), RefusedPods.Cause.GANG, refuse.members(), ReasonClass.GANG);
    }
    String target = ((GangCoordinator.Decision.Steer) decision).node();
    ClusterSnapshot snapshot = refusing.snapshot;
    for (int i = 0; i < nodes.size(); i++) {
      NodeState node = snapshot.node(nodes, i);
      if (node != null && node.name().equals(target)) {
        gangs.offered(gang, pod.uid());
        return refusing.chosen(i);
      }
    }
    return relocateReservation(refusing, gang, target, nodes);
  }

  /**
   * kube-scheduler did not offer the node the gang reserved for this member (its own filters left
   * it out, or it scored only a sample of the nodes): move the member's reservation to the best
   * offered node of the same pool with room, keeping the rest of the gang's plan.
   */
  private FilterDecision relocateReservation(Refusing refusing, String gang, String reserved, RequestedNodes nodes) {
    ClusterSnapshot snapshot = refusing.snapshot;
    NodeState was = snapshot.node(reserved);
    String pool = was == null ? null : was.node().pool();
    int best = bestRanked(snapshot, nodes, refusing.request, i -> {
      NodeState node = snapshot.node(nodes, i);
      return node != null && (pool == null || node.node().pool().equals(pool))
          && placement.fits(node, refusing.request);
    });
    if (best != FilterDecision.NONE_CHOSEN
        && cache.moveReservation(refusing.pod, snapshot.node(nodes, best).name(), refusing.request)) {
      log.info("gang {}: kube-scheduler did not offer member {} its reserved node {}; its reservation moved to {}",
          gang, refusing.pod, reserved, snapshot.node(nodes, best).name());
      gangs.offered(gang, refusing.pod.uid());
      return refusing.chosen(best);
    }
    // kube-scheduler will not take this member where the plan put it, and has nowhere else: the
    // plan is void. Its unbound members give their places up and the gang is planned again.
    gangs.restrict(refusing.pod, nodes.names());
    List<PodKey> released = cache.releaseGang(gang);
    log.info("gang {}: kube-scheduler did not offer member {} its reserved node {} nor any node with room;"
        + " released the reservations of {} member(s) to plan the gang again", gang, refusing.pod, reserved,
        released.size());
    return refusing.everywhere("gang " + gang + " reserved node " + reserved + " for this pod, but kube-scheduler"
        + " did not offer that node (its own filters, or its sample of the nodes, left it out) and no node it"
        + " offered has room; the gang's reservations were released and it is planned again",
        RefusedPods.Cause.GANG, 0, ReasonClass.GANG);
  }

  @Override
  public boolean decidesOffLoop(WirePod pod) {
    // A gang member may plan its whole gang, or read its pod group from the API server.
    String group = pod.labels().get(WellKnown.POD_GROUP_LABEL);
    return group != null || pod.annotations().containsKey(WellKnown.KAI_POD_GROUP_ANNOTATION);
  }

  /**
   * One filter call's answer being built: the reasons per node, and what is remembered when the
   * pod is refused (for reclaim, and to wake it once the reason goes away).
   */
  private final class Refusing {
    final PodKey pod;
    final GpuRequest request;
    final PodTraits traits;
    final ClusterSnapshot snapshot;
    final PolicySnapshot policy;
    final String[] reasons;
    final boolean[] unresolvable;
    /** The class of the last refusal nomination gave a node that passed the rules; null if none. */
    ReasonClass nominateClass;

    Refusing(PodKey pod, GpuRequest request, PodTraits traits, ClusterSnapshot snapshot, PolicySnapshot policy, int sent) {
      this.pod = pod;
      this.request = request;
      this.traits = traits;
      this.snapshot = snapshot;
      this.policy = policy;
      this.reasons = new String[sent];
      this.unresolvable = new boolean[sent];
    }

    /** No node can take it, for one reason; preemption of lower-priority pods would not change that. */
    FilterDecision everywhere(String reason, RefusedPods.Cause cause, int gangMembers, ReasonClass reasonClass) {
      java.util.Arrays.fill(reasons, reason);
      java.util.Arrays.fill(unresolvable, true);
      remember(reason, cause, gangMembers, reasonClass);
      return new FilterDecision(reasons, unresolvable, "");
    }

    /** No node passed; each says why. */
    FilterDecision asReasoned(RefusedPods.Cause cause, ReasonClass reasonClass) {
      if (reasons.length > 0) {
        remember(firstReason(reasons), cause, 0, reasonClass);
      }
      return new FilterDecision(reasons, unresolvable, "");
    }

    FilterDecision chosen(int index) {
      for (int i = 0; i < reasons.length; i++) {
        reasons[i] = i == index ? null : NOT_CHOSEN;
      }
      unschedulable.cleared(pod.uid());
      refused.cleared(pod.uid());
      return FilterDecision.chosen(reasons, unresolvable, index);
    }

    private void remember(String reason, RefusedPods.Cause cause, int gangMembers, ReasonClass reasonClass) {
      unschedulable.failed(pod, reason, reasonClass);
      refused.refused(new RefusedPods.Refusal(pod, request, traits.pools(), traits.gang(), cause,
          snapshot.version(), policy.policy(), gangMembers, cache.reservation(pod.uid()) != null));
    }
  }

  /**
   * Why the pod cannot be placed while an earlier bind of it is unsettled, or null. A bind whose
   * answer was lost (a timeout) keeps its GPUs until the informer shows what happened; placing
   * the pod again meanwhile could hold GPUs for it twice.
   */
  private String beingBound(PodKey pod) {
    ClusterCache.Hold hold = cache.unconfirmed(pod.uid());
    if (hold == null || (hold.stage() != ClusterCache.Stage.BINDING && hold.stage() != ClusterCache.Stage.BOUND)) {
      return null;
    }
    return "an earlier bind of this pod to node " + hold.node() + " has not been seen to settle yet; the"
        + " pod is placed again once the API server's record reaches the extender";
  }

  /**
   * Chooses the best of the passing nodes and holds its GPUs for the pod, so that the next pod's
   * filter, which kube-scheduler runs while this one's bind is in flight, already sees them taken.
   * A node whose room was taken since the snapshot was read gets that reason and the next best is
   * tried. For a pod of a project the quota is checked on figures brought up to date under the
   * same lock as binds, so pods filtered moments apart cannot pass a limit together.
   *
   * @return the chosen node's position, or {@link FilterDecision#NONE_CHOSEN} when none could be
   *     held (its reason is then set)
   */
  private int nominateBest(
      PodKey pod,
      GpuRequest request,
      Project project,
      ClusterSnapshot snapshot,
      RequestedNodes nodes,
      String[] reasons,
      boolean[] unresolvable,
      Refusing refusing) {
    if (project == null) {
      return nominateInOrder(pod, request, null, null, snapshot, nodes, reasons, unresolvable, refusing);
    }
    synchronized (quotaLock) {
      return nominateInOrder(
          pod, request, project, recomputedPolicy.get(), snapshot, nodes, reasons, unresolvable, refusing);
    }
  }

  private int nominateInOrder(
      PodKey pod,
      GpuRequest request,
      Project project,
      PolicySnapshot fresh,
      ClusterSnapshot snapshot,
      RequestedNodes nodes,
      String[] reasons,
      boolean[] unresolvable,
      Refusing refusing) {
    while (true) {
      int best = bestRanked(snapshot, nodes, request, i -> reasons[i] == null);
      if (best == FilterDecision.NONE_CHOSEN) {
        return best;
      }
      NodeState node = snapshot.node(nodes, best);
      if (project != null) {
        String refusal = QuotaAdmission.refusal(
            project, node.node().pool(), fresh, request.gpus(node.uniformMemoryMiB()));
        if (refusal != null) {
          reasons[best] = refusal;
          unresolvable[best] = true;
          refusing.nominateClass = ReasonClass.OVER_QUOTA;
          continue;
        }
      }
      ClusterCache.AssumeResult held = cache.nominate(pod, node.name(), request);
      if (held instanceof ClusterCache.AssumeResult.Assumed) {
        return best;
      }
      reasons[best] = ((ClusterCache.AssumeResult.Refused) held).reason();
      refusing.nominateClass = ReasonClass.INSUFFICIENT_GPU;
    }
  }

  /**
   * The position of the node {@link Placement#rank} puts first for the request among those {@code
   * eligible} says may take it; {@link FilterDecision#NONE_CHOSEN} when none may.
   */
  private int bestRanked(ClusterSnapshot snapshot, RequestedNodes nodes, GpuRequest request, IntPredicate eligible) {
    int best = FilterDecision.NONE_CHOSEN;
    double bestRank = -1;
    for (int i = 0; i < nodes.size(); i++) {
      if (eligible.test(i)) {
        double rank = placement.rank(snapshot.node(nodes, i), request);
        if (rank > bestRank) {
          best = i;
          bestRank = rank;
        }
      }
    }
    return best;
  }

  /** Why none of the pod's listed pools can be used, or null. */
  private static String poolRefusal(PodTraits traits, PolicySnapshot policy) {
    if (traits.poolsError() != null) {
      return traits.poolsError();
    }
    List<String> known = policy.poolNames();
    for (String pool : traits.pools()) {
      if (!known.contains(pool)) {
        return "node pool " + pool + " (annotation " + WellKnown.NODE_POOLS + ") does not exist; known pools: "
            + String.join(", ", known);
      }
    }
    return null;
  }

  /**
   * Of the pools the pod lists, only the most preferred one with a node that passed keeps its
   * nodes: kube-scheduler then chooses among them, and the next pool is used only when that one is
   * full.
   */
  private static void preferPool(
      PodTraits traits, ClusterSnapshot snapshot, RequestedNodes nodes, String[] reasons) {
    int best = Integer.MAX_VALUE;
    for (int i = 0; i < reasons.length; i++) {
      if (reasons[i] == null) {
        NodeState node = snapshot.node(nodes, i);
        best = Math.min(best, traits.pools().indexOf(node.node().pool()));
      }
    }
    String chosen = traits.pools().get(best);
    String reason = "node pool " + chosen + " is preferred (" + WellKnown.NODE_POOLS + ") and has room";
    for (int i = 0; i < reasons.length; i++) {
      if (reasons[i] == null && !snapshot.node(nodes, i).node().pool().equals(chosen)) {
        reasons[i] = reason;
      }
    }
  }

  private static String firstReason(String[] reasons) {
    for (String reason : reasons) {
      if (reason != null) {
        return reason;
      }
    }
    return "";
  }

  @Override
  public int[] prioritize(WirePod pod, RequestedNodes nodes) {
    GpuRequest request = requestOf(pod);
    if (!request.wantsGpu() && !policy.get().policy().pools().isEmpty()) {
      return cpuScores(pod, nodes);
    }
    int[] scores = new int[nodes.size()];
    ClusterSnapshot snapshot = cache.snapshot();
    // Filter chose a node (or a gang reserved one) and holds GPUs there: kube-scheduler normally
    // skips prioritize when one node passes, but if it asks, that node is the answer.
    ClusterCache.Hold held = request.wantsGpu() ? cache.unconfirmed(pod.key().uid()) : null;
    for (int i = 0; i < scores.length; i++) {
      NodeState node = snapshot.node(nodes, i);
      if (held != null) {
        scores[i] = node != null && node.name().equals(held.node()) ? Placement.MAX_SCORE : 0;
      } else {
        scores[i] = node == null ? 0 : placement.score(node, request);
      }
    }
    return scores;
  }

  @Override
  public String bind(BindRequest request) {
    Optional<PendingPod> found = pods.find(request.podNamespace(), request.podName());
    if (found.isEmpty()) {
      return "pod " + request.podNamespace() + "/" + request.podName() + " not found";
    }
    PendingPod pod = found.get();
    if (request.podUid() != null
        && !request.podUid().isEmpty()
        && !request.podUid().equals(pod.key().uid())) {
      return "pod " + pod.key() + " has UID " + pod.key().uid() + ", not " + request.podUid()
          + " (it was recreated)";
    }
    if (pod.request().kind() == GpuRequest.Kind.INVALID) {
      return "pod " + pod.key() + ": " + pod.request().invalidReason();
    }
    if (!pod.request().wantsGpu()) {
      return binder.bind(pod.key(), request.node(), null, Map.of()).errorOrEmpty();
    }
    ClusterCache.Hold held = cache.unconfirmed(pod.key().uid());
    String plannedGang = held != null && held.stage() == ClusterCache.Stage.RESERVED ? held.gang() : null;
    String gangWait = plannedGang == null ? null : gangNotReady(pod, plannedGang);
    if (gangWait != null) {
      return gangWait;
    }
    Map<String, String> annotations = Map.of();
    ClusterCache.AssumeResult assumed;
    if (policy.get().projectOf(pod.key().namespace()) == null) {
      assumed = assume(pod, request.node(), plannedGang);
    } else {
      synchronized (quotaLock) {
        // Filter read figures up to a moment old; the bind checks the quota on figures that include
        // every earlier bind, and holds the GPUs before the next bind checks.
        PolicySnapshot fresh = recomputedPolicy.get();
        String refusal = bindRefusal(pod, request.node(), fresh);
        if (refusal != null) {
          bindsRefusedForQuota.increment();
          return refusal;
        }
        annotations = overQuotaMark(pod, request.node(), fresh);
        assumed = assume(pod, request.node(), plannedGang);
      }
    }
    if (assumed instanceof ClusterCache.AssumeResult.Refused refused) {
      bindsRefusedForRoom.increment();
      return refused.reason();
    }
    GpuAssignment assignment = ((ClusterCache.AssumeResult.Assumed) assumed).assignment();
    BindResult result;
    try {
      result = binder.bind(pod.key(), request.node(), assignment, annotations);
    } catch (RuntimeException e) {
      cache.forget(pod.key().uid());
      throw e;
    }
    bindOutcome(result).increment();
    if (result.inDoubt()) {
      // The binding may have been stored even so: keep its GPUs held until the informer shows the
      // pod either way (or the assume TTL passes), rather than hand them to someone else now.
      log.warn("the outcome of binding {} to {} is unknown; its GPUs stay held until the pod is seen: {}",
          pod.key(), request.node(), result.message());
      return result.message();
    }
    if (!result.ok()) {
      cache.forget(pod.key().uid());
      log.warn("binding {} to {} failed, its GPUs are released: {}", pod.key(), request.node(), result.message());
      return result.message();
    }
    cache.bound(pod.key().uid());
    unschedulable.cleared(pod.key().uid());
    bindObserver.bound(pod.key(), pod.created(), request.node());
    events.normal(pod.key(), "GpuAssigned", describe(assignment)
        + (annotations.isEmpty() ? "" : " (over its project's fair share: preemptible by reclaim)"));
    if (pod.request().shared() && !pod.asksForGpuShare()) {
      // Bound all the same: the pod may be meant for a node without the agent, and refusing would
      // only leave it pending. But on a Tessera node its container gets no GPU, so say so.
      events.warn(
          pod.key(),
          GPU_SHARE_MISSING,
          "the pod asks for a GPU fraction but no container requests " + WellKnown.GPU_SHARE_RESOURCE
              + "; kubelet will not ask the node agent for its GPU and the container will see none."
              + " Add resources.limits: {" + WellKnown.GPU_SHARE_RESOURCE + ": 1} to the GPU container");
    }
    return "";
  }

  /**
   * A pod without GPUs, when node pools are defined: nodes without GPUs score 5..10 and GPU nodes
   * 0..4 (keeping GPU nodes' CPUs for GPU pods), and within each band the node's pool places it by
   * its CPU strategy: bin-packing prefers the node whose CPU would be fullest, spreading the
   * emptiest. Nodes of the default pool keep the plain preference (10 without GPUs, 0 with).
   */
  private int[] cpuScores(WirePod pod, RequestedNodes nodes) {
    PolicySnapshot policyNow = policy.get();
    ClusterSnapshot snapshot = cache.snapshot();
    long wanted = cpuRequests.applyAsLong(pod.key());
    int[] scores = new int[nodes.size()];
    for (int i = 0; i < scores.length; i++) {
      NodeState node = snapshot.node(nodes, i);
      if (node == null) {
        continue;
      }
      PlacementStrategy strategy = policyNow.cpuStrategy(node.node().pool());
      boolean gpuless = node.gpuCount() == 0;
      if (strategy == null) {
        scores[i] = gpuless ? Placement.MAX_SCORE : 0;
        continue;
      }
      CpuLedger.NodeCpu known = cpu.node(node.name());
      double used = known == null ? 0 : known.utilisationWith(wanted);
      double fit = strategy == PlacementStrategy.BINPACK ? used : 1 - used;
      scores[i] = gpuless ? 5 + (int) Math.round(5 * fit) : (int) Math.round(4 * fit);
    }
    return scores;
  }

  /**
   * Keeps only the victims Tessera's rules allow (never a non-preemptible pod, never a project
   * below its deserved quota unless the preemptor is of the same project, gang mates on the node
   * go too), node by node, judging each node by its pool's figures. Pods the extender does not
   * track (no GPUs, no gang) are not its to judge and stay as kube-scheduler chose them. A gang
   * member gets no node: {@link dev.tessera.extender.gangs.GangPreemptionController} preempts for
   * its whole gang.
   */
  @Override
  public Map<String, List<String>> preempt(WirePod pod, Map<String, List<String>> victimUidsByNode) {
    PolicySnapshot policyNow = policy.get();
    String gang = PodTraits.of(pod.key().namespace(), pod.labels(), pod.annotations()).gang();
    PodGroup group = gang == null ? null : policyNow.podGroup(gang);
    if (gang != null && (group == null || group.minMember() > 1)) {
      // Room for one member is not room for the gang: GangPreemptionController preempts for it whole.
      // A group the informers have not delivered yet may be a gang too: filter refused the pod for
      // it, and kube-scheduler asks again once it is known.
      preemptionDropped.increment(victimUidsByNode.size());
      return Map.of();
    }
    ClusterSnapshot cluster = cache.snapshot();
    RunningPods running = RunningPods.of(podIndex, cache, cluster, policyNow);
    Project project = policyNow.projectOf(pod.key().namespace());
    Preemptor preemptor = new Preemptor(pod.key(), project == null ? "" : project.name(), pod.priority());
    Map<String, Map<String, List<RunningPod>>> byPool = new HashMap<>();
    Map<String, List<String>> untracked = new HashMap<>();
    for (Map.Entry<String, List<String>> node : victimUidsByNode.entrySet()) {
      NodeState state = cluster.node(node.getKey());
      String pool = state == null ? WellKnown.DEFAULT_POOL : state.node().pool();
      List<RunningPod> candidates = new java.util.ArrayList<>();
      List<String> others = new java.util.ArrayList<>();
      for (String uid : node.getValue()) {
        RunningPod known = running.get(uid);
        if (known != null) {
          candidates.add(known);
        } else {
          others.add(uid);
        }
      }
      byPool.computeIfAbsent(pool, p -> new java.util.LinkedHashMap<>()).put(node.getKey(), candidates);
      untracked.put(node.getKey(), others);
    }
    Map<String, List<String>> allowed = new java.util.LinkedHashMap<>();
    byPool.forEach((pool, candidates) -> {
      var kept = victims.allowedPreemptions(
          preemptor, candidates, running.byGang(), RunningPods.standings(policyNow, pool));
      kept.forEach((node, pods) -> {
        List<String> uids = new java.util.ArrayList<>(untracked.get(node));
        pods.forEach(p -> uids.add(p.uid()));
        allowed.put(node, uids);
      });
    });
    int dropped = victimUidsByNode.size() - allowed.size();
    preemptionKept.increment(allowed.size());
    preemptionDropped.increment(dropped);
    if (dropped > 0) {
      log.debug("preemption for {}: {} of {} candidate nodes dropped by quota, gang or preemptibility rules",
          pod.key(), dropped, victimUidsByNode.size());
    }
    return allowed;
  }

  /**
   * The quota rule a bind would break now, or null. A pod that holds GPUs on this node already
   * (filter's choice, a gang's reservation, a repeated bind) was admitted when the hold was taken.
   */
  private String bindRefusal(PendingPod pod, String nodeName, PolicySnapshot fresh) {
    Project project = fresh.projectOf(pod.key().namespace());
    NodeState node = cache.snapshot().node(nodeName);
    if (project == null || node == null || holdsOn(pod.key(), nodeName)) {
      return null;
    }
    String refusal = QuotaAdmission.refusal(
        project, node.node().pool(), fresh, pod.request().gpus(node.uniformMemoryMiB()));
    return refusal == null ? null : "pod " + pod.key() + " cannot be bound now: " + refusal;
  }

  /**
   * {@value WellKnown#OVER_QUOTA}: "true" when the pod takes its project above its fair share in
   * the node's pool (and it is preemptible): reclaim may take those GPUs back.
   */
  private Map<String, String> overQuotaMark(PendingPod pod, String nodeName, PolicySnapshot policyNow) {
    Project project = policyNow.projectOf(pod.key().namespace());
    NodeState node = cache.snapshot().node(nodeName);
    if (project == null || node == null || !pod.traits().preemptible()) {
      return Map.of();
    }
    double gpus = pod.request().gpus(node.uniformMemoryMiB());
    var figures = policyNow.figures(project.name(), node.node().pool());
    if (holdsOn(pod.key(), nodeName)) {
      gpus = 0; // its hold there is counted as allocated already
    }
    return QuotaAdmission.overQuota(figures, gpus) ? Map.of(WellKnown.OVER_QUOTA, "true") : Map.of();
  }

  /**
   * Why a gang member may not be bound yet, or null: a member is bound only once kube-scheduler has
   * offered every reserved member of its gang the node the plan gave it, so that its own filters
   * cannot turn one member's place down after the others are bound. Waits a moment for them (they
   * are filtered as soon as the plan is made); if that is not enough, the bind is refused and the
   * pod is woken once they all are.
   */
  /** Holds the pod's GPUs for its bind; a member reserved by its gang's plan only while the plan stands. */
  private ClusterCache.AssumeResult assume(PendingPod pod, String node, String plannedGang) {
    if (plannedGang == null) {
      return cache.assume(pod.key(), node, pod.request());
    }
    ClusterCache.AssumeResult result = cache.assumeReserved(pod.key(), node, pod.request(), plannedGang);
    if (result instanceof ClusterCache.AssumeResult.Refused) {
      // Woken when its gang is planned again and holds a place for it.
      waitForGang(pod, plannedGang, RefusedPods.Cause.GANG, false);
    }
    return result;
  }

  private String gangNotReady(PendingPod pod, String gang) {
    List<PodKey> waiting = gangs.awaitOffered(gang, GANG_BIND_WAIT);
    waiting.removeIf(member -> member.uid().equals(pod.key().uid()));
    if (waiting.isEmpty()) {
      return null;
    }
    waitForGang(pod, gang, RefusedPods.Cause.GANG_BIND, true);
    return "gang " + gang + " is not ready to bind: kube-scheduler has not yet accepted the nodes reserved"
        + " for " + waiting.size() + " of its members (" + names(waiting) + "); this pod is tried again as soon as"
        + " it has, so that no member runs while another has no place";
  }

  /** Remembers the member as refused for its gang, so it is tried again once what it waits for happens. */
  private void waitForGang(PendingPod pod, String gang, RefusedPods.Cause cause, boolean reserved) {
    refused.refused(new RefusedPods.Refusal(pod.key(), pod.request(), pod.traits().pools(), gang,
        cause, cache.snapshot().version(), policy.get().policy(), 0, reserved));
  }

  private static String names(List<PodKey> pods) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < pods.size() && i < 5; i++) {
      text.append(i == 0 ? "" : ", ").append(pods.get(i).name());
    }
    return pods.size() > 5 ? text.append(", ...").toString() : text.toString();
  }

  private static Counter bindCounter(MeterRegistry registry, String outcome) {
    return Counter.builder("tessera.binds").tag("outcome", outcome)
        .description("Binds of GPU pods by outcome: bound; no_room (the node filter chose had no room left);"
            + " over_quota; in_doubt (no answer came back, the GPUs stay held until the pod is seen);"
            + " pod_not_found, already_bound, uid_changed, api_error (what the API server answered)")
        .register(registry);
  }

  private Counter bindOutcome(BindResult result) {
    return result.inDoubt() ? bindsInDoubt : bindsByOutcome.get(result.outcome());
  }

  private boolean holdsOn(PodKey pod, String node) {
    ClusterCache.Hold hold = cache.unconfirmed(pod.uid());
    return hold != null && hold.node().equals(node);
  }

  @Override
  public boolean ready() {
    return ready.getAsBoolean();
  }

  @Override
  public boolean synced() {
    return synced.getAsBoolean();
  }

  @Override
  public RequestedNodes.Builder requestedNodes() {
    return cache.snapshot().requestedNodes();
  }

  private GpuRequest requestOf(WirePod pod) {
    GpuRequest request =
        GpuRequestParser.parse(pod.annotations(), pod.gpuQuantities(), pod.initGpuQuantities());
    if (request.kind() == GpuRequest.Kind.INVALID) {
      events.warn(pod.key(), "InvalidGpuRequest", request.invalidReason());
    }
    return request;
  }

  static String describe(GpuAssignment assignment) {
    StringBuilder text = new StringBuilder("assigned ");
    for (int i = 0; i < assignment.shares().size(); i++) {
      var share = assignment.shares().get(i);
      text.append(i == 0 ? "GPU " : ", GPU ").append(share.index());
      if (!assignment.exclusive()) {
        text.append(" (").append(GpuRequest.fractionText(share.fraction())).append(", ")
            .append(share.memoryMiB()).append(" MiB");
        if (share.borrows()) {
          text.append(", may borrow up to ").append(share.limitMiB()).append(" MiB");
        }
        text.append(')');
      }
    }
    return text.append(" on node ").append(assignment.node()).toString();
  }
}
