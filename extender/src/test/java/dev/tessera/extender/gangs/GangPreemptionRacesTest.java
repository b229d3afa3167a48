package dev.tessera.extender.gangs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.actions.BindResult;
import dev.tessera.extender.actions.Evictor;
import dev.tessera.extender.actions.PodEvents;
import dev.tessera.extender.controllers.RefusedPods;
import dev.tessera.extender.controllers.Unschedulable;
import dev.tessera.extender.informers.PodGroupLookup;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.ledger.CpuLedger;
import dev.tessera.extender.ledger.PodIndex;
import dev.tessera.extender.ledger.PodRequests;
import dev.tessera.extender.ledger.PolicyState;
import dev.tessera.extender.model.GpuDevice;
import dev.tessera.extender.model.GpuNode;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.model.PodGroup;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.scheduling.GangPlanner;
import dev.tessera.extender.scheduling.GangPreemption;
import dev.tessera.extender.scheduling.Placement;
import dev.tessera.extender.scheduling.Policy;
import dev.tessera.extender.scheduling.RunningPod;
import dev.tessera.extender.scheduling.VictimSelector;
import dev.tessera.extender.testing.MutableClock;
import dev.tessera.extender.verbs.SchedulingExtender;
import dev.tessera.extender.verbs.WirePod;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Preemption for a gang while the informers lag behind the extender's own actions, as on a busy
 * cluster: an elastic training on one 4-GPU node, and a gang of higher priority arriving.
 */
class GangPreemptionRacesTest {
  private static final String NODE = "node-0";

  private final MutableClock clock = MutableClock.atEpochOfTests();
  private final Placement placement = new Placement(PlacementStrategy.BINPACK);
  private final ClusterCache cache = new ClusterCache(clock, Duration.ofSeconds(30), placement);
  private final PodIndex index = new PodIndex();
  private final PolicyState policy = new PolicyState(cache, index);
  private final Map<String, PodGroup> groups = new HashMap<>();
  private final List<PodKey> evicted = new ArrayList<>();

  GangPreemptionRacesTest() {
    List<GpuDevice> gpus = new ArrayList<>();
    for (int g = 0; g < 4; g++) {
      gpus.add(new GpuDevice(g, "GPU-" + g, "h100", 81920));
    }
    cache.upsertNode(new GpuNode(NODE, gpus, null, List.of(), Map.of(), WellKnown.DEFAULT_POOL));
  }

  @Test
  void aMemberBoundBeforeTheInformerShowsItStillCountsForItsGang() {
    group("el", 2);
    runningElasticTraining(List.of("el-worker-2"));
    group("hi", 2);
    pending("hi-master-0", "hi", 1000, false);
    pending("hi-worker-0", "hi", 1000, false);
    policy.recompute();

    GangPreemptionController controller = new GangPreemptionController(cache, index, policy::snapshot,
        new GangPreemption(new GangPlanner(placement)), this::evict, PodEvents.NOOP, new SimpleMeterRegistry(),
        new PreemptionClaims(clock));
    GangPreemption.Choice.Victims victims = controller.run();

    assertNotNull(victims, "the gang of higher priority needs two GPUs of the four the training holds");
    List<String> names = victims.victims().stream().map(RunningPod::key).map(PodKey::name).sorted().toList();
    assertEquals(2, names.size(), names.toString());
    assertTrue(names.stream().allMatch(n -> n.startsWith("el-worker-")),
        "two elastic workers leave and the training keeps its master and minimum, "
            + "counting the worker whose bind the informer has not shown yet: " + names);
    assertEquals(victims.victims().stream().map(RunningPod::key).toList(), evicted, "evicted as chosen");
  }

  @Test
  void kubeSchedulersPreemptionGetsNoVictimsForAPodWhoseGroupIsNotKnownYet() {
    group("el", 2);
    runningElasticTraining(List.of());
    policy.recompute();
    Unschedulable unschedulable = new Unschedulable(clock);
    PreemptionClaims claims = new PreemptionClaims(clock);
    SchedulingExtender extender = new SchedulingExtender(
        cache,
        (namespace, name) -> Optional.empty(),
        (key, node, assignment, annotations) -> BindResult.bound(key, node),
        PodEvents.NOOP,
        new SchedulingExtender.PolicyContext(
            policy::snapshot, policy::recompute,
            new GangCoordinator(cache, index, new GangPlanner(placement), claims, clock),
            unschedulable, index, new VictimSelector(placement), new SimpleMeterRegistry(), new CpuLedger(),
            pod -> 0L, (namespace, name) -> new PodGroupLookup.Result.Missing(),
            new RefusedPods(cache, policy::snapshot, index, (pod, why) -> {}, gang -> true, clock),
            claims),
        () -> true);
    // The workload controller created group "hi" and its pods; the pod informer delivered them, the
    // PodGroup informer not yet.
    Pod member = pending("hi-master-0", "hi", 1000, false);
    String victim = "uid-el-worker-1";
    WirePod wire = new WirePod(PodRequests.keyOf(member), member.getMetadata().getLabels(),
        member.getMetadata().getAnnotations(), List.of("1"), List.of(), 1000);

    assertEquals(Map.of(), extender.preempt(wire, Map.of(NODE, List.of(victim))),
        "one GPU for one member is not room for its gang: kube-scheduler evicts nothing for it");

    group("hi", 1);
    policy.recompute();
    assertEquals(Map.of(NODE, List.of(victim)), extender.preempt(wire, Map.of(NODE, List.of(victim))),
        "once the group is known as a gang of one, the pod preempts as any other pod");
  }

  /** el-master-0 and three elastic workers on the node; {@code unseen} are bound but the informer shows them pending. */
  private void runningElasticTraining(List<String> unseen) {
    for (String name : List.of("el-master-0", "el-worker-0", "el-worker-1", "el-worker-2")) {
      clock.advance(Duration.ofSeconds(1));
      Pod pod = pending(name, "el", 0, name.contains("worker"));
      PodKey key = PodRequests.keyOf(pod);
      assertInstanceOf(ClusterCache.AssumeResult.Assumed.class, cache.assume(key, NODE, PodRequests.of(pod)));
      cache.bound(key.uid());
      if (!unseen.contains(name)) {
        pod.getSpec().setNodeName(NODE);
        pod.getStatus().setPhase("Running");
        index.upsert(pod);
      }
    }
  }

  private void group(String name, int minMember) {
    groups.put("team/" + name, new PodGroup("team", name, minMember, null, null, PodGroup.DEFAULT_TIMEOUT));
    policy.policy(new Policy(List.of(), Map.of(), Map.of(), Map.copyOf(groups)));
  }

  private Pod pending(String name, String gang, int priority, boolean elastic) {
    Map<String, String> annotations = new HashMap<>();
    if (elastic) {
      annotations.put(WellKnown.ELASTIC_ANNOTATION, "true");
    }
    Pod pod = new PodBuilder()
        .withNewMetadata().withNamespace("team").withName(name).withUid("uid-" + name)
        .withCreationTimestamp(clock.instant().toString())
        .withLabels(Map.of(WellKnown.POD_GROUP_LABEL, gang)).withAnnotations(annotations)
        .endMetadata()
        .withNewSpec().withSchedulerName(WellKnown.SCHEDULER_NAME).withPriority(priority)
        .addNewContainer().withName("main").withNewResources()
        .addToLimits(WellKnown.GPU_RESOURCE, new Quantity("1")).endResources().endContainer()
        .endSpec()
        .withNewStatus().withPhase("Pending").endStatus()
        .build();
    index.upsert(pod);
    return pod;
  }

  private Evictor.Result evict(PodKey pod) {
    evicted.add(pod);
    return new Evictor.Result(Evictor.Outcome.EVICTED, "");
  }
}
