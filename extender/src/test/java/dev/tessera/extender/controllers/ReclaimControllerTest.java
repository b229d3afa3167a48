package dev.tessera.extender.controllers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.actions.Evictor;
import dev.tessera.extender.actions.PodEvents;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.ledger.PodIndex;
import dev.tessera.extender.ledger.PodRequests;
import dev.tessera.extender.ledger.PolicyState;
import dev.tessera.extender.model.GpuDevice;
import dev.tessera.extender.model.GpuNode;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.model.PoolQuota;
import dev.tessera.extender.model.Project;
import dev.tessera.extender.scheduling.Placement;
import dev.tessera.extender.scheduling.Policy;
import dev.tessera.extender.scheduling.VictimSelector;
import dev.tessera.extender.testing.MutableClock;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Reclaim for a pod kube-scheduler refused by its own filters: on a node whose {@code
 * nvidia.com/gpu} is all requested, kube-scheduler never asks the extender about a whole-GPU pod,
 * so only the pod's {@code PodScheduled} condition says it waits.
 */
class ReclaimControllerTest {
  private final MutableClock clock = MutableClock.atEpochOfTests();
  private final Placement placement = new Placement(PlacementStrategy.BINPACK);
  private final ClusterCache cache = new ClusterCache(clock, Duration.ofSeconds(30), placement);
  private final PodIndex index = new PodIndex();
  private final PolicyState policy = new PolicyState(cache, index);
  private final Unschedulable unschedulable = new Unschedulable(clock);
  private final List<PodKey> evicted = new ArrayList<>();

  @Test
  void aPodKubeSchedulerRefusedWithoutAskingTheExtenderStillReclaimsItsDeservedGpus() {
    List<GpuDevice> gpus = new ArrayList<>();
    for (int g = 0; g < 4; g++) {
      gpus.add(new GpuDevice(g, "GPU-" + g, "h100", 81920));
    }
    cache.upsertNode(new GpuNode("node-0", gpus, null, List.of(), Map.of(), WellKnown.DEFAULT_POOL));
    policy.policy(new Policy(List.of(), Map.of(
        "idle-user", new Project("idle-user", List.of("a"), null,
            Map.of(WellKnown.DEFAULT_POOL, new PoolQuota(0, 1, PoolQuota.UNLIMITED)), 0, true),
        "owner", new Project("owner", List.of("b"), null,
            Map.of(WellKnown.DEFAULT_POOL, new PoolQuota(4, 1, PoolQuota.UNLIMITED)), 0, true)),
        Map.of(), Map.of()));
    for (int i = 0; i < 4; i++) {
      Pod running = pod("a", "borrower-" + i, false);
      PodKey key = PodRequests.keyOf(running);
      assertInstanceOf(ClusterCache.AssumeResult.Assumed.class, cache.assume(key, "node-0", PodRequests.of(running)));
      cache.bound(key.uid());
      running.getSpec().setNodeName("node-0");
      running.getStatus().setPhase("Running");
      index.upsert(running);
    }
    ReclaimController reclaim = new ReclaimController(cache, index, policy::snapshot, unschedulable,
        new VictimSelector(placement), this::evict, PodEvents.NOOP, new SimpleMeterRegistry());
    Pod waiting = pod("b", "owner-0", false);
    policy.recompute();
    assertNull(reclaim.run(), "a pending pod nobody said is unschedulable yet waits for the scheduler");

    index.upsert(pod("b", "owner-0", true));
    policy.recompute();
    var victims = reclaim.run();

    assertNotNull(victims, "kube-scheduler's Unschedulable is enough to reclaim for it");
    assertEquals(1, evicted.size(), "one borrowed GPU comes back: " + evicted);
    assertEquals("a", evicted.get(0).namespace());
    assertEquals(waiting.getMetadata().getUid(), "uid-owner-0");
  }

  private Pod pod(String namespace, String name, boolean refusedByKubeScheduler) {
    Pod pod = new PodBuilder()
        .withNewMetadata().withNamespace(namespace).withName(name).withUid("uid-" + name)
        .withCreationTimestamp(clock.instant().toString()).endMetadata()
        .withNewSpec().withSchedulerName(WellKnown.SCHEDULER_NAME)
        .addNewContainer().withName("main").withNewResources()
        .addToLimits(WellKnown.GPU_RESOURCE, new Quantity("1")).endResources().endContainer()
        .endSpec()
        .withNewStatus().withPhase("Pending").endStatus()
        .build();
    if (refusedByKubeScheduler) {
      pod.getStatus().setConditions(List.of(new PodConditionBuilder().withType("PodScheduled").withStatus("False")
          .withReason("Unschedulable").withMessage("0/1 nodes are available: 1 Insufficient nvidia.com/gpu.").build()));
    }
    index.upsert(pod);
    return pod;
  }

  private Evictor.Result evict(PodKey pod) {
    evicted.add(pod);
    return new Evictor.Result(Evictor.Outcome.EVICTED, "");
  }
}
