package dev.tessera.extender.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.WellKnown;
import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.extender.actions.BindResult;
import dev.tessera.extender.actions.Evictor;
import dev.tessera.extender.actions.PodEvents;
import dev.tessera.extender.controllers.ReclaimController;
import dev.tessera.extender.controllers.RefusedPods;
import dev.tessera.extender.controllers.Unschedulable;
import dev.tessera.extender.gangs.GangCoordinator;
import dev.tessera.extender.gangs.GangPreemptionController;
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
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.model.PoolQuota;
import dev.tessera.extender.model.Project;
import dev.tessera.extender.scheduling.GangPlanner;
import dev.tessera.extender.scheduling.GangPreemption;
import dev.tessera.extender.scheduling.Placement;
import dev.tessera.extender.scheduling.Policy;
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
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The extender's series as Prometheus scrapes them, after a small cluster is fed through the real
 * filter and bind: per node, per pod and workload, pending and unschedulable pods by reason, the
 * created-to-bound histogram, and the projects' limits and weights.
 */
class SchedulingMetricsTest {
  private final MutableClock clock = MutableClock.atEpochOfTests();
  private final Placement placement = new Placement(PlacementStrategy.BINPACK);
  private final ClusterCache cache = new ClusterCache(clock, Duration.ofSeconds(30), placement);
  private final PodIndex index = new PodIndex();
  private final PolicyState policy = new PolicyState(cache, index);
  private final Unschedulable unschedulable = new Unschedulable(clock);
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<String, Pod> api = new HashMap<>();
  private final Instant start = clock.instant();
  private final Map<String, Instant> reports = new HashMap<>();

  private final PodWaitMetrics waits =
      new PodWaitMetrics(registry, policy::snapshot, cache::snapshot, index, unschedulable, cache::holdsUnconfirmed, clock);
  private final NodeMetrics nodes = new NodeMetrics(registry, cache::snapshot, reports::get, clock);
  private final AllocationMetrics allocations =
      new AllocationMetrics(registry, cache::snapshot, policy::snapshot, index::get, 10);
  private SchedulingExtender extender;

  private void cluster() {
    NodePool a100 = new NodePool("a100", Map.of("gpu", "a100"), PlacementStrategy.BINPACK, PlacementStrategy.SPREAD);
    for (int n = 0; n < 2; n++) {
      List<GpuDevice> gpus = new ArrayList<>();
      for (int g = 0; g < 8; g++) {
        gpus.add(new GpuDevice(g, "GPU-" + n + "-" + g, "a100", 81920));
      }
      cache.upsertNode(new GpuNode("node-" + n, gpus, null, List.of(), Map.of("gpu", "a100"), WellKnown.DEFAULT_POOL));
    }
    Project team = new Project("team-a", List.of("team-a"), null, Map.of("a100", new PoolQuota(4, 2, 12)), 0, true);
    policy.policy(new Policy(List.of(a100), Map.of("team-a", team), Map.of(), Map.of()));
    PreemptionClaims claims = new PreemptionClaims(clock);
    extender = new SchedulingExtender(
        cache,
        (namespace, name) -> api.values().stream()
            .filter(p -> p.getMetadata().getNamespace().equals(namespace) && p.getMetadata().getName().equals(name))
            .findFirst()
            .map(p -> new SchedulingExtender.PendingPod(PodRequests.keyOf(p), PodRequests.of(p), true,
                PodRequests.traitsOf(p), PodIndex.createdOf(p))),
        this::bind,
        PodEvents.NOOP,
        new SchedulingExtender.PolicyContext(
            policy::snapshot, policy::recompute,
            new GangCoordinator(cache, index, new GangPlanner(placement), claims, clock),
            unschedulable, index, new VictimSelector(placement), registry, new CpuLedger(), pod -> 0L,
            (namespace, name) -> new PodGroupLookup.Result.Missing(),
            new RefusedPods(cache, policy::snapshot, index, (pod, why) -> {}, gang -> true, clock),
            claims, waits::bound),
        () -> true);
  }

  @Test
  void seriesFollowTheClusterAfterFilterAndBind() {
    cluster();
    Pod trainer = pod("team-a", "trainer-0", "2", Map.of(WellKnown.WORKLOAD_LABEL, "train-1",
        WellKnown.WORKLOAD_KIND_LABEL, "training"));
    Pod huge = pod("team-a", "huge", "16", Map.of());
    Pod waiting = pod("team-a", "waiting", "1", Map.of());
    pod("lab", "stray", "1", Map.of());
    clock.advance(Duration.ofSeconds(90));
    policy.recompute();

    List<String> names = List.of("node-0", "node-1");
    FilterDecision placed = extender.filter(wire(trainer), RequestedNodes.of(names));
    String node = placed.passed(0) ? "node-0" : "node-1";
    assertEquals("", extender.bind(new ExtenderHandler.BindRequest(
        "trainer-0", "team-a", trainer.getMetadata().getUid(), node)));
    FilterDecision refused = extender.filter(wire(huge), RequestedNodes.of(names));
    assertFalse(refused.passed(0) || refused.passed(1), "no node has 16 GPUs");
    reports.put(node, clock.instant().minusSeconds(7));
    policy.recompute();
    nodes.update();
    allocations.update();
    waits.update();
    String text = registry.scrape();

    // Created to bound: 90 s, in the fixed buckets only.
    Map<String, String> teamPool = Map.of("project", "team-a", "pool", "a100");
    assertEquals(1, value(text, "tessera_pod_created_to_bound_seconds_count", teamPool));
    assertEquals(90, value(text, "tessera_pod_created_to_bound_seconds_sum", teamPool), 1e-9);
    assertEquals(0, value(text, "tessera_pod_created_to_bound_seconds_bucket", with(teamPool, "le", "60.0")));
    assertEquals(1, value(text, "tessera_pod_created_to_bound_seconds_bucket", with(teamPool, "le", "120.0")));
    assertEquals(List.of("1.0", "5.0", "15.0", "30.0", "60.0", "120.0", "300.0", "600.0", "1800.0", "3600.0", "+Inf"),
        les(text, "tessera_pod_created_to_bound_seconds_bucket", teamPool));

    // Pending and unschedulable, by reason class.
    assertEquals(1, value(text, "tessera_pods_unschedulable", Map.of("reason", "insufficient-gpu")));
    assertEquals(0, value(text, "tessera_pods_unschedulable", Map.of("reason", "over-quota")));
    assertEquals(1, value(text, "tessera_pods_pending", with(teamPool, "reason", "insufficient-gpu")));
    assertEquals(1, value(text, "tessera_pods_pending", with(teamPool, "reason", "none")));
    assertEquals(0, value(text, "tessera_pods_pending", with(teamPool, "reason", "gang")));
    assertEquals(1, value(text, "tessera_pods_pending",
        Map.of("project", AllocationMetrics.NO_PROJECT, "pool", "default", "reason", "none")));
    assertEquals(90, value(text, "tessera_pods_pending_oldest_seconds", teamPool), 1e-9);
    assertTrue(waiting.getSpec().getNodeName() == null);

    // Per node.
    Map<String, String> bound = Map.of("node", node, "pool", "a100");
    assertEquals(8, value(text, "tessera_node_gpus", bound));
    assertEquals(2, value(text, "tessera_node_gpus_allocated", bound));
    assertEquals(6, value(text, "tessera_node_gpus_free", bound));
    assertEquals(0, value(text, "tessera_node_gpus_unhealthy", bound));
    assertEquals(7, value(text, "tessera_node_report_age_seconds", bound), 1e-9);
    assertFalse(text.contains("tessera_node_report_age_seconds{node=\"" + other(node) + "\""),
        "no report age for a node whose agent never reported");

    // Per pod and workload.
    assertEquals(2, value(text, "tessera_pod_allocated_gpus", Map.of("namespace", "team-a", "pod", "trainer-0",
        "node", node, "project", "team-a", "pool", "a100")));
    assertEquals(2, value(text, "tessera_workload_allocated_gpus", Map.of("namespace", "team-a",
        "workload", "train-1", "kind", "training", "project", "team-a", "pool", "a100")));
    assertEquals(0, value(text, "tessera_pod_series_omitted", Map.of()));

    // The report age keeps growing while the agent is silent.
    clock.advance(Duration.ofSeconds(60));
    assertEquals(67, value(registry.scrape(), "tessera_node_report_age_seconds", bound), 1e-9);
  }

  @Test
  void projectLimitsAndWeightsAreSeries() {
    cluster();
    ProjectMetrics projects = new ProjectMetrics(registry, policy::snapshot);
    projects.update(policy.recompute());
    String text = registry.scrape();
    Map<String, String> teamPool = Map.of("project", "team-a", "pool", "a100");
    assertEquals(12, value(text, "tessera_project_limit_gpus", teamPool));
    assertEquals(2, value(text, "tessera_project_over_quota_weight", teamPool));
    assertEquals(4, value(text, "tessera_project_deserved_gpus", teamPool));
  }

  @Test
  void countersAndHistogramsExistAtZeroBeforeAnything() {
    cluster();
    Evictor evictor = pod -> new Evictor.Result(Evictor.Outcome.EVICTED, "");
    new ReclaimController(cache, index, policy::snapshot, unschedulable, new VictimSelector(placement), evictor,
        PodEvents.NOOP, registry);
    new GangPreemptionController(cache, index, policy::snapshot, new GangPreemption(new GangPlanner(placement)),
        evictor, PodEvents.NOOP, registry, new PreemptionClaims(clock));
    waits.update();
    String text = registry.scrape();
    for (String outcome : List.of("evicted", "gone", "blocked_by_budget", "failed")) {
      assertEquals(0, value(text, "tessera_reclaim_evictions_total", Map.of("outcome", outcome)));
      assertEquals(0, value(text, "tessera_gang_preemption_evictions_total", Map.of("outcome", outcome)));
    }
    assertEquals(0, value(text, "tessera_reclaims_total", Map.of("pool", "default")));
    for (String outcome : List.of("bound", "no_room", "over_quota", "in_doubt", "api_error")) {
      assertEquals(0, value(text, "tessera_binds_total", Map.of("outcome", outcome)));
    }
    for (String reason : List.of("insufficient-gpu", "over-quota", "gang", "node-pool", "invalid-request", "other")) {
      assertEquals(0, value(text, "tessera_pods_unschedulable", Map.of("reason", reason)));
    }
    assertEquals(0, value(text, "tessera_pod_created_to_bound_seconds_count", Map.of("project", "team-a", "pool", "a100")));
    assertEquals(0, value(text, "tessera_pod_created_to_bound_seconds_count",
        Map.of("project", AllocationMetrics.NO_PROJECT, "pool", "default")));
  }

  @Test
  void perPodSeriesStopAtTheCapAndSayHowManyWereLeftOut() {
    cluster();
    AllocationMetrics capped = new AllocationMetrics(
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), cache::snapshot, policy::snapshot, index::get, 1);
    List<String> names = List.of("node-0", "node-1");
    for (int i = 0; i < 3; i++) {
      Pod p = pod("team-a", "p-" + i, "1", Map.of());
      policy.recompute();
      extender.filter(wire(p), RequestedNodes.of(names));
      String node = cache.unconfirmed(p.getMetadata().getUid()).node();
      assertEquals("", extender.bind(new ExtenderHandler.BindRequest("p-" + i, "team-a", p.getMetadata().getUid(), node)));
    }
    capped.update();
    assertEquals(2, capped.omitted());
  }

  private Pod pod(String namespace, String name, String gpus, Map<String, String> labels) {
    Pod pod = new PodBuilder()
        .withNewMetadata().withNamespace(namespace).withName(name).withUid("uid-" + name)
        .withCreationTimestamp(clock.instant().toString()).withLabels(labels).withAnnotations(new HashMap<>())
        .endMetadata()
        .withNewSpec().withSchedulerName(WellKnown.SCHEDULER_NAME).withPriority(0)
        .addNewContainer().withName("main").withNewResources()
        .addToLimits(WellKnown.GPU_RESOURCE, new Quantity(gpus)).endResources().endContainer()
        .endSpec()
        .withNewStatus().withPhase("Pending").endStatus()
        .build();
    api.put(pod.getMetadata().getUid(), pod);
    index.upsert(pod);
    return pod;
  }

  private BindResult bind(PodKey key, String node, GpuAssignment assignment, Map<String, String> annotations) {
    Pod pod = api.get(key.uid());
    pod.getSpec().setNodeName(node);
    pod.getStatus().setPhase("Running");
    index.upsert(pod);
    cache.podBound(key, assignment);
    return BindResult.bound(key, node);
  }

  private static WirePod wire(Pod pod) {
    Quantity gpus = pod.getSpec().getContainers().get(0).getResources().getLimits().get(WellKnown.GPU_RESOURCE);
    List<String> quantities = new ArrayList<>();
    quantities.add(gpus.getAmount());
    return new WirePod(PodRequests.keyOf(pod), pod.getMetadata().getLabels(), pod.getMetadata().getAnnotations(),
        quantities, List.of(), 0);
  }

  private static String other(String node) {
    return node.equals("node-0") ? "node-1" : "node-0";
  }

  private static Map<String, String> with(Map<String, String> labels, String name, String value) {
    Map<String, String> all = new HashMap<>(labels);
    all.put(name, value);
    return all;
  }

  /** The value of the one series of that name carrying at least these labels. */
  static double value(String text, String name, Map<String, String> labels) {
    List<Double> found = new ArrayList<>();
    Matcher line = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? (\\S+)$").matcher(text);
    while (line.find()) {
      String set = line.group(1) == null ? "" : line.group(1);
      if (labels.entrySet().stream().allMatch(l -> set.contains(l.getKey() + "=\"" + l.getValue() + "\""))) {
        found.add(Double.parseDouble(line.group(2)));
      }
    }
    if (found.size() != 1) {
      throw new AssertionError(found.size() + " series " + name + labels + " on the page:\n" + text);
    }
    return found.get(0);
  }

  /** The {@code le} labels of a histogram's buckets with these labels, in page order. */
  static List<String> les(String text, String name, Map<String, String> labels) {
    List<String> les = new ArrayList<>();
    Matcher line = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\}) (\\S+)$").matcher(text);
    while (line.find()) {
      String set = line.group(1);
      if (labels.entrySet().stream().allMatch(l -> set.contains(l.getKey() + "=\"" + l.getValue() + "\""))) {
        Matcher le = Pattern.compile("le=\"([^\"]+)\"").matcher(set);
        if (le.find()) {
          les.add(le.group(1));
        }
      }
    }
    return les;
  }
}
