package dev.tessera.extender.scheduling;

import static dev.tessera.extender.model.PlacementStrategy.BINPACK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.testing.Ledger;
import dev.tessera.extender.testing.Nodes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Choosing victims for a whole gang. Scenarios on one or two nodes; each ledger holds exactly the
 * uids of the running pods ({@link Ledger#pod}).
 */
class GangPreemptionTest {
  private static final Instant T0 = Instant.parse("2024-05-01T08:00:00Z");
  private static final GangPreemption PREEMPTION = new GangPreemption(new GangPlanner(new Placement(BINPACK)));
  private static final GangPreemption.Preemptor HIGH = new GangPreemption.Preemptor("ml/hi", 100, "team-a");

  private final List<RunningPod> running = new ArrayList<>();

  /** A running pod of team-b holding one GPU, priority 0, created {@code minute} minutes after T0. */
  private RunningPod pod(String name, String node, String gang, boolean elastic, int gangMinimum, int minute) {
    RunningPod pod = new RunningPod(Ledger.pod(name), node, "team-b", "default", 1, 0, true, gang,
        T0.plusSeconds(60L * minute), elastic, gangMinimum);
    running.add(pod);
    return pod;
  }

  private Map<String, List<RunningPod>> byGang() {
    return running.stream().filter(p -> p.gang() != null)
        .collect(Collectors.groupingBy(RunningPod::gang, LinkedHashMap::new, Collectors.toList()));
  }

  private static List<GangPlanner.Member> members(int count) {
    List<GangPlanner.Member> members = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      members.add(new GangPlanner.Member(Ledger.pod("hi-" + i), GpuRequest.whole(1)));
    }
    return members;
  }

  private GangPreemption.Choice choose(ClusterSnapshot snapshot, int members, Map<String, Standing> standings) {
    return PREEMPTION.choose(HIGH, members(members), snapshot, node -> true, running, byGang(), standings);
  }

  private static List<String> names(GangPreemption.Choice choice) {
    return assertInstanceOf(GangPreemption.Choice.Victims.class, choice).victims().stream()
        .map(p -> p.key().name()).toList();
  }

  @Test
  void anElasticGangAboveItsMinimumGivesUpWorkersNotItsMaster() {
    ClusterSnapshot cluster = ClusterSnapshot.of(List.of(
        Nodes.node("n1").gpus(4).ledger().withWhole("m", 0).withWhole("w0", 1).withWhole("w1", 2).withWhole("w2", 3)
            .state()), 1);
    pod("m", "n1", "ml/el", false, 2, 0);
    pod("w0", "n1", "ml/el", true, 2, 1);
    pod("w1", "n1", "ml/el", true, 2, 2);
    pod("w2", "n1", "ml/el", true, 2, 3);

    assertEquals(List.of("w2", "w1"), names(choose(cluster, 2, Map.of())), "the newest workers above the minimum");
  }

  @Test
  void anElasticGangAtItsMinimumLeavesWholeWhenThatIsWhatTheGangNeeds() {
    ClusterSnapshot cluster = ClusterSnapshot.of(List.of(
        Nodes.node("n1").gpus(4).ledger().withWhole("m", 0).withWhole("w0", 1).withWhole("w1", 2).withWhole("s", 3)
            .state()), 1);
    pod("m", "n1", "ml/el", false, 2, 0);
    pod("w0", "n1", "ml/el", true, 2, 1);
    pod("w1", "n1", "ml/el", true, 2, 2);
    running.add(new RunningPod(Ledger.pod("s"), "n1", "team-b", "default", 1, 50, true, null, T0, false, 0));

    // Three GPUs: w1 alone, then w0 would leave el below 2, so m and w0 go together; s (priority
    // 50) is spared.
    assertEquals(List.of("w1", "m", "w0"), names(choose(cluster, 3, Map.of())));
  }

  @Test
  void victimsTheGangTurnsOutNotToNeedArePutBack() {
    // n1's single pod is the cheapest, but freeing it leaves n1 with 1 GPU for a gang of 2 × 1
    // that n2 (two pods) holds alone: taking n2's pair is enough, and n1's pod stays.
    ClusterSnapshot cluster = ClusterSnapshot.of(List.of(
        Nodes.node("n1").gpus(2).ledger().withWhole("old", 0).withWhole("n1-new", 1).state(),
        Nodes.node("n2").gpus(2).ledger().withWhole("a", 0).withWhole("b", 1).state()), 1);
    running.add(new RunningPod(Ledger.pod("old"), "n1", "team-b", "default", 1, 9, true, null, T0, false, 0));
    pod("n1-new", "n1", null, false, 0, 9);
    pod("a", "n2", "ml/pair", false, 2, 5);
    pod("b", "n2", "ml/pair", false, 2, 5);

    List<String> victims = names(choose(cluster, 2, Map.of()));
    assertEquals(List.of("a", "b"), victims, "n1-new went first, then was not needed");
  }

  @Test
  void noVictimOfEqualOrHigherPriorityAndNoProjectBelowItsDeservedQuota() {
    ClusterSnapshot cluster = ClusterSnapshot.of(List.of(
        Nodes.node("n1").gpus(2).ledger().withWhole("x", 0).withWhole("y", 1).state()), 1);
    running.add(new RunningPod(Ledger.pod("x"), "n1", "team-b", "default", 1, 100, true, null, T0, false, 0));
    running.add(new RunningPod(Ledger.pod("y"), "n1", "team-b", "default", 1, 0, true, null, T0, false, 0));
    GangPreemption.Choice none = choose(cluster, 2, Map.of());
    assertTrue(assertInstanceOf(GangPreemption.Choice.None.class, none).why()
        .startsWith("evicting every pod gang ml/hi may preempt would still leave it short"), none.toString());

    running.clear();
    running.add(new RunningPod(Ledger.pod("x"), "n1", "team-b", "default", 1, 0, true, null, T0, false, 0));
    running.add(new RunningPod(Ledger.pod("y"), "n1", "team-b", "default", 1, 0, true, null, T0, false, 0));
    assertInstanceOf(GangPreemption.Choice.None.class,
        choose(cluster, 2, Map.of("team-b", new Standing(2, 2, 2))), "team-b deserves the two GPUs it holds");
    assertEquals(2, names(choose(cluster, 2, Map.of("team-b", new Standing(0, 1, 2)))).size());
  }

  @Test
  void aGangThatFitsEvictsNothing() {
    ClusterSnapshot cluster = ClusterSnapshot.of(List.of(Nodes.node("n1").gpus(2).ledger().state()), 1);
    assertInstanceOf(GangPreemption.Choice.None.class, choose(cluster, 2, Map.of()));
  }
}
