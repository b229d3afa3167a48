package dev.tessera.extender.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.ledger.ClusterCache.AssumeResult;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.testing.MutableClock;
import dev.tessera.extender.testing.Nodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** Gang reservations in the ledger: all members or none, invisible to others, bound where planned. */
class GangReservationTest {
  private static final Duration TTL = Duration.ofSeconds(30);

  private final MutableClock clock = MutableClock.atEpochOfTests();
  private final Placement placement = new Placement(PlacementStrategy.BINPACK);
  private final GangPlanner planner = new GangPlanner(placement);
  private ClusterCache cache;

  @BeforeEach
  void setUp() {
    cache = new ClusterCache(clock, TTL, placement);
    cache.upsertNode(Nodes.node("n1").gpus(4).build());
    cache.upsertNode(Nodes.node("n2").gpus(4).build());
  }

  private static List<GangPlanner.Member> gang(String name, int size, GpuRequest request) {
    List<GangPlanner.Member> members = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      members.add(new GangPlanner.Member(new PodKey("ml", name + "-" + i, name + "-uid-" + i), request));
    }
    return members;
  }

  private GangPlanner.Plan reserve(String name, List<GangPlanner.Member> members) {
    return cache.reserveGang("ml/" + name, members, planner, n -> true, clock.instant().plus(Duration.ofMinutes(5)));
  }

  private int freeWhole() {
    return cache.snapshot().node("n1").freeWholeGpus() + cache.snapshot().node("n2").freeWholeGpus();
  }

  @Test
  void aReservedPlanHoldsItsCapacityAndOnlyItsMemberMayBindThere() {
    List<GangPlanner.Member> members = gang("train", 6, GpuRequest.whole(1));
    assertInstanceOf(GangPlanner.Plan.Placed.class, reserve("train", members));
    assertEquals(2, freeWhole(), "6 of 8 GPUs reserved: invisible to other pods");

    PodKey first = members.get(0).pod();
    GpuAssignment planned = cache.reservation(first.uid());
    assertNotNull(planned);
    String otherNode = planned.node().equals("n1") ? "n2" : "n1";
    AssumeResult elsewhere = cache.assume(first, otherNode, GpuRequest.whole(1));
    assertTrue(
        assertInstanceOf(AssumeResult.Refused.class, elsewhere).reason().contains("reserved on node " + planned.node()),
        elsewhere.toString());

    AssumeResult there = cache.assume(first, planned.node(), GpuRequest.whole(1));
    assertEquals(planned, assertInstanceOf(AssumeResult.Assumed.class, there).assignment());
    assertNull(cache.reservation(first.uid()), "a bind in flight is an ordinary assumption now");
    assertEquals(2, freeWhole(), "binding used the reserved GPUs, not new ones");
  }

  @Test
  void aGangOfThousandsIsReservedWholeAndEachMemberBindsWherePlanned() {
    ClusterCache big = new ClusterCache(clock, TTL, placement);
    for (int n = 0; n < 300; n++) {
      big.upsertNode(Nodes.node("big-" + n).gpus(8).build());
    }
    List<GangPlanner.Member> members = gang("huge", 2000, GpuRequest.whole(1));
    GangPlanner.Plan plan =
        big.reserveGang("ml/huge", members, planner, n -> true, clock.instant().plus(Duration.ofMinutes(5)));
    assertInstanceOf(GangPlanner.Plan.Placed.class, plan);
    int[] free = {0};
    big.snapshot().forEach(n -> free[0] += n.freeWholeGpus());
    assertEquals(400, free[0], "2,400 GPUs, 2,000 reserved");
    for (GangPlanner.Member member : members) {
      GpuAssignment reserved = big.reservation(member.pod().uid());
      assertInstanceOf(AssumeResult.Assumed.class, big.assume(member.pod(), reserved.node(), GpuRequest.whole(1)));
    }
    int[] stillFree = {0};
    big.snapshot().forEach(n -> stillFree[0] += n.freeWholeGpus());
    assertEquals(400, stillFree[0], "binding used the reservations, nothing more");
    assertTrue(big.reservedGangs().isEmpty());
  }

  @Test
  void aGangThatDoesNotFitReservesNothing() {
    assertInstanceOf(GangPlanner.Plan.Unplaceable.class, reserve("big", gang("big", 9, GpuRequest.whole(1))));
    assertEquals(8, freeWhole());
    assertTrue(cache.reservedGangs().isEmpty());
  }

  @Test
  void releasingAGangFreesOnlyItsUnboundMembers() {
    List<GangPlanner.Member> members = gang("train", 4, GpuRequest.whole(1));
    reserve("train", members);
    PodKey first = members.get(0).pod();
    cache.assume(first, cache.reservation(first.uid()).node(), GpuRequest.whole(1));
    List<PodKey> released = cache.releaseGang("ml/train");
    assertEquals(3, released.size());
    assertEquals(7, freeWhole(), "the member being bound keeps its GPU");
  }

  @Test
  void aMemberWhoseGangPlanWasGivenUpWhileItsBindWaitedIsNotBoundAlone() {
    List<GangPlanner.Member> members = gang("train", 2, GpuRequest.whole(1));
    reserve("train", members);
    PodKey waiting = members.get(0).pod();
    String node = cache.reservation(waiting.uid()).node();
    // Its bind waits for its mate to be offered a place; meanwhile the plan is void.
    cache.releaseGang("ml/train");
    AssumeResult refused = cache.assumeReserved(waiting, node, GpuRequest.whole(1), "ml/train");
    assertInstanceOf(AssumeResult.Refused.class, refused);
    assertEquals(8, freeWhole(), "nothing held for the member: it waits for its gang's next plan");
    // A plain assume would have taken the GPU: the member would have run without its gang.
    assertInstanceOf(AssumeResult.Assumed.class, cache.assume(waiting, node, GpuRequest.whole(1)));
  }

  @Test
  void aMemberWhosePlanStandsTakesItsReservationAtBind() {
    List<GangPlanner.Member> members = gang("train", 2, GpuRequest.whole(1));
    reserve("train", members);
    PodKey member = members.get(0).pod();
    String node = cache.reservation(member.uid()).node();
    assertInstanceOf(AssumeResult.Assumed.class, cache.assumeReserved(member, node, GpuRequest.whole(1), "ml/train"));
    assertEquals(6, freeWhole(), "two reserved, one of them now being bound");
  }

  @Test
  void reservationsOutliveTheBindTtlUntilTheGangReleasesThem() {
    reserve("train", gang("train", 2, GpuRequest.whole(1)));
    clock.advance(TTL.multipliedBy(3));
    assertTrue(cache.expireAssumptions().isEmpty(), "a reservation is not a bind that went missing");
    assertEquals(6, freeWhole());
  }

  @RepeatedTest(20)
  void twoGangsRacingForTheSameCapacityAreNeverBothPartlyPlaced() throws Exception {
    // Each gang needs 5 of the 8 GPUs: exactly one can have them.
    ExecutorService threads = Executors.newFixedThreadPool(2);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<GangPlanner.Plan>> plans = new ArrayList<>();
    for (String name : List.of("a", "b")) {
      plans.add(threads.submit(() -> {
        start.await();
        return reserve(name, gang(name, 5, GpuRequest.whole(1)));
      }));
    }
    start.countDown();
    int placed = 0;
    for (Future<GangPlanner.Plan> plan : plans) {
      placed += plan.get() instanceof GangPlanner.Plan.Placed ? 1 : 0;
    }
    threads.shutdown();
    assertEquals(1, placed);
    assertEquals(3, freeWhole());
    assertEquals(1, cache.reservedGangs().size());
  }

  @Test
  void filterHoldsANodeWhileAGangIsBeingPlannedAndTheGangPlansAgainIfItTookItsPlace() throws Exception {
    // The gang's planning stops inside (its node predicate waits) until the test lets it go on.
    CountDownLatch planning = new CountDownLatch(1);
    CountDownLatch goOn = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
    java.util.function.Predicate<NodeState> slow = node -> {
      if (first.getAndSet(false)) {
        planning.countDown();
        try {
          goOn.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return true;
    };
    ExecutorService thread = Executors.newSingleThreadExecutor();
    Future<GangPlanner.Plan> plan = thread.submit(() -> cache.reserveGang(
        "ml/big", gang("big", 7, GpuRequest.whole(1)), planner, slow, clock.instant().plus(Duration.ofMinutes(5))));
    planning.await();

    // A single pod's filter holds a GPU now, while the gang is mid-plan: it does not wait for it.
    Future<AssumeResult> nominated = Executors.newSingleThreadExecutor().submit(
        () -> cache.nominate(new PodKey("ml", "solo", "solo-uid"), "n1", GpuRequest.whole(1)));
    assertInstanceOf(AssumeResult.Assumed.class, nominated.get(5, java.util.concurrent.TimeUnit.SECONDS));

    goOn.countDown();
    // Its plan counted the GPU solo now holds: it plans again on the new ledger and fits the 7 left.
    assertInstanceOf(GangPlanner.Plan.Placed.class, plan.get(5, java.util.concurrent.TimeUnit.SECONDS));
    thread.shutdown();
    assertEquals(0, freeWhole(), "7 reserved and 1 nominated: 8 of 8, none twice");
  }

  @Test
  void aMixedRaceOfGangsAndSinglePodsNeverOverCommits() throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(4);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> work = new ArrayList<>();
    for (int g = 0; g < 4; g++) {
      String name = "g" + g;
      work.add(threads.submit(() -> {
        start.await();
        return reserve(name, gang(name, 3, GpuRequest.whole(1)));
      }));
    }
    for (int p = 0; p < 8; p++) {
      PodKey single = new PodKey("ml", "single-" + p, "single-uid-" + p);
      String node = p % 2 == 0 ? "n1" : "n2";
      work.add(threads.submit(() -> {
        start.await();
        return cache.assume(single, node, GpuRequest.whole(1));
      }));
    }
    start.countDown();
    for (Future<?> f : work) {
      f.get();
    }
    threads.shutdown();
    NodeState n1 = cache.snapshot().node("n1");
    NodeState n2 = cache.snapshot().node("n2");
    int held = n1.allocations().size() + n2.allocations().size();
    assertEquals(8, held + freeWhole(), "every GPU is either free or held once");
    for (String gang : cache.reservedGangs()) {
      long members = n1.allocations().keySet().stream().filter(uid -> uid.startsWith(gang.substring(3) + "-")).count()
          + n2.allocations().keySet().stream().filter(uid -> uid.startsWith(gang.substring(3) + "-")).count();
      assertEquals(3, members, "gang " + gang + " is reserved whole");
    }
  }
}
