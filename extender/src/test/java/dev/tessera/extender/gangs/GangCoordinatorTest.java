package dev.tessera.extender.gangs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.ledger.Fixtures;
import dev.tessera.extender.ledger.PodIndex;
import dev.tessera.extender.ledger.PodRequests;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.model.PodGroup;
import dev.tessera.extender.scheduling.GangPlanner;
import dev.tessera.extender.scheduling.Placement;
import dev.tessera.extender.scheduling.PolicySnapshot;
import dev.tessera.extender.testing.MutableClock;
import dev.tessera.extender.testing.Nodes;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A gang's plan keeps off nodes held for a gang of higher priority. */
class GangCoordinatorTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final Placement placement = new Placement(PlacementStrategy.BINPACK);
  private final ClusterCache cache = new ClusterCache(clock, Duration.ofSeconds(30), placement);
  private final PodIndex index = new PodIndex();
  private final PreemptionClaims claims = new PreemptionClaims(clock);
  private final GangCoordinator gangs = new GangCoordinator(cache, index, new GangPlanner(placement), claims, clock);

  @BeforeEach
  void setUp() {
    cache.upsertNode(Nodes.node("n1").gpus(2).build());
    cache.upsertNode(Nodes.node("n2").gpus(2).build());
  }

  private Pod member(String name, int gpus) {
    Pod pod = Fixtures.pod("ml", name).uid(name + "-uid").gpus(gpus)
        .annotation(WellKnown.KAI_POD_GROUP_ANNOTATION, "g").obj();
    index.upsert(pod);
    return pod;
  }

  private GangCoordinator.Decision decide(Pod pod, int members, int priority) {
    return gangs.decide(PodRequests.keyOf(pod), PodRequests.of(pod),
        new PodGroup("ml", "g", members, null, null, PodGroup.DEFAULT_TIMEOUT), PodRequests.traitsOf(pod), null,
        PolicySnapshot.EMPTY, priority);
  }

  @Test
  void aLowerPriorityGangIsPlannedAroundANodeHeldForAnother() {
    claims.claim("ml/important", 100, List.of("n1"), Duration.ofSeconds(30));
    Pod first = member("m0", 1);
    member("m1", 1);
    GangCoordinator.Decision decision = decide(first, 2, 0);
    assertEquals("n2", assertInstanceOf(GangCoordinator.Decision.Steer.class, decision).node());
    assertEquals("n2", cache.reservation("m1-uid").node(), "the whole gang keeps off n1");
  }

  @Test
  void aGangThatFitsOnlyOnAHeldNodeWaitsAndMayUseItOnceTheClaimLapses() {
    claims.claim("ml/important", 100, List.of("n1"), Duration.ofSeconds(30));
    Pod first = member("m0", 2);
    member("m1", 2);
    GangCoordinator.Decision refused = decide(first, 2, 0);
    assertInstanceOf(GangCoordinator.Decision.Refuse.class, refused);

    clock.advance(Duration.ofSeconds(31));
    cache.upsertNode(Nodes.node("n3").gpus(1).build()); // a cluster change: the gang is planned afresh
    GangCoordinator.Decision placed = decide(first, 2, 0);
    assertInstanceOf(GangCoordinator.Decision.Steer.class, placed);
    assertTrue(List.of("n1", "n2").contains(cache.reservation("m1-uid").node()));
  }

  @Test
  void aGangAsImportantAsTheClaimMayUseTheNode() {
    claims.claim("ml/other", 100, List.of("n1", "n2"), Duration.ofSeconds(30));
    Pod first = member("m0", 2);
    member("m1", 2);
    assertInstanceOf(GangCoordinator.Decision.Steer.class, decide(first, 2, 100));
  }
}
