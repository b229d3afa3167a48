package dev.tessera.extender.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.api.WellKnown;
import dev.tessera.api.assignment.AssignmentCodec;
import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.actions.BindResult;
import dev.tessera.extender.actions.Evictor;
import dev.tessera.extender.actions.PodEvents;
import dev.tessera.extender.controllers.ReclaimController;
import dev.tessera.extender.controllers.RefusedPods;
import dev.tessera.extender.controllers.Unschedulable;
import dev.tessera.extender.gangs.GangCoordinator;
import dev.tessera.extender.gangs.GangMonitor;
import dev.tessera.extender.gangs.PreemptionClaims;
import dev.tessera.extender.informers.PodGroupLookup;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.ledger.CpuLedger;
import dev.tessera.extender.ledger.PodIndex;
import dev.tessera.extender.ledger.PodRequests;
import dev.tessera.extender.ledger.PolicyState;
import dev.tessera.extender.model.GpuDevice;
import dev.tessera.extender.model.GpuNode;
import dev.tessera.extender.model.NodePool;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.model.PodGroup;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.model.PoolQuota;
import dev.tessera.extender.model.Project;
import dev.tessera.extender.scheduling.Allocation;
import dev.tessera.extender.scheduling.GangPlanner;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.scheduling.Placement;
import dev.tessera.extender.scheduling.Policy;
import dev.tessera.extender.scheduling.PolicySnapshot;
import dev.tessera.extender.scheduling.ProjectFigures;
import dev.tessera.extender.scheduling.RequestedNodes;
import dev.tessera.extender.scheduling.VictimSelector;
import dev.tessera.extender.testing.MutableClock;
import dev.tessera.extender.verbs.ExtenderHandler;
import dev.tessera.extender.verbs.FilterDecision;
import dev.tessera.extender.verbs.SchedulingExtender;
import dev.tessera.extender.verbs.WirePod;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Replays a seeded trace of a few hundred jobs from four projects through the real decision core
 * (filter, prioritize and bind as kube-scheduler calls them, the policy recomputation, the gang
 * monitor and the reclaim controller), with an in-memory API standing in for pods, and checks the
 * invariants after every simulated second: no GPU over-committed, no gang partly running past its
 * timeout; and once the last wave has settled, every project at or above min(demand, deserved) in
 * every pool.
 */
class SchedulingSimulationTest {
  private static final Duration GANG_TIMEOUT = Duration.ofSeconds(30);
  private static final int TRACE_SECONDS = 600;

  private final MutableClock clock = MutableClock.atEpochOfTests();
  private final Placement placement = new Placement(PlacementStrategy.BINPACK);
  private final ClusterCache cache = new ClusterCache(clock, Duration.ofSeconds(30), placement);
  private final PodIndex index = new PodIndex();
  private final PolicyState policyState = new PolicyState(cache, index);
  private final Unschedulable unschedulable = new Unschedulable(clock);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  /** The "API server": live pods by UID. */
  private final Map<String, Pod> api = new LinkedHashMap<>();
  /** Tick at which a bound pod finishes. */
  private final Map<String, Long> finishesAt = new HashMap<>();
  private final Map<String, Job> jobOfPod = new HashMap<>();
  private final Map<String, PodGroup> groups = new HashMap<>();
  private final Map<String, Long> partlyPlacedSince = new HashMap<>();
  private List<NodePool> pools;
  private Map<String, Project> projects;
  private SchedulingExtender extender;
  private GangMonitor monitor;
  private ReclaimController reclaim;
  private long tick;
  private int uids;
  private int evictions;
  private boolean completions = true;

  private record Job(String name, String namespace, int members, String gpus, String fraction,
      String pools, int priority, long duration) {
    boolean gang() {
      return members > 1;
    }
  }

  @Test
  void aTraceOfJobsKeepsEveryInvariant() {
    setUpCluster();
    List<Job> trace = trace(new Random(7), 300);
    Map<Long, List<Job>> arrivals = new HashMap<>();
    Random at = new Random(11);
    for (Job job : trace) {
      arrivals.computeIfAbsent((long) at.nextInt(TRACE_SECONDS - 100), t -> new ArrayList<>()).add(job);
    }
    int bound = 0;
    for (tick = 0; tick < TRACE_SECONDS; tick++) {
      arrivals.getOrDefault(tick, List.of()).forEach(this::submit);
      bound += step();
    }
    assertTrue(bound > 300, "the trace kept the cluster busy: " + bound + " pods bound");
    assertTrue(evictions > 0, "reclaim or gang timeouts evicted something in the trace");

    // Last wave: every project asks for more than it deserves in each pool where it has a quota,
    // and nothing finishes any more. Once settled, each must have at least its deserved share.
    completions = false;
    int wave = 0;
    for (Project project : projects.values()) {
      for (NodePool pool : pools) {
        double deserved = project.quota(pool.name()).deserved();
        for (int i = 0; i < deserved + 4; i++) {
          submit(new Job("wave-" + wave++, project.namespaces().get(0), 1, "1", null, pool.name(), 0, Long.MAX_VALUE));
        }
      }
    }
    for (int i = 0; i < 120; i++, tick++) {
      step();
    }
    PolicySnapshot settled = policyState.recompute();
    for (Project project : projects.values()) {
      for (NodePool pool : pools) {
        ProjectFigures figures = settled.figures(project.name(), pool.name());
        double demand = figures.allocated() + figures.pending();
        assertTrue(
            figures.allocated() + 1e-9 >= Math.min(demand, figures.deserved()),
            "project " + project.name() + " in pool " + pool.name() + ": " + figures);
      }
    }
  }

  private void setUpCluster() {
    pools = List.of(
        new NodePool("a100", Map.of("gpu", "a100"), PlacementStrategy.BINPACK, PlacementStrategy.SPREAD),
        new NodePool("h100", Map.of("gpu", "h100"), PlacementStrategy.BINPACK, PlacementStrategy.SPREAD));
    for (int n = 0; n < 10; n++) {
      String model = n < 6 ? "a100" : "h100";
      List<GpuDevice> gpus = new ArrayList<>();
      for (int g = 0; g < 8; g++) {
        gpus.add(new GpuDevice(g, "GPU-" + n + "-" + g, model, 81920));
      }
      cache.upsertNode(new GpuNode("node-" + n, gpus, null, List.of(), Map.of("gpu", model), WellKnown.DEFAULT_POOL));
    }
    // 48 A100s and 32 H100s; deserved sums 32 and 24.
    projects = Map.of(
        "team-a", project("team-a", Map.of("a100", new PoolQuota(16, 1, PoolQuota.UNLIMITED), "h100", new PoolQuota(8, 1, PoolQuota.UNLIMITED))),
        "team-b", project("team-b", Map.of("a100", new PoolQuota(16, 1, 40))),
        "team-c", project("team-c", Map.of("h100", new PoolQuota(16, 2, PoolQuota.UNLIMITED))),
        "team-d", project("team-d", Map.of()));
    publishPolicy();
    PreemptionClaims claims = new PreemptionClaims(clock);
    GangCoordinator gangs = new GangCoordinator(cache, index, new GangPlanner(placement), claims, clock);
    VictimSelector victims = new VictimSelector(placement);
    Evictor evictor = this::evict;
    extender = new SchedulingExtender(
        cache,
        (namespace, name) -> api.values().stream()
            .filter(p -> p.getMetadata().getNamespace().equals(namespace) && p.getMetadata().getName().equals(name))
            .findFirst()
            .map(p -> new SchedulingExtender.PendingPod(
                PodRequests.keyOf(p), PodRequests.of(p), true, PodRequests.traitsOf(p))),
        this::bind,
        PodEvents.NOOP,
        new SchedulingExtender.PolicyContext(
            policyState::snapshot, policyState::recompute, gangs, unschedulable, index, victims, registry, new CpuLedger(), pod -> 0L,
            (namespace, name) -> new PodGroupLookup.Result.Missing(),
            new RefusedPods(cache, policyState::snapshot, index, (pod, why) -> {}, gang -> true, clock),
            claims),
        () -> true);
    monitor = new GangMonitor(cache, index, policyState::snapshot, evictor, PodEvents.NOOP, clock, registry);
    reclaim = new ReclaimController(
        cache, index, policyState::snapshot, unschedulable, victims, evictor, PodEvents.NOOP, registry);
  }

  private static Project project(String name, Map<String, PoolQuota> quotas) {
    return new Project(name, List.of(name), null, quotas, 0, true);
  }

  private void publishPolicy() {
    policyState.policy(new Policy(pools, projects, Map.of(), groups));
  }

  private static List<Job> trace(Random random, int jobs) {
    List<String> namespaces = List.of("team-a", "team-b", "team-c", "team-d");
    List<Job> trace = new ArrayList<>();
    for (int j = 0; j < jobs; j++) {
      String namespace = namespaces.get(random.nextInt(namespaces.size()));
      String pool = switch (random.nextInt(4)) {
        case 0 -> "a100";
        case 1 -> "h100";
        case 2 -> "h100,a100";
        default -> namespace.equals("team-c") ? "h100" : "a100";
      };
      int shape = random.nextInt(10);
      int members = shape < 3 ? 2 + random.nextInt(5) : 1;
      String gpus = null;
      String fraction = null;
      if (shape == 9) {
        fraction = random.nextBoolean() ? "0.5" : "0.25";
      } else {
        gpus = String.valueOf(members > 1 ? 1 + random.nextInt(2) : List.of(1, 1, 2, 4, 8).get(random.nextInt(5)));
      }
      trace.add(new Job("job-" + j, namespace, members, gpus, fraction, pool, random.nextInt(3) * 100,
          20 + random.nextInt(120)));
    }
    return trace;
  }

  private void submit(Job job) {
    if (job.gang()) {
      groups.put(job.namespace() + "/" + job.name(),
          new PodGroup(job.namespace(), job.name(), job.members(), null, null, GANG_TIMEOUT));
      publishPolicy();
    }
    for (int m = 0; m < job.members(); m++) {
      createPod(job, job.name() + "-" + m);
    }
  }

  private void createPod(Job job, String name) {
    String uid = "uid-" + uids++;
    PodBuilder builder = new PodBuilder()
        .withNewMetadata()
        .withNamespace(job.namespace())
        .withName(name)
        .withUid(uid)
        .withCreationTimestamp(clock.instant().toString())
        .addToAnnotations(WellKnown.NODE_POOLS, job.pools())
        .endMetadata()
        .withNewSpec()
        .withSchedulerName(WellKnown.SCHEDULER_NAME)
        .withPriority(job.priority())
        .addNewContainer()
        .withName("main")
        .withNewResources()
        .endResources()
        .endContainer()
        .endSpec()
        .withNewStatus().withPhase("Pending").endStatus();
    if (job.gang()) {
      builder.editMetadata().addToLabels(WellKnown.POD_GROUP_LABEL, job.name()).endMetadata();
    }
    if (job.fraction() != null) {
      builder.editMetadata().addToAnnotations(WellKnown.GPU_FRACTION, job.fraction()).endMetadata();
    } else {
      builder.editSpec().editFirstContainer().editResources()
          .addToLimits(WellKnown.GPU_RESOURCE, new Quantity(job.gpus()))
          .endResources().endContainer().endSpec();
    }
    Pod pod = builder.build();
    api.put(uid, pod);
    jobOfPod.put(uid, job);
    index.upsert(pod);
  }

  /** One simulated second; returns how many pods were bound. */
  private int step() {
    if (completions) {
      for (Map.Entry<String, Long> done : List.copyOf(finishesAt.entrySet())) {
        if (done.getValue() <= tick) {
          finish(done.getKey());
        }
      }
    }
    int bound = scheduleAll();
    policyState.recompute();
    monitor.check();
    policyState.recompute();
    reclaim.run();
    policyState.recompute();
    checkInvariants();
    clock.advance(Duration.ofSeconds(1));
    return bound;
  }

  private int scheduleAll() {
    List<Pod> pending = new ArrayList<>();
    for (Pod pod : api.values()) {
      if (pod.getSpec().getNodeName() == null) {
        pending.add(pod);
      }
    }
    pending.sort(Comparator.comparing((Pod p) -> -p.getSpec().getPriority())
        .thenComparing(p -> p.getMetadata().getCreationTimestamp())
        .thenComparing(p -> p.getMetadata().getUid()));
    List<String> nodes = new ArrayList<>();
    cache.snapshot().forEach(n -> nodes.add(n.name()));
    // As kube-scheduler does: each pod is given its node in turn (filter, prioritize), and the
    // binds follow; a gang member's bind waits until every member has been offered its place.
    Map<Pod, String> chosen = new LinkedHashMap<>();
    for (Pod pod : pending) {
      if (!api.containsKey(pod.getMetadata().getUid())) {
        continue; // evicted by a gang timeout earlier in this pass
      }
      policyState.recompute();
      WirePod wire = wire(pod);
      FilterDecision decision = extender.filter(wire, RequestedNodes.of(nodes));
      List<String> passing = new ArrayList<>();
      for (int i = 0; i < nodes.size(); i++) {
        if (decision.passed(i)) {
          passing.add(nodes.get(i));
        }
      }
      if (passing.isEmpty()) {
        continue;
      }
      int[] scores = extender.prioritize(wire, RequestedNodes.of(passing));
      int best = 0;
      for (int i = 1; i < scores.length; i++) {
        if (scores[i] > scores[best]) {
          best = i;
        }
      }
      chosen.put(pod, passing.get(best));
    }
    int bound = 0;
    for (Map.Entry<Pod, String> choice : chosen.entrySet()) {
      Pod pod = choice.getKey();
      if (!api.containsKey(pod.getMetadata().getUid())) {
        continue; // evicted by a gang timeout after it was given its node
      }
      String error = extender.bind(new ExtenderHandler.BindRequest(
          pod.getMetadata().getName(), pod.getMetadata().getNamespace(), pod.getMetadata().getUid(), choice.getValue()));
      if (!error.isEmpty()) {
        fail("bind of " + pod.getMetadata().getName() + " to " + choice.getValue() + " failed: " + error);
      }
      bound++;
    }
    return bound;
  }

  private static WirePod wire(Pod pod) {
    var limits = pod.getSpec().getContainers().get(0).getResources().getLimits();
    Quantity gpus = limits == null ? null : limits.get(WellKnown.GPU_RESOURCE);
    List<String> quantities = new ArrayList<>();
    quantities.add(gpus == null ? null : gpus.getAmount());
    return new WirePod(
        PodRequests.keyOf(pod),
        pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels(),
        pod.getMetadata().getAnnotations(),
        quantities,
        List.of(),
        pod.getSpec().getPriority());
  }

  /** The binder: the API server stores the binding and the informer tells the cache. */
  private BindResult bind(PodKey key, String node, GpuAssignment assignment, Map<String, String> annotations) {
    Pod pod = api.get(key.uid());
    if (pod == null) {
      return BindResult.podNotFound(key, node);
    }
    if (pod.getSpec().getNodeName() != null) {
      return BindResult.alreadyBound(key, pod.getSpec().getNodeName(), node);
    }
    pod.getSpec().setNodeName(node);
    pod.getMetadata().getAnnotations().putAll(annotations);
    if (assignment != null) {
      pod.getMetadata().getAnnotations().put(WellKnown.GPU_ASSIGNMENT, AssignmentCodec.encode(assignment));
    }
    pod.getStatus().setPhase("Running");
    index.upsert(pod);
    cache.podBound(key, assignment);
    Job job = jobOfPod.get(key.uid());
    finishesAt.put(key.uid(), job.duration() == Long.MAX_VALUE ? Long.MAX_VALUE : tick + job.duration());
    return BindResult.bound(key, node);
  }

  private void finish(String uid) {
    Pod pod = api.remove(uid);
    finishesAt.remove(uid);
    if (pod != null) {
      pod.getStatus().setPhase("Succeeded");
      index.upsert(pod);
      cache.podGone(uid);
      index.remove(uid);
    }
  }

  /** The Eviction API and the pod's controller: the pod goes, and a new one takes its place, pending. */
  private Evictor.Result evict(PodKey key) {
    Pod pod = api.remove(key.uid());
    if (pod == null) {
      return new Evictor.Result(Evictor.Outcome.GONE, "");
    }
    evictions++;
    finishesAt.remove(key.uid());
    cache.podGone(key.uid());
    index.remove(key.uid());
    createPod(jobOfPod.get(key.uid()), key.name());
    return new Evictor.Result(Evictor.Outcome.EVICTED, "");
  }

  private void checkInvariants() {
    // No GPU over-committed: a whole-held GPU has one tenant; shares fit the memory.
    cache.snapshot().forEach(node -> {
      Map<Integer, Long> shared = new HashMap<>();
      Map<Integer, Integer> exclusive = new HashMap<>();
      for (Allocation allocation : node.allocations().values()) {
        for (GpuShare share : allocation.assignment().shares()) {
          if (allocation.assignment().exclusive()) {
            exclusive.merge(share.index(), 1, Integer::sum);
          } else {
            shared.merge(share.index(), share.memoryMiB(), Long::sum);
          }
        }
      }
      exclusive.forEach((gpu, holders) -> {
        assertEquals(1, holders, "GPU " + gpu + " of " + node.name() + " held whole twice at t=" + tick);
        assertTrue(!shared.containsKey(gpu), "GPU " + gpu + " of " + node.name() + " held whole and shared");
      });
      shared.forEach((gpu, mib) -> assertTrue(mib <= 81920, "GPU " + gpu + " of " + node.name() + " over-committed"));
    });
    // The ledger holds every bound pod.
    for (Pod pod : api.values()) {
      if (pod.getSpec().getNodeName() != null) {
        NodeState node = cache.snapshot().node(pod.getSpec().getNodeName());
        assertTrue(node.allocations().containsKey(pod.getMetadata().getUid()), "ledger lost " + pod.getMetadata().getName());
      }
    }
    // No gang partly running past its timeout (plus the monitor's one-second period).
    for (Map.Entry<String, PodGroup> group : groups.entrySet()) {
      int running = 0;
      for (PodIndex.IndexedPod member : index.gang(group.getKey())) {
        if (!member.pending()) {
          running++;
        }
      }
      boolean partly = running > 0 && running < group.getValue().minMember();
      if (!partly) {
        partlyPlacedSince.remove(group.getKey());
        continue;
      }
      long since = partlyPlacedSince.computeIfAbsent(group.getKey(), g -> tick);
      assertTrue(tick - since <= GANG_TIMEOUT.toSeconds() + 1,
          "gang " + group.getKey() + " partly running (" + running + " of " + group.getValue().minMember()
              + ") since t=" + since + ", now t=" + tick);
    }
  }
}
