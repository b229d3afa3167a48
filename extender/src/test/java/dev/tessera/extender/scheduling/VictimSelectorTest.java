package dev.tessera.extender.scheduling;

import static dev.tessera.extender.model.PlacementStrategy.BINPACK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.testing.Ledger;
import dev.tessera.extender.testing.Nodes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Victim choice as scenario tables: running pods, the projects' standings, the pending pod, and the
 * victims expected, derived by hand in each row's comment. Pods are keyed by {@link Ledger#pod}, so
 * the ledgers built with {@link Nodes} hold exactly the uids the running pods carry.
 */
class VictimSelectorTest {
  private static final String POOL = "a100";
  private static final Instant T0 = Instant.parse("2024-05-01T08:00:00Z");
  private static final VictimSelector SELECTOR = new VictimSelector(new Placement(BINPACK));

  // ------------------------------------------------------------------------------- test values

  /** Fluent running pod: team-b, pool a100, 1 GPU, priority 0, preemptible, no gang, created T0. */
  static final class Pod {
    private final String name;
    private String node = "n1";
    private String project = "team-b";
    private String pool = POOL;
    private double gpus = 1;
    private int priority;
    private boolean preemptible = true;
    private String gang;
    private int gangMinimum;
    private boolean elastic;
    private int minute;

    private Pod(String name) {
      this.name = name;
    }

    Pod on(String node) {
      this.node = node;
      return this;
    }

    Pod of(String project) {
      this.project = project;
      return this;
    }

    Pod pool(String pool) {
      this.pool = pool;
      return this;
    }

    Pod gpus(double gpus) {
      this.gpus = gpus;
      return this;
    }

    Pod priority(int priority) {
      this.priority = priority;
      return this;
    }

    Pod notPreemptible() {
      this.preemptible = false;
      return this;
    }

    Pod gang(String gang) {
      this.gang = "default/" + gang;
      return this;
    }

    /** A member of an elastic gang of this minMember, which may leave it alone. */
    Pod elastic(String gang, int minimum) {
      this.elastic = true;
      return member(gang, minimum);
    }

    /** A member of a gang of this minMember that the gang cannot do without. */
    Pod member(String gang, int minimum) {
      this.gangMinimum = minimum;
      return gang(gang);
    }

    /** Created this many minutes after T0: later is newer. */
    Pod minute(int minute) {
      this.minute = minute;
      return this;
    }

    RunningPod build() {
      return new RunningPod(
          Ledger.pod(name), node, project, pool, gpus, priority, preemptible, gang, T0.plusSeconds(60L * minute),
          elastic, gangMinimum);
    }
  }

  private static Pod pod(String name) {
    return new Pod(name);
  }

  private static Standing standing(double deserved, double fairShare, double allocated) {
    return new Standing(deserved, fairShare, allocated);
  }

  /** The running pods of a scenario, with the indexes the selector takes. */
  static final class World {
    final List<NodeState> nodes = new ArrayList<>();
    final Map<String, RunningPod> pods = new LinkedHashMap<>();
    final Map<String, Standing> standings = new HashMap<>();

    World node(NodeState node) {
      nodes.add(node);
      return this;
    }

    World pods(Pod... pods) {
      for (Pod p : pods) {
        RunningPod built = p.build();
        this.pods.put(built.key().name(), built);
      }
      return this;
    }

    World standing(String project, double deserved, double fairShare, double allocated) {
      standings.put(project, new Standing(deserved, fairShare, allocated));
      return this;
    }

    RunningPod pod(String name) {
      return pods.get(name);
    }

    Map<String, List<RunningPod>> byNode() {
      return pods.values().stream()
          .collect(Collectors.groupingBy(RunningPod::node, LinkedHashMap::new, Collectors.toList()));
    }

    Map<String, List<RunningPod>> byGang() {
      return pods.values().stream()
          .filter(p -> p.gang() != null)
          .collect(Collectors.groupingBy(RunningPod::gang, LinkedHashMap::new, Collectors.toList()));
    }

    ClusterSnapshot snapshot() {
      return ClusterSnapshot.of(nodes, 1);
    }
  }

  private static World world() {
    return new World();
  }

  private static Ledger node(String name, int gpus) {
    return Nodes.node(name).gpus(gpus).ledger();
  }

  private static List<String> names(List<RunningPod> pods) {
    return pods.stream().map(p -> p.key().name()).collect(Collectors.toList());
  }

  // ------------------------------------------------------------------------------ /preempt

  /** kube-scheduler's candidates per node (pod names), and which nodes must stay with which victims. */
  static final class Preemption {
    final World world;
    final Preemptor preemptor = new Preemptor(Ledger.pod("pending"), "team-a", 100);
    final Map<String, List<String>> candidates = new LinkedHashMap<>();
    final Map<String, List<String>> expected = new LinkedHashMap<>();

    Preemption(World world) {
      this.world = world;
    }

    Preemption proposes(String node, String... pods) {
      candidates.put(node, List.of(pods));
      return this;
    }

    Preemption keeps(String node, String... victims) {
      expected.put(node, List.of(victims));
      return this;
    }
  }

  private static Preemption in(World world) {
    return new Preemption(world);
  }

  static Stream<Arguments> preemptions() {
    return Stream.of(
        arguments("a non-preemptible candidate drops its node, others stay",
            in(world()
                    .pods(pod("b1").on("n1"), pod("ws").on("n1").notPreemptible(), pod("b2").on("n2"))
                    .standing("team-b", 0, 1, 3))
                .proposes("n1", "b1", "ws").proposes("n2", "b2")
                .keeps("n2", "b2")),
        arguments("same-project priority preemption is allowed even below deserved",
            // team-a deserves 4 and holds 2; taking 2 more leaves 0, but it is the preemptor's own.
            in(world().pods(pod("a1").of("team-a").on("n1"), pod("a2").of("team-a").on("n1"))
                    .standing("team-a", 4, 4, 2))
                .proposes("n1", "a1", "a2")
                .keeps("n1", "a1", "a2")),
        arguments("another project is not taken below its deserved quota, summed per node",
            // team-b deserves 4, holds 5: n1 would take 2 (5-2=3 < 4), n2 takes 1 (5-1=4 >= 4).
            in(world().pods(pod("b1").on("n1"), pod("b2").on("n1"), pod("b3").on("n2"))
                    .standing("team-b", 4, 4, 5))
                .proposes("n1", "b1", "b2").proposes("n2", "b3")
                .keeps("n2", "b3")),
        arguments("fractions summing exactly to the room above deserved are allowed",
            // team-b deserves 1, holds 1.3: 1.3 - 0.1 - 0.2 is 1 up to rounding.
            in(world().pods(pod("b1").gpus(0.1), pod("b2").gpus(0.2)).standing("team-b", 1, 1, 1.3))
                .proposes("n1", "b1", "b2")
                .keeps("n1", "b1", "b2")),
        arguments("mixed projects: own project exempt, the other one checked",
            // a1 is the preemptor's; team-b deserves 2, holds 2: b1 would take it to 1.
            in(world().pods(pod("a1").of("team-a").on("n1"), pod("b1").on("n1"), pod("a2").of("team-a").on("n2"))
                    .standing("team-a", 4, 4, 1).standing("team-b", 2, 2, 2))
                .proposes("n1", "a1", "b1").proposes("n2", "a2")
                .keeps("n2", "a2")),
        arguments("a project without standing has nothing deserved",
            in(world().pods(pod("c1").of("team-c"))).proposes("n1", "c1").keeps("n1", "c1")),
        arguments("gang mates on the same node are added, those elsewhere are not",
            in(world()
                    .pods(pod("g0").gang("g").on("n1"), pod("g1").gang("g").on("n1"), pod("g2").gang("g").on("n2"),
                        pod("x").on("n1"))
                    .standing("team-b", 0, 2, 4))
                .proposes("n1", "x", "g0")
                .keeps("n1", "x", "g0", "g1")),
        arguments("a mate that is also a candidate is listed once",
            in(world().pods(pod("g0").gang("g"), pod("g1").gang("g")).standing("team-b", 0, 1, 2))
                .proposes("n1", "g1", "g0")
                .keeps("n1", "g1", "g0")),
        arguments("a non-preemptible gang mate on the node drops it",
            in(world().pods(pod("g0").gang("g"), pod("g1").gang("g").notPreemptible()).standing("team-b", 0, 1, 2))
                .proposes("n1", "g0")),
        arguments("gang mates count toward the deserved check",
            // team-b deserves 3, holds 5: g0 alone would leave 4, with its two mates 2.
            in(world().pods(pod("g0").gang("g"), pod("g1").gang("g"), pod("g2").gang("g"))
                    .standing("team-b", 3, 3, 5))
                .proposes("n1", "g0")),
        arguments("a gang mate of the preemptor's priority or higher drops the node",
            in(world().pods(pod("g0").gang("g").priority(10), pod("g1").gang("g").priority(100))
                    .standing("team-b", 0, 1, 2))
                .proposes("n1", "g0")),
        arguments("an elastic gang above its minimum loses the candidate alone",
            // el runs 3 with minMember 2: w0 may go without its mate m on n1.
            in(world()
                    .pods(pod("m").member("el", 2).on("n1"), pod("w0").elastic("el", 2).on("n1"),
                        pod("w1").elastic("el", 2).on("n2"))
                    .standing("team-b", 0, 1, 3))
                .proposes("n1", "w0")
                .keeps("n1", "w0")),
        arguments("an elastic gang at its minimum leaves whole",
            in(world().pods(pod("m").member("el", 2), pod("w0").elastic("el", 2)).standing("team-b", 0, 1, 2))
                .proposes("n1", "w0")
                .keeps("n1", "w0", "m")),
        arguments("an elastic gang is shrunk on one node before it is taken whole on another",
            // n1 would take the master (the gang below its minimum), n2 only a worker above it.
            in(world()
                    .pods(pod("m").member("el", 2).on("n1"), pod("w0").elastic("el", 2).on("n2"),
                        pod("w1").elastic("el", 2).on("n2"))
                    .standing("team-b", 0, 1, 3))
                .proposes("n1", "m").proposes("n2", "w1")
                .keeps("n2", "w1")),
        arguments("a master kube-scheduler proposes is swapped for an elastic worker on its node",
            in(world()
                    .pods(pod("m").member("el", 2).on("n1"), pod("w0").elastic("el", 2).on("n1"),
                        pod("w1").elastic("el", 2).on("n1"))
                    .standing("team-b", 0, 1, 3))
                .proposes("n1", "m")
                .keeps("n1", "w0")),
        arguments("no swap for a worker holding fewer GPUs than the master",
            in(world()
                    .pods(pod("m").member("el", 2).gpus(2).on("n1"), pod("w0").elastic("el", 2).on("n1"),
                        pod("w1").elastic("el", 2).on("n1"))
                    .standing("team-b", 0, 1, 4))
                .proposes("n1", "m")
                .keeps("n1", "m", "w0", "w1")),
        arguments("an elastic gang taken whole is still allowed when nothing else makes room",
            in(world()
                    .pods(pod("m").member("el", 2).on("n1"), pod("w0").elastic("el", 2).on("n1"))
                    .standing("team-b", 0, 1, 2))
                .proposes("n1", "m")
                .keeps("n1", "m", "w0")),
        arguments("an empty candidate list stays empty",
            in(world().pods(pod("b1").on("n2")).standing("team-b", 0, 1, 1))
                .proposes("n1").proposes("n2", "b1")
                .keeps("n1").keeps("n2", "b1")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("preemptions")
  void allowsPreemptions(String name, Preemption p) {
    Map<String, List<RunningPod>> candidates = new LinkedHashMap<>();
    p.candidates.forEach(
        (node, pods) -> candidates.put(node, pods.stream().map(p.world::pod).collect(Collectors.toList())));

    Map<String, List<RunningPod>> allowed =
        SELECTOR.allowedPreemptions(p.preemptor, candidates, p.world.byGang(), p.world.standings);

    Map<String, List<String>> shown = new LinkedHashMap<>();
    allowed.forEach((node, victims) -> shown.put(node, names(victims)));
    assertEquals(p.expected, shown);
    assertThrows(UnsupportedOperationException.class, () -> allowed.put("x", List.of()), "a new, unmodifiable map");
  }

  // ------------------------------------------------------------------------------- reclaim

  /**
   * A pending pod of team-a (fair share 4, holding 3 unless changed) asking for one whole GPU, the
   * cluster, and either the node and victims expected or a part of the reason for none.
   */
  static final class Reclaim {
    final World world;
    Reclaimer reclaimer = reclaimer(GpuRequest.whole(1), 1);
    Predicate<NodeState> allowed = n -> true;
    String node;
    List<String> victims;
    String why;

    Reclaim(World world) {
      this.world = world;
      world.standings.putIfAbsent("team-a", standing(4, 4, 3));
    }

    Reclaim wants(GpuRequest request, double gpus) {
      this.reclaimer = reclaimer(request, gpus);
      return this;
    }

    Reclaim onlyOn(String... nodes) {
      Set<String> names = Set.of(nodes);
      this.allowed = n -> names.contains(n.name());
      return this;
    }

    Reclaim evicts(String node, String... victims) {
      this.node = node;
      this.victims = List.of(victims);
      return this;
    }

    Reclaim none(String whyPart) {
      this.why = whyPart;
      return this;
    }

    private static Reclaimer reclaimer(GpuRequest request, double gpus) {
      return new Reclaimer(Ledger.pod("pending"), "team-a", POOL, request, gpus, 0);
    }
  }

  private static Reclaim given(World world) {
    return new Reclaim(world);
  }

  static Stream<Arguments> reclaims() {
    return Stream.of(
        arguments("lowest priority first, even when older",
            // team-b holds 2 with fair share 1. Both free a GPU; b-low (priority 0) goes.
            given(world()
                    .node(node("n1", 2).withWhole("b-low", 0).withWhole("b-high", 1).state())
                    .pods(pod("b-low").minute(0), pod("b-high").priority(10).minute(5))
                    .standing("team-b", 0, 1, 2))
                .evicts("n1", "b-low")),
        arguments("then the project most over its fair share, even when older",
            // team-b is 1 over (3 vs 2), team-c 2 over (4 vs 2): c1 goes though b1 is newer.
            given(world()
                    .node(node("n1", 2).withWhole("b1", 0).withWhole("c1", 1).state())
                    .pods(pod("b1").minute(9), pod("c1").of("team-c").minute(1))
                    .standing("team-b", 0, 2, 3).standing("team-c", 0, 2, 4))
                .evicts("n1", "c1")),
        arguments("then the newest",
            given(world()
                    .node(node("n1", 2).withWhole("b-old", 0).withWhole("b-new", 1).state())
                    .pods(pod("b-old").minute(1), pod("b-new").minute(2))
                    .standing("team-b", 0, 1, 3))
                .evicts("n1", "b-new")),
        arguments("over-fair-share counts what this choice already took",
            // 2 GPUs needed. team-b 1.5 over, team-c 1 over: b2 (newest of b) first; then b is
            // 0.5 over and c 1 over, so c2 (newest of c), not b1.
            given(world()
                    .node(node("n1", 4).withWhole("b1", 0).withWhole("b2", 1).withWhole("c1", 2).withWhole("c2", 3).state())
                    .pods(pod("b1").minute(1), pod("b2").minute(2), pod("c1").of("team-c").minute(3),
                        pod("c2").of("team-c").minute(4))
                    .standing("team-a", 4, 4, 0).standing("team-b", 0, 2, 3.5).standing("team-c", 0, 2, 3))
                .wants(GpuRequest.whole(2), 2)
                .evicts("n1", "b2", "c2")),
        arguments("a gang leaves whole, members on other nodes included",
            given(world()
                    .node(node("n1", 1).withWhole("g0", 0).state())
                    .node(node("n2", 1).withWhole("g1", 0).state())
                    .pods(pod("g0").gang("g").on("n1"), pod("g1").gang("g").on("n2"))
                    .standing("team-b", 0, 1, 3))
                // Either node needs the gang; equal harm, so the first name wins.
                .evicts("n1", "g0", "g1")),
        arguments("an elastic gang above its minimum loses a worker, not the whole gang",
            // el runs 3 with minMember 2: w0 alone frees n1, as w1 alone would n2 (same harm, first
            // name). Taken whole, the gang would cost 3 pods.
            given(world()
                    .node(node("n1", 2).withWhole("m", 0).withWhole("w0", 1).state())
                    .node(node("n2", 1).withWhole("w1", 0).state())
                    .pods(pod("m").member("el", 2).on("n1"), pod("w0").elastic("el", 2).on("n1").minute(1),
                        pod("w1").elastic("el", 2).on("n2").minute(2))
                    .standing("team-b", 0, 1, 3))
                .evicts("n1", "w0")),
        arguments("an elastic gang at its minimum leaves whole in reclaim",
            given(world()
                    .node(node("n1", 2).withWhole("m", 0).withWhole("w0", 1).state())
                    .pods(pod("m").member("el", 2).on("n1"), pod("w0").elastic("el", 2).on("n1"))
                    .standing("team-b", 0, 1, 2))
                .evicts("n1", "w0", "m")),
        arguments("elastic workers go before a single pod of the same priority",
            // w1 and solo each free a GPU; the elastic worker costs the least.
            given(world()
                    .node(node("n1", 2).withWhole("w1", 0).withWhole("solo", 1).state())
                    .node(node("n2", 2).withWhole("m", 0).withWhole("w0", 1).state())
                    .pods(pod("m").member("el", 2).on("n2"), pod("w0").elastic("el", 2).on("n2"),
                        pod("w1").elastic("el", 2).on("n1"), pod("solo").on("n1").minute(9))
                    .standing("team-b", 0, 1, 4))
                .evicts("n1", "w1")),
        arguments("one pod is less harm than a gang of two",
            given(world()
                    .node(node("n1", 1).withWhole("g0", 0).state())
                    .node(node("n2", 1).withWhole("g1", 0).state())
                    .node(node("n3", 1).withWhole("solo", 0).state())
                    .pods(pod("g0").gang("g").on("n1"), pod("g1").gang("g").on("n2"), pod("solo").on("n3"))
                    .standing("team-b", 0, 1, 3))
                .evicts("n3", "solo")),
        arguments("a gang with a member that cannot be taken is passed over",
            // g-run is newest, but its mate g-ws is interactive: b-old goes instead.
            given(world()
                    .node(node("n1", 2).withWhole("g-run", 0).withWhole("b-old", 1).state())
                    .node(node("n2", 1).withWhole("g-ws", 0).state())
                    .pods(pod("g-run").gang("g").minute(5), pod("g-ws").gang("g").on("n2").notPreemptible(),
                        pod("b-old").minute(1))
                    .standing("team-b", 0, 1, 3))
                .evicts("n1", "b-old")),
        arguments("a gang spanning a project at its fair share is passed over",
            given(world()
                    .node(node("n1", 2).withWhole("g0", 0).withWhole("b-old", 1).state())
                    .node(node("n2", 1).withWhole("g1", 0).state())
                    .pods(pod("g0").gang("g").minute(5), pod("g1").gang("g").on("n2").of("team-c"),
                        pod("b-old").minute(1))
                    .standing("team-b", 0, 1, 3).standing("team-c", 0, 2, 2))
                .evicts("n1", "b-old")),
        arguments("never below deserved: a big pod of a project just over its share stays",
            // team-b deserves 2, fair share 2.5, holds 3: taking b-big (2) would leave 1 < 2.
            given(world()
                    .node(node("n1", 2).withWhole("b-big", 0, 1).state())
                    .pods(pod("b-big").gpus(2))
                    .standing("team-b", 2, 2.5, 3))
                .none("can be taken")),
        arguments("never below deserved: another project's pod is taken instead",
            given(world()
                    .node(node("n1", 2).withWhole("b-big", 0, 1).state())
                    .node(node("n2", 1).withWhole("c1", 0).state())
                    .pods(pod("b-big").gpus(2), pod("c1").on("n2").of("team-c"))
                    .standing("team-b", 2, 2.5, 3).standing("team-c", 0, 1, 2))
                .evicts("n2", "c1")),
        arguments("no thrashing: a project exactly at its fair share is not touched",
            given(world()
                    .node(node("n1", 1).withWhole("b1", 0).state())
                    .pods(pod("b1"))
                    .standing("team-b", 0, 3, 3))
                .none("no preemptible pods of projects over their fair share in pool a100")),
        arguments("no thrashing: taking stops once the project is down to its fair share",
            // team-b holds 3.5, fair share 3: b2 leaves (3.5 > 3), then team-b holds 2.5 and keeps b1.
            given(world()
                    .node(node("n1", 2).withWhole("b1", 0).withWhole("b2", 1).state())
                    .pods(pod("b1").minute(1), pod("b2").minute(2))
                    .standing("team-a", 4, 4, 0).standing("team-b", 0, 3, 3.5))
                .wants(GpuRequest.whole(2), 2)
                .none("not enough could be freed on any single node: the most any node could free is on n1"
                    + " (evicting 1 pod), which would still fail: needs 2 whole GPUs; 1 of 2 free")),
        arguments("a reclaimer that would go over its fair share gets nothing",
            given(world()
                    .node(node("n1", 1).withWhole("b1", 0).state())
                    .pods(pod("b1"))
                    .standing("team-a", 4, 4, 3.5).standing("team-b", 0, 1, 3))
                .none("project team-a would exceed its fair share of 4.00 GPUs in pool a100 (has 3.50")),
        arguments("a reclaimer exactly reaching its fair share may reclaim",
            given(world()
                    .node(node("n1", 1).withWhole("b1", 0).state())
                    .pods(pod("b1"))
                    .standing("team-b", 0, 1, 3))
                .evicts("n1", "b1")),
        arguments("the node needing fewer victims wins",
            // n1 needs both halves; n2 one whole pod.
            given(world()
                    .node(node("n1", 1).withFraction("h1", 0, 0.5).withFraction("h2", 0, 0.5).state())
                    .node(node("n2", 1).withWhole("w", 0).state())
                    .pods(pod("h1").gpus(0.5), pod("h2").gpus(0.5), pod("w").on("n2"))
                    .standing("team-b", 0, 1, 4))
                .evicts("n2", "w")),
        arguments("less important victims win over fewer victims",
            given(world()
                    .node(node("n1", 1).withFraction("h1", 0, 0.5).withFraction("h2", 0, 0.5).state())
                    .node(node("n2", 1).withWhole("w", 0).state())
                    .pods(pod("h1").gpus(0.5), pod("h2").gpus(0.5), pod("w").on("n2").priority(5))
                    .standing("team-b", 0, 1, 4))
                // Equal age: h1 before h2 by name; neither alone frees the GPU.
                .evicts("n1", "h1", "h2")),
        arguments("fewer GPUs evicted wins among single victims",
            given(world()
                    .node(node("n1", 2).withWhole("big", 0, 1).state())
                    .node(node("n2", 1).withWhole("small", 0).state())
                    .pods(pod("big").gpus(2), pod("small").on("n2"))
                    .standing("team-b", 0, 1, 5))
                .evicts("n2", "small")),
        arguments("node name breaks a tie",
            given(world()
                    .node(node("n2", 1).withWhole("x", 0).state())
                    .node(node("n1", 1).withWhole("y", 0).state())
                    .pods(pod("x").on("n2").minute(5), pod("y").on("n1"))
                    .standing("team-b", 0, 1, 5))
                .evicts("n1", "y")),
        arguments("fractions: two 0.25 victims make room for 0.5",
            // GPU: b1 0.25, b2 0.25, c 0.5 (team-c at its share). team-b 1.5 vs 1: both quarters go.
            given(world()
                    .node(node("n1", 1).withFraction("b1", 0, 0.25).withFraction("b2", 0, 0.25)
                        .withFraction("c", 0, 0.5).state())
                    .pods(pod("b1").gpus(0.25).minute(1), pod("b2").gpus(0.25).minute(2),
                        pod("c").of("team-c").gpus(0.5))
                    .standing("team-b", 0, 1, 1.5).standing("team-c", 0, 0.5, 0.5))
                .wants(GpuRequest.fraction(0.5, 1), 0.5)
                .evicts("n1", "b2", "b1")),
        arguments("fractions: two 0.5 victims free a GPU's memory",
            given(world()
                    .node(node("n1", 1).withFraction("h1", 0, 0.5).withFraction("h2", 0, 0.5).state())
                    .pods(pod("h1").gpus(0.5).minute(1), pod("h2").gpus(0.5).minute(2))
                    .standing("team-b", 0, 0, 1))
                .wants(GpuRequest.memory(Nodes.DEFAULT_MEMORY_MIB, 1), 1)
                .evicts("n1", "h2", "h1")),
        arguments("fractions: one 0.5 victim is enough for 0.5",
            given(world()
                    .node(node("n1", 1).withFraction("h1", 0, 0.5).withFraction("h2", 0, 0.5).state())
                    .pods(pod("h1").gpus(0.5).minute(1), pod("h2").gpus(0.5).minute(2))
                    .standing("team-b", 0, 0, 1))
                .wants(GpuRequest.fraction(0.5, 1), 0.5)
                .evicts("n1", "h2")),
        arguments("a victim that turns out unneeded is put back",
            // b-frac (newest) leaves first but c still shares GPU 0; b-whole frees GPU 1, enough alone.
            given(world()
                    .node(node("n1", 2).withFraction("b-frac", 0, 0.25).withFraction("c", 0, 0.25)
                        .withWhole("b-whole", 1).state())
                    .pods(pod("b-frac").gpus(0.25).minute(9), pod("c").of("team-c").gpus(0.25).notPreemptible(),
                        pod("b-whole").minute(1))
                    .standing("team-b", 0, 0, 2))
                .evicts("n1", "b-whole")),
        arguments("a pod the node's ledger does not hold frees nothing and is not evicted",
            // ghost is newest, but taking it would also use up team-b's one GPU above its share.
            given(world()
                    .node(node("n1", 2).withWhole("real", 0).withWhole("other", 1).state())
                    .pods(pod("ghost").minute(9), pod("real").minute(1), pod("other").priority(50))
                    .standing("team-b", 0, 1, 2))
                .evicts("n1", "real")),
        arguments("pods of other pools, the reclaimer's project and non-preemptible pods are never victims",
            given(world()
                    .node(node("n1", 4).withWhole("other-pool", 0).withWhole("own", 1).withWhole("ws", 2)
                        .withWhole("b1", 3).state())
                    .pods(pod("other-pool").pool("h100").minute(9), pod("own").of("team-a").minute(9),
                        pod("ws").notPreemptible().minute(9), pod("b1"))
                    .standing("team-b", 0, 1, 5))
                .evicts("n1", "b1")),
        arguments("only allowed nodes",
            given(world()
                    .node(node("n1", 1).withWhole("b1", 0).state())
                    .node(node("n2", 1).withWhole("b2", 0).state())
                    .pods(pod("b1").minute(9), pod("b2").on("n2").minute(1))
                    .standing("team-b", 0, 1, 5))
                .onlyOn("n2")
                .evicts("n2", "b2")),
        arguments("no victims on the allowed nodes",
            given(world()
                    .node(node("n1", 1).withWhole("b1", 0).state())
                    .node(node("n2", 1).withWhole("a1", 0).state())
                    .pods(pod("b1"), pod("a1").of("team-a").on("n2"))
                    .standing("team-b", 0, 1, 5))
                .onlyOn("n2")
                .none("no preemptible pods of projects over their fair share in pool a100")),
        arguments("nodes too small for the pod are not emptied",
            given(world()
                    .node(node("n1", 1).withWhole("b1", 0).state())
                    .pods(pod("b1"))
                    .standing("team-a", 4, 4, 0).standing("team-b", 0, 1, 5))
                .wants(GpuRequest.whole(2), 2)
                .none("could ever hold 2 whole GPUs")),
        arguments("a pod that fits already needs no victims",
            given(world()
                    .node(node("n1", 2).withWhole("b1", 0).state())
                    .pods(pod("b1"))
                    .standing("team-b", 0, 1, 5))
                .none("the pod fits node n1 without evicting anything")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("reclaims")
  void reclaims(String name, Reclaim r) {
    World w = r.world;
    ReclaimChoice choice =
        SELECTOR.chooseReclaim(r.reclaimer, w.snapshot(), r.allowed, w.byNode(), w.byGang(), w.standings);

    if (r.why != null) {
      ReclaimChoice.None none = assertInstanceOf(ReclaimChoice.None.class, choice);
      assertTrue(none.why().contains(r.why), () -> "why was: " + none.why());
      return;
    }
    ReclaimChoice.Victims victims = assertInstanceOf(ReclaimChoice.Victims.class, choice, choice::toString);
    assertEquals(r.node, victims.node());
    assertEquals(r.victims, names(victims.victims()));
    // The victims really make room: without them the pod fits the chosen node.
    NodeState after = w.snapshot().node(victims.node());
    for (RunningPod victim : victims.victims()) {
      after = after.without(victim.uid());
    }
    assertTrue(new Placement(BINPACK).fits(after, r.reclaimer.request()), "fits after eviction");
  }

  @Test
  void reclaimReasonNamesBothProjects() {
    World w = world()
        .node(node("n1", 8).withWhole("b1", 0, 1, 2, 3, 4, 5, 6, 7).state())
        .pods(pod("b1").gpus(8))
        .standing("team-a", 4, 4, 3)
        .standing("team-b", 0, 3, 8.5);
    Reclaimer reclaimer =
        new Reclaimer(Ledger.pod("train"), "team-a", POOL, GpuRequest.whole(1), 1, 0);

    ReclaimChoice choice =
        SELECTOR.chooseReclaim(reclaimer, w.snapshot(), n -> true, w.byNode(), w.byGang(), w.standings);

    ReclaimChoice.Victims victims = assertInstanceOf(ReclaimChoice.Victims.class, choice);
    assertEquals(
        "reclaimed by default/train of project team-a (under its fair share of 4.00 GPUs in pool a100);"
            + " project team-b holds 8.50 GPUs, fair share 3.00",
        victims.reason());
  }

  @Test
  void reclaimerOverFairShareReasonIsComplete() {
    World w = world().standing("team-a", 4, 4, 3.5);
    Reclaimer reclaimer = new Reclaimer(Ledger.pod("p"), "team-a", POOL, GpuRequest.whole(1), 1, 0);

    ReclaimChoice choice =
        SELECTOR.chooseReclaim(reclaimer, w.snapshot(), n -> true, w.byNode(), w.byGang(), w.standings);

    assertEquals(
        new ReclaimChoice.None(
            "project team-a would exceed its fair share of 4.00 GPUs in pool a100 (has 3.50, the pod asks for 1.00)"),
        choice);
  }

  /**
   * 5,000 eight-GPU nodes, each full with eight one-GPU pods of four over-fair-share projects; the
   * pod needs two GPUs. Every node is a candidate, so this is the worst case of the reclaim loop.
   * The answer is still the two lowest-priority pods on the one node that has them.
   */
  @Test
  void reclaimAtFiveThousandNodes() {
    int nodes = 5000;
    List<NodeState> states = new ArrayList<>(nodes);
    Map<String, List<RunningPod>> byNode = new HashMap<>();
    for (int n = 0; n < nodes; n++) {
      String nodeName = String.format("node-%04d", n);
      Ledger ledger = node(nodeName, 8);
      List<RunningPod> pods = new ArrayList<>(8);
      for (int g = 0; g < 8; g++) {
        String podName = nodeName + "-" + g;
        ledger.withWhole(podName, g);
        int priority = n == 4321 && g < 2 ? 0 : 10;
        pods.add(pod(podName).on(nodeName).of("team-" + (g % 4)).priority(priority).minute(g).build());
      }
      states.add(ledger.state());
      byNode.put(nodeName, pods);
    }
    Map<String, Standing> standings = new HashMap<>();
    standings.put("team-a", standing(100, 100, 0));
    for (int t = 0; t < 4; t++) {
      standings.put("team-" + t, standing(1000, 1000, 10000));
    }
    Reclaimer reclaimer = new Reclaimer(Ledger.pod("p"), "team-a", POOL, GpuRequest.whole(2), 2, 0);

    ReclaimChoice choice =
        SELECTOR.chooseReclaim(reclaimer, ClusterSnapshot.of(states, 1), n -> true, byNode, Map.of(), standings);

    ReclaimChoice.Victims victims = assertInstanceOf(ReclaimChoice.Victims.class, choice, choice::toString);
    assertEquals("node-4321", victims.node());
    assertEquals(
        Set.of("node-4321-0", "node-4321-1"), victims.victims().stream().map(p -> p.key().name()).collect(Collectors.toSet()));
  }

  @Test
  void valuesRejectNonsense() {
    assertThrows(IllegalArgumentException.class, () -> pod("x").gpus(-1).build());
    assertThrows(IllegalArgumentException.class, () -> standing(Double.NaN, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new ReclaimChoice.Victims("n", List.of(), "r"));
  }
}
