package dev.tessera.extender.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.testing.Nodes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GangPlannerTest {
  private final Placement placement = new Placement(PlacementStrategy.BINPACK);
  private final GangPlanner planner = new GangPlanner(placement);

  private static List<GangPlanner.Member> members(String prefix, int n, GpuRequest request) {
    List<GangPlanner.Member> members = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      members.add(new GangPlanner.Member(new PodKey("ml", prefix + "-" + i, "uid-" + prefix + "-" + i), request));
    }
    return members;
  }

  private static ClusterSnapshot cluster(NodeState... nodes) {
    return ClusterSnapshot.of(List.of(nodes), 1);
  }

  private static Map<String, Integer> podsPerNode(GangPlanner.Plan plan) {
    Map<String, Integer> counts = new HashMap<>();
    for (GpuAssignment a : ((GangPlanner.Plan.Placed) plan).assignments().values()) {
      counts.merge(a.node(), 1, Integer::sum);
    }
    return counts;
  }

  @Test
  void binPackingFillsTheFullestNodesFirst() {
    // n1 has 2 of 8 GPUs held: it is fuller, so it fills first (6 pods), the rest go to n2.
    ClusterSnapshot snapshot = cluster(
        Nodes.node("n1").gpus(8).ledger().withWhole("other", 0, 1).state(),
        Nodes.node("n2").gpus(8).empty(),
        Nodes.node("n3").gpus(8).empty());
    GangPlanner.Plan plan = planner.plan(snapshot, members("w", 8, GpuRequest.whole(1)), n -> true);
    Map<String, Integer> perNode = podsPerNode(plan);
    assertEquals(6, perNode.get("n1"));
    assertEquals(2, perNode.values().stream().mapToInt(Integer::intValue).sum() - 6);
    assertEquals(2, perNode.size());
  }

  @Test
  void spreadingPutsOneMemberPerNodeFirst() {
    ClusterSnapshot snapshot = cluster(
        Nodes.node("n1").gpus(4).strategy(PlacementStrategy.SPREAD).empty(),
        Nodes.node("n2").gpus(4).strategy(PlacementStrategy.SPREAD).empty(),
        Nodes.node("n3").gpus(4).strategy(PlacementStrategy.SPREAD).empty());
    GangPlanner.Plan plan = planner.plan(snapshot, members("w", 3, GpuRequest.whole(1)), n -> true);
    assertEquals(Map.of("n1", 1, "n2", 1, "n3", 1), podsPerNode(plan));
  }

  @Test
  void noMemberIsPlacedWhenTheWholeGangDoesNotFit() {
    // 12 whole GPUs free over two nodes; the gang needs 8 × 2 = 16.
    ClusterSnapshot snapshot = cluster(
        Nodes.node("n1").gpus(8).ledger().withWhole("other", 0, 1, 2, 3).state(),
        Nodes.node("n2").gpus(8).empty());
    GangPlanner.Plan plan = planner.plan(snapshot, members("w", 8, GpuRequest.whole(2)), n -> true);
    GangPlanner.Plan.Unplaceable refused = assertInstanceOf(GangPlanner.Plan.Unplaceable.class, plan);
    assertEquals(
        "needs 8 × 2 whole GPUs; only 6 fit in the free capacity (12 whole GPUs free on 2 nodes);"
            + " the gang of 8 pods needs 16 GPUs in all",
        refused.reason());
  }

  @Test
  void countsWhatFitsPerNodeNotJustTheTotalFree() {
    // 3 + 3 GPUs free: 6 free in all, but a 2-GPU member fits only once per node... 3/2 = 1 each.
    ClusterSnapshot snapshot = cluster(
        Nodes.node("n1").gpus(4).ledger().withWhole("a", 0).state(),
        Nodes.node("n2").gpus(4).ledger().withWhole("b", 0).state());
    assertInstanceOf(
        GangPlanner.Plan.Unplaceable.class,
        planner.plan(snapshot, members("w", 3, GpuRequest.whole(2)), n -> true));
    assertInstanceOf(
        GangPlanner.Plan.Placed.class,
        planner.plan(snapshot, members("w", 2, GpuRequest.whole(2)), n -> true));
  }

  @Test
  void fractionalMembersShareGpusAndTheirPlanIsReal() {
    // Two GPUs; eight quarter-GPU members fill both exactly.
    NodeState node = Nodes.node("n1").gpus(2).empty();
    GangPlanner.Plan plan =
        planner.plan(cluster(node), members("f", 8, GpuRequest.fraction(0.25, 1)), n -> true);
    GangPlanner.Plan.Placed placed = assertInstanceOf(GangPlanner.Plan.Placed.class, plan);
    NodeState after = node;
    for (Map.Entry<PodKey, GpuAssignment> e : placed.assignments().entrySet()) {
      after = after.with(new Allocation(e.getKey(), e.getValue(), true));
    }
    assertEquals(0, after.maxFreeMiB() / 1024, "both GPUs are (almost) full");
    assertInstanceOf(
        GangPlanner.Plan.Unplaceable.class,
        planner.plan(cluster(node), members("f", 9, GpuRequest.fraction(0.25, 1)), n -> true));
  }

  @Test
  void multiDeviceFractionsNeedDistinctGpus() {
    // 0.5 of each of 2 GPUs: a 2-GPU node takes two such members, not four.
    NodeState node = Nodes.node("n1").gpus(2).empty();
    assertEquals(2, GangPlanner.copiesFitting(node, GpuRequest.fraction(0.5, 2), 100));
    NodeState lopsided = Nodes.node("n2").gpus(3).ledger().withFraction("x", 0, 0.5).withFraction("y", 1, 0.5).state();
    // Free halves: 1, 1, 2 → two copies need 4 GPU-slots on distinct GPUs: min(1,2)+min(1,2)+min(2,2)=4.
    assertEquals(2, GangPlanner.copiesFitting(lopsided, GpuRequest.fraction(0.5, 2), 100));
  }

  @Test
  void mixedRequestsPlaceTheLargestFirst() {
    // One 4-GPU launcher and four 1-GPU workers on two 4-GPU nodes: the launcher needs a node alone.
    ClusterSnapshot snapshot = cluster(Nodes.node("n1").gpus(4).empty(), Nodes.node("n2").gpus(4).empty());
    List<GangPlanner.Member> gang = new ArrayList<>(members("worker", 4, GpuRequest.whole(1)));
    gang.add(new GangPlanner.Member(new PodKey("ml", "launcher", "uid-launcher"), GpuRequest.whole(4)));
    GangPlanner.Plan.Placed placed = assertInstanceOf(GangPlanner.Plan.Placed.class, planner.plan(snapshot, gang, n -> true));
    assertEquals(5, placed.assignments().size());
    String launcherNode = placed.assignments().get(new PodKey("ml", "launcher", "uid-launcher")).node();
    placed.assignments().forEach((pod, a) -> {
      if (!pod.name().equals("launcher")) {
        assertTrue(!a.node().equals(launcherNode));
      }
    });
  }

  @Test
  void onlyAllowedNodesAreUsed() {
    ClusterSnapshot snapshot = cluster(
        Nodes.node("a1").gpus(8).pool("a100").empty(), Nodes.node("h1").gpus(8).pool("h100").empty());
    GangPlanner.Plan plan = planner.plan(snapshot, members("w", 4, GpuRequest.whole(1)), n -> n.node().pool().equals("h100"));
    assertEquals(Map.of("h1", 4), podsPerNode(plan));
  }

  @Test
  void membersWithoutGpusNeedNoPlaceAndAnInvalidMemberFailsTheGang() {
    ClusterSnapshot snapshot = cluster(Nodes.node("n1").gpus(1).empty());
    List<GangPlanner.Member> gang = new ArrayList<>(members("w", 1, GpuRequest.whole(1)));
    gang.addAll(members("cpu", 2, GpuRequest.NONE));
    assertEquals(1, ((GangPlanner.Plan.Placed) planner.plan(snapshot, gang, n -> true)).assignments().size());
    gang.add(new GangPlanner.Member(new PodKey("ml", "bad", "uid-bad"), GpuRequest.invalid("gpu-fraction 'x' is not a number")));
    GangPlanner.Plan.Unplaceable refused =
        assertInstanceOf(GangPlanner.Plan.Unplaceable.class, planner.plan(snapshot, gang, n -> true));
    assertTrue(refused.reason().contains("ml/bad"), refused.reason());
  }

  @Test
  void aLargeGangOverManyNodesIsPlacedWhole() {
    List<NodeState> nodes = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      nodes.add(Nodes.node("node-" + i).gpus(8).empty());
    }
    GangPlanner.Plan plan = planner.plan(ClusterSnapshot.of(nodes, 1), members("w", 2048, GpuRequest.whole(1)), n -> true);
    Map<String, Integer> perNode = podsPerNode(plan);
    assertEquals(256, perNode.size(), "bin-packing uses full nodes: 2048 / 8");
    perNode.values().forEach(count -> assertEquals(8, count));
  }
}
