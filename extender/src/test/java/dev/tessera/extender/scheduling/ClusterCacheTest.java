package dev.tessera.extender.scheduling;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.ledger.ClusterCache.AssumeResult;
import dev.tessera.extender.model.GpuNode;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.testing.Ledger;
import dev.tessera.extender.testing.MutableClock;
import dev.tessera.extender.testing.Nodes;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The cache's pod state machine, without Kubernetes: assume, confirm, forget, expire, resync. */
class ClusterCacheTest {
  private static final Duration TTL = Duration.ofSeconds(30);

  private MutableClock clock;
  private ClusterCache cache;
  private GpuNode n1;
  private GpuNode n2;

  @BeforeEach
  void setUp() {
    clock = MutableClock.atEpochOfTests();
    cache = new ClusterCache(clock, TTL, new Placement(PlacementStrategy.BINPACK));
    n1 = Nodes.node("n1").gpus(2).build();
    n2 = Nodes.node("n2").gpus(2).build();
    cache.upsertNode(n1);
    cache.upsertNode(n2);
  }

  private static PodKey pod(String name) {
    return Ledger.pod(name);
  }

  private NodeState node(String name) {
    return cache.snapshot().node(name);
  }

  private GpuAssignment assumed(String pod, String node, GpuRequest request) {
    AssumeResult result = cache.assume(pod(pod), node, request);
    return assertInstanceOf(AssumeResult.Assumed.class, result, () -> "refused: " + result).assignment();
  }

  private static List<Integer> gpus(GpuAssignment a) {
    return a.shares().stream().map(GpuShare::index).collect(Collectors.toList());
  }

  private static GpuAssignment wholeOn(String node, int... gpus) {
    List<GpuShare> shares =
        java.util.Arrays.stream(gpus).mapToObj(i -> new GpuShare(i, Nodes.uuid(node, i), 81920, 1.0)).toList();
    return new GpuAssignment(node, true, shares);
  }

  // ------------------------------------------------------------------------- assume

  @Test
  void assumeHoldsGpusAtOnce() {
    GpuAssignment a = assumed("a", "n1", GpuRequest.whole(1));
    assertEquals("n1", a.node());
    assertEquals(List.of(0), gpus(a));
    assertEquals(Nodes.uuid("n1", 0), a.shares().get(0).uuid());
    assertEquals(1, node("n1").freeWholeGpus());
    assertTrue(node("n1").heldWhole(0));
    Allocation held = cache.allocation("uid-a");
    assertNotNull(held);
    assertTrue(held.assumed());
    assertEquals(a, held.assignment());
    assertEquals(2, node("n2").freeWholeGpus(), "other nodes untouched");
  }

  @Test
  void assumeRefusesWhenItDoesNotFit() {
    assumed("a", "n1", GpuRequest.whole(2));
    long version = cache.snapshot().version();
    AssumeResult result = cache.assume(pod("b"), "n1", GpuRequest.whole(1));
    AssumeResult.Refused refused = assertInstanceOf(AssumeResult.Refused.class, result);
    assertEquals(
        "node n1 cannot take it now: needs 1 whole GPU; 0 of 2 free (2 held whole, 0 shared by fractions)",
        refused.reason());
    assertNull(cache.allocation("uid-b"));
    assertEquals(version, cache.snapshot().version(), "a refusal publishes nothing");
  }

  @Test
  void assumeRefusesAnUnknownNodeAndAnInvalidRequest() {
    AssumeResult unknown = cache.assume(pod("a"), "n9", GpuRequest.whole(1));
    assertEquals(
        "node n9 is not known to the extender",
        assertInstanceOf(AssumeResult.Refused.class, unknown).reason());
    AssumeResult invalid = cache.assume(pod("a"), "n1", GpuRequest.invalid("gpu-memory must be ..."));
    assertEquals(
        "pod default/a: gpu-memory must be ...",
        assertInstanceOf(AssumeResult.Refused.class, invalid).reason());
    assertNull(cache.allocation("uid-a"));
  }

  /**
   * BUG (ClusterCache.assume): for a request that wants no GPU, check() passes and pick() returns
   * null, and {@code new Allocation(pod, null, true)} throws NullPointerException. The webhook
   * guards against it today; the cache's own contract should not depend on that.
   */
  @Test
  void assumeWithoutAGpuRequestHoldsNothingAndDoesNotThrow() {
    long version = cache.snapshot().version();
    AssumeResult result = assertDoesNotThrow(() -> cache.assume(pod("cpu-only"), "n1", GpuRequest.NONE));
    assertInstanceOf(AssumeResult.Refused.class, result);
    assertNull(cache.allocation("uid-cpu-only"));
    assertEquals(version, cache.snapshot().version());
  }

  @Test
  void repeatedAssumeOnTheSameNodeReturnsTheSameAssignment() {
    GpuAssignment first = assumed("a", "n1", GpuRequest.fraction(0.5, 1));
    long version = cache.snapshot().version();
    GpuAssignment second = assumed("a", "n1", GpuRequest.fraction(0.5, 1));
    assertEquals(first, second);
    assertEquals(version, cache.snapshot().version(), "nothing is held twice");
    assertEquals(40960, node("n1").usedMiB(0));
    assertEquals(1, node("n1").sharedTenants(0));
  }

  @Test
  void assumeOnAnotherNodeIsRefused() {
    assumed("a", "n1", GpuRequest.whole(1));
    AssumeResult result = cache.assume(pod("a"), "n2", GpuRequest.whole(1));
    assertEquals(
        "pod default/a is being bound to node n1",
        assertInstanceOf(AssumeResult.Refused.class, result).reason());
    assertEquals(2, node("n2").freeWholeGpus());
  }

  @Test
  void concurrentStyleAssumesDoNotShareCapacity() {
    GpuAssignment a = assumed("a", "n1", GpuRequest.fraction(0.5, 1));
    GpuAssignment b = assumed("b", "n1", GpuRequest.fraction(0.5, 1));
    GpuAssignment c = assumed("c", "n1", GpuRequest.fraction(0.5, 1));
    assertEquals(List.of(0), gpus(a));
    assertEquals(List.of(0), gpus(b), "bin-packing fills GPU 0 first");
    assertEquals(List.of(1), gpus(c));
    assertInstanceOf(AssumeResult.Refused.class, cache.assume(pod("d"), "n1", GpuRequest.whole(1)));
  }

  // ------------------------------------------------------------------------- forget / bound / gone

  @Test
  void forgetReleasesAnAssumedPod() {
    assumed("a", "n1", GpuRequest.whole(2));
    cache.forget("uid-a");
    assertNull(cache.allocation("uid-a"));
    assertEquals(2, node("n1").freeWholeGpus());
    assertEquals(List.of(0, 1), gpus(assumed("b", "n1", GpuRequest.whole(2))));
  }

  @Test
  void forgetLeavesConfirmedAndUnknownPodsAlone() {
    cache.podBound(pod("a"), wholeOn("n1", 0));
    long version = cache.snapshot().version();
    cache.forget("uid-a");
    cache.forget("uid-nobody");
    assertNotNull(cache.allocation("uid-a"));
    assertTrue(node("n1").heldWhole(0));
    assertEquals(version, cache.snapshot().version());
  }

  private static ClusterCache.Lapsed lapsedBind(String name) {
    return new ClusterCache.Lapsed(pod(name), ClusterCache.Stage.BINDING);
  }

  @Test
  void podBoundConfirmsAnAssumption() {
    GpuAssignment a = assumed("a", "n1", GpuRequest.whole(1));
    cache.podBound(pod("a"), a);
    Allocation held = cache.allocation("uid-a");
    assertFalse(held.assumed());
    assertEquals(a, held.assignment());
    clock.advance(TTL.multipliedBy(10));
    assertTrue(cache.expireAssumptions().isEmpty(), "a confirmed pod never expires");
    assertTrue(node("n1").heldWhole(0));
  }

  @Test
  void podBoundWithAnotherAssignmentWins() {
    assumed("a", "n1", GpuRequest.whole(1)); // GPU 0 of n1
    cache.podBound(pod("a"), wholeOn("n2", 1));
    assertEquals(2, node("n1").freeWholeGpus(), "the assumed GPU is released");
    assertTrue(node("n2").heldWhole(1));
    assertFalse(node("n2").heldWhole(0));
    assertEquals("n2", cache.allocation("uid-a").node());
    assertFalse(cache.allocation("uid-a").assumed());
  }

  @Test
  void podBoundRepeatedIsANoOp() {
    cache.podBound(pod("a"), wholeOn("n1", 1));
    long version = cache.snapshot().version();
    cache.podBound(pod("a"), wholeOn("n1", 1));
    assertEquals(version, cache.snapshot().version());
  }

  @Test
  void podGoneReleasesAssumedAndBound() {
    assumed("a", "n1", GpuRequest.whole(1));
    cache.podBound(pod("b"), wholeOn("n2", 0));
    cache.podGone("uid-a");
    cache.podGone("uid-b");
    cache.podGone("uid-nobody");
    assertEquals(2, node("n1").freeWholeGpus());
    assertEquals(2, node("n2").freeWholeGpus());
    assertNull(cache.allocation("uid-a"));
    assertNull(cache.allocation("uid-b"));
  }

  // ------------------------------------------------------------------------- expiry

  @Test
  void assumptionsExpireExactlyAtTheirTtl() {
    assumed("a", "n1", GpuRequest.whole(1));
    clock.advance(Duration.ofSeconds(10));
    assumed("b", "n1", GpuRequest.whole(1));

    clock.advance(TTL.minusSeconds(10).minusMillis(1)); // a: 1 ms before its deadline
    assertTrue(cache.expireAssumptions().isEmpty());
    assertEquals(0, node("n1").freeWholeGpus());

    clock.advance(Duration.ofMillis(1)); // a's deadline
    assertEquals(List.of(lapsedBind("a")), cache.expireAssumptions());
    assertNull(cache.allocation("uid-a"));
    assertNotNull(cache.allocation("uid-b"));
    assertFalse(node("n1").heldWhole(0));
    assertEquals(1, node("n1").freeWholeGpus());

    assertTrue(cache.expireAssumptions().isEmpty(), "nothing expires twice");
    clock.advance(Duration.ofSeconds(10));
    assertEquals(List.of(lapsedBind("b")), cache.expireAssumptions());
    assertEquals(2, node("n1").freeWholeGpus());
  }

  @Test
  void aBoundPodsGpusNeverLapseHoweverSlowTheInformer() {
    assumed("a", "n1", GpuRequest.whole(2));
    cache.bound("uid-a");
    clock.advance(TTL.multipliedBy(100));
    assertTrue(cache.expireAssumptions().isEmpty());
    assertEquals(0, node("n1").freeWholeGpus());
    assertEquals(ClusterCache.Stage.BOUND, cache.stage("uid-a"));
    cache.forget("uid-a");
    assertEquals(0, node("n1").freeWholeGpus(), "only the informer releases a bound pod");
    cache.podGone("uid-a");
    assertEquals(2, node("n1").freeWholeGpus());
  }

  // ------------------------------------------------------------------------- nominations

  @Test
  void aNominationHoldsGpusUntilItsBindTakesItOver() {
    GpuAssignment nominated = assertInstanceOf(AssumeResult.Assumed.class,
        cache.nominate(pod("a"), "n1", GpuRequest.fraction(0.5, 1))).assignment();
    assertEquals(ClusterCache.Stage.NOMINATED, cache.stage("uid-a"));
    GpuAssignment other = assertInstanceOf(AssumeResult.Assumed.class,
        cache.nominate(pod("b"), "n1", GpuRequest.fraction(0.75, 1))).assignment();
    assertNotEquals(gpus(nominated), gpus(other), "the second pod's filter sees the first one's GPU taken");

    GpuAssignment bound = assertInstanceOf(AssumeResult.Assumed.class,
        cache.assume(pod("a"), "n1", GpuRequest.fraction(0.5, 1))).assignment();
    assertEquals(nominated, bound, "the bind gets the GPUs filter chose");
    assertEquals(ClusterCache.Stage.BINDING, cache.stage("uid-a"));
  }

  @Test
  void aNominationNoBindTakesLapsesQuietlyAfterItsTtl() {
    cache.nominate(pod("a"), "n1", GpuRequest.whole(2));
    clock.advance(ClusterCache.DEFAULT_NOMINATION_TTL.minusMillis(1));
    assertTrue(cache.expireAssumptions().isEmpty());
    assertEquals(0, node("n1").freeWholeGpus());
    clock.advance(Duration.ofMillis(1));
    assertEquals(List.of(new ClusterCache.Lapsed(pod("a"), ClusterCache.Stage.NOMINATED)), cache.expireAssumptions());
    assertEquals(2, node("n1").freeWholeGpus());
  }

  @Test
  void aPodNominatedAgainMovesItsHold() {
    cache.nominate(pod("a"), "n1", GpuRequest.whole(2));
    cache.nominate(pod("a"), "n2", GpuRequest.whole(2));
    assertEquals(2, node("n1").freeWholeGpus());
    assertEquals(0, node("n2").freeWholeGpus());
    assertEquals("n2", cache.allocation("uid-a").node());
  }

  @Test
  void aBindToAnotherNodeThanNominatedPlacesThePodAfresh() {
    cache.nominate(pod("a"), "n1", GpuRequest.whole(1));
    assertInstanceOf(AssumeResult.Assumed.class, cache.assume(pod("a"), "n2", GpuRequest.whole(1)));
    assertEquals(2, node("n1").freeWholeGpus(), "the nomination is released");
    assertEquals(1, node("n2").freeWholeGpus());
  }

  @Test
  void aPodBeingBoundIsNotNominatedAgain() {
    assumed("a", "n1", GpuRequest.whole(1));
    assertEquals("pod default/a is being bound to node n1 already",
        assertInstanceOf(AssumeResult.Refused.class, cache.nominate(pod("a"), "n2", GpuRequest.whole(1))).reason());
    cache.bound("uid-a");
    assertEquals("pod default/a is bound to node n1 already",
        assertInstanceOf(AssumeResult.Refused.class, cache.nominate(pod("a"), "n1", GpuRequest.whole(1))).reason());
  }

  @Test
  void aNominationWhereTheNodeIsFullIsRefusedWithTheReason() {
    cache.nominate(pod("a"), "n1", GpuRequest.whole(2));
    AssumeResult refused = cache.nominate(pod("b"), "n1", GpuRequest.whole(1));
    assertTrue(assertInstanceOf(AssumeResult.Refused.class, refused).reason().startsWith("node n1 cannot take it now: "),
        refused.toString());
  }

  // ------------------------------------------------------------------------- replaceAll

  @Test
  void replaceAllKeepsPendingAssumptions() {
    cache.podBound(pod("a"), wholeOn("n1", 0));
    GpuAssignment b = assumed("b", "n1", GpuRequest.whole(1));
    assertEquals(List.of(1), gpus(b));

    int changed = cache.replaceAll(List.of(n1, n2), List.of(Ledger.allocation("a", wholeOn("n1", 0))));

    assertEquals(0, changed);
    assertTrue(cache.allocation("uid-b").assumed());
    assertEquals(0, node("n1").freeWholeGpus());
    assertTrue(node("n1").heldWhole(1));
    clock.advance(TTL);
    assertEquals(List.of(lapsedBind("b")), cache.expireAssumptions(), "the kept assumption still expires");
  }

  @Test
  void replaceAllReportsDrift() {
    cache.podBound(pod("same"), wholeOn("n1", 0));
    cache.podBound(pod("moved"), wholeOn("n1", 1));
    cache.podBound(pod("deleted"), wholeOn("n2", 0));

    int changed =
        cache.replaceAll(
            List.of(n1, n2),
            List.of(
                Ledger.allocation("same", wholeOn("n1", 0)),
                Ledger.allocation("moved", wholeOn("n2", 1)),
                Ledger.allocation("new", wholeOn("n1", 1))));

    assertEquals(3, changed, "moved, deleted and new");
    assertNull(cache.allocation("uid-deleted"));
    assertEquals("n2", cache.allocation("uid-moved").node());
    assertEquals(0, node("n1").freeWholeGpus());
    assertTrue(node("n2").heldWhole(1));
    assertFalse(node("n2").heldWhole(0));
  }

  @Test
  void replaceAllConfirmsListedAssumptionsWithoutCountingDrift() {
    GpuAssignment a = assumed("a", "n1", GpuRequest.whole(1));
    int changed = cache.replaceAll(List.of(n1, n2), List.of(Ledger.allocation("a", a)));
    assertEquals(0, changed);
    assertFalse(cache.allocation("uid-a").assumed());
    clock.advance(TTL);
    assertTrue(cache.expireAssumptions().isEmpty());
  }

  @Test
  void replaceAllReplacesTheNodeSet() {
    GpuNode n3 = Nodes.node("n3").gpus(8).build();
    long before = cache.snapshot().version();
    ClusterSnapshot old = cache.snapshot();
    cache.replaceAll(List.of(n3), List.of(Ledger.allocation("x", wholeOn("n3", 7))));
    ClusterSnapshot now = cache.snapshot();
    assertTrue(now.version() > before);
    assertEquals(1, now.size());
    assertNull(now.node("n1"));
    assertTrue(now.node("n3").heldWhole(7));
    assertEquals(2, old.size(), "a published snapshot never changes");
    assertNotNull(old.node("n1"));
  }

  // ------------------------------------------------------------------------- foreign pods

  @Test
  void podBoundWithoutAssignmentHoldsGpus() {
    cache.podBoundWithoutAssignment(pod("foreign"), "n1", GpuRequest.whole(1));
    Allocation held = cache.allocation("uid-foreign");
    assertNotNull(held);
    assertFalse(held.assumed());
    assertEquals(List.of(0), gpus(held.assignment()));
    assertTrue(node("n1").heldWhole(0));
    assertInstanceOf(AssumeResult.Refused.class, cache.assume(pod("b"), "n1", GpuRequest.whole(2)));
    assertEquals(List.of(1), gpus(assumed("c", "n1", GpuRequest.whole(1))));
  }

  @Test
  void podBoundWithoutAssignmentForAFractionHoldsMemory() {
    cache.podBoundWithoutAssignment(pod("foreign"), "n1", GpuRequest.fraction(0.75, 1));
    assertEquals(61440, node("n1").usedMiB(0));
    assertEquals(List.of(1), gpus(assumed("b", "n1", GpuRequest.fraction(0.5, 1))));
  }

  @Test
  void podBoundWithoutAssignmentIgnoresKnownPodsAndHoldsNothingWithoutRoom() {
    cache.podBound(pod("a"), wholeOn("n1", 0, 1));
    long version = cache.snapshot().version();
    cache.podBoundWithoutAssignment(pod("a"), "n1", GpuRequest.whole(1));
    assertEquals(wholeOn("n1", 0, 1), cache.allocation("uid-a").assignment());
    cache.podBoundWithoutAssignment(pod("b"), "n1", GpuRequest.whole(1)); // no room: over-committed
    assertNull(cache.allocation("uid-b"));
    cache.podBoundWithoutAssignment(pod("c"), "n9", GpuRequest.whole(1)); // unknown node
    assertNull(cache.allocation("uid-c"));
    assertEquals(version, cache.snapshot().version());
  }

  // ------------------------------------------------------------------------- nodes

  @Test
  void removeNodeThenUpsertRestoresItsAllocations() {
    cache.podBound(pod("a"), wholeOn("n1", 1));
    assumed("b", "n1", GpuRequest.fraction(0.25, 1));
    cache.removeNode("n1");
    assertNull(node("n1"));
    assertEquals(1, cache.snapshot().size());
    assertNotNull(cache.allocation("uid-a"), "a pod outlives its node's informer event");
    assertInstanceOf(AssumeResult.Refused.class, cache.assume(pod("c"), "n1", GpuRequest.whole(1)));

    cache.upsertNode(n1);
    NodeState back = node("n1");
    assertNotNull(back);
    assertTrue(back.heldWhole(1));
    assertEquals(20480, back.usedMiB(0));
    assertEquals(0, back.freeWholeGpus());
  }

  @Test
  void podBoundWhileItsNodeIsAbsentCountsOnceTheNodeArrives() {
    cache.podBound(pod("early"), wholeOn("n3", 0));
    assertNull(node("n3"));
    cache.upsertNode(Nodes.node("n3").gpus(2).build());
    assertTrue(node("n3").heldWhole(0));
    assertEquals(1, node("n3").freeWholeGpus());
  }

  @Test
  void upsertNodeKeepsAllocationsAndSkipsNoChange() {
    cache.podBound(pod("a"), wholeOn("n1", 0));
    long version = cache.snapshot().version();
    cache.upsertNode(Nodes.node("n1").gpus(2).build()); // equal description
    assertEquals(version, cache.snapshot().version());
    cache.upsertNode(Nodes.node("n1").gpus(2).strategy(PlacementStrategy.SPREAD).build());
    assertTrue(cache.snapshot().version() > version);
    assertEquals(PlacementStrategy.SPREAD, node("n1").node().strategy());
    assertTrue(node("n1").heldWhole(0));
  }

  @Test
  void publishedSnapshotsNeverChangeAndVersionsIncrease() {
    ClusterSnapshot v0 = cache.snapshot();
    assumed("a", "n1", GpuRequest.whole(2));
    ClusterSnapshot v1 = cache.snapshot();
    cache.forget("uid-a");
    ClusterSnapshot v2 = cache.snapshot();
    assertTrue(v0.version() < v1.version() && v1.version() < v2.version());
    assertEquals(2, v0.node("n1").freeWholeGpus());
    assertEquals(0, v1.node("n1").freeWholeGpus());
    assertEquals(2, v2.node("n1").freeWholeGpus());
    assertSame(v0.node("n2"), v1.node("n2"), "untouched nodes are shared between versions");
  }

  @Test
  void foreignPodSeenBeforeItsNodeIsHeldOnceTheNodeArrives() {
    cache.podBoundWithoutAssignment(new ClusterCache.ForeignPod(pod("f"), "n3", GpuRequest.whole(2)));
    assertNull(cache.allocation("uid-f"), "no node yet, nothing to hold");
    cache.upsertNode(Nodes.node("n3").gpus(2).build());
    assertEquals(List.of(0, 1), gpus(cache.allocation("uid-f").assignment()));
    assertEquals(0, node("n3").freeWholeGpus());
  }

  @Test
  void foreignPodWithoutRoomIsHeldWhenRoomIsFreed() {
    assumed("a", "n1", GpuRequest.whole(2));
    cache.podBoundWithoutAssignment(new ClusterCache.ForeignPod(pod("f"), "n1", GpuRequest.whole(1)));
    assertNull(cache.allocation("uid-f"));
    cache.podGone("uid-a");
    assertEquals(List.of(0), gpus(cache.allocation("uid-f").assignment()));
  }

  @Test
  void resyncKeepsForeignPodsOnTheirGpusWithoutDrift() {
    cache.podBoundWithoutAssignment(new ClusterCache.ForeignPod(pod("f"), "n1", GpuRequest.whole(1)));
    GpuAssignment before = cache.allocation("uid-f").assignment();
    int drift =
        cache.replaceAll(
            List.of(n1, n2), List.of(), List.of(new ClusterCache.ForeignPod(pod("f"), "n1", GpuRequest.whole(1))));
    assertEquals(0, drift);
    assertEquals(before, cache.allocation("uid-f").assignment());
    assertEquals(1, node("n1").freeWholeGpus());

    int dropped = cache.replaceAll(List.of(n1, n2), List.of(), List.of());
    assertEquals(1, dropped, "a foreign pod missing from the listing is drift");
    assertNull(cache.allocation("uid-f"));
  }

  @Test
  void foreignPodFirstSeenInAListingIsHeldAndCountedAsDrift() {
    int drift =
        cache.replaceAll(
            List.of(n1, n2), List.of(), List.of(new ClusterCache.ForeignPod(pod("f"), "n2", GpuRequest.fraction(0.5, 1))));
    assertEquals(1, drift);
    assertEquals("n2", cache.allocation("uid-f").node());
  }
}
