package dev.tessera.extender.scheduling;

import static dev.tessera.extender.model.PlacementStrategy.BINPACK;
import static dev.tessera.extender.model.PlacementStrategy.SPREAD;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.model.GpuDevice;
import dev.tessera.extender.model.GpuNode;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.GpuRequest.Kind;
import dev.tessera.extender.model.ObservedGpu;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.testing.Ledger;
import dev.tessera.extender.testing.Nodes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Placement decisions as declarative scenario tables (KAI-Scheduler {@code TestTopologyBasic}
 * style): a node with its tenants, a request, and what must happen.
 */
class PlacementTest {
  private static final long A100 = 81920;

  // ---------------------------------------------------------------- fit / failure / picked GPUs

  /** One node, one request, and the expected outcome: picked GPUs, or a failure. */
  static final class Scenario {
    final NodeState node;
    GpuRequest request;
    PlacementStrategy defaultStrategy = BINPACK;
    List<Integer> gpus;
    Long mibEach;
    String reason;
    boolean reasonExact;
    boolean unresolvable;

    Scenario(NodeState node) {
      this.node = node;
    }

    Scenario request(GpuRequest request) {
      this.request = request;
      return this;
    }

    Scenario byDefault(PlacementStrategy strategy) {
      this.defaultStrategy = strategy;
      return this;
    }

    /** Fits and gets exactly these GPUs (in any order). */
    Scenario picks(int... gpus) {
      this.gpus = Arrays.stream(gpus).sorted().boxed().collect(Collectors.toList());
      return this;
    }

    Scenario mibEach(long mib) {
      this.mibEach = mib;
      return this;
    }

    /** Fails with exactly this reason. */
    Scenario fails(String reason, boolean unresolvable) {
      this.reason = reason;
      this.reasonExact = true;
      this.unresolvable = unresolvable;
      return this;
    }

    /** Fails with a reason containing this text. */
    Scenario failsWith(String reasonPart, boolean unresolvable) {
      this.reason = reasonPart;
      this.reasonExact = false;
      this.unresolvable = unresolvable;
      return this;
    }
  }

  private static final boolean RESOLVABLE = false;
  private static final boolean UNRESOLVABLE = true;

  private static Arguments given(String name, Scenario scenario) {
    return arguments(name, scenario);
  }

  private static Scenario on(NodeState node) {
    return new Scenario(node);
  }

  private static Ledger gpus(int count) {
    return Nodes.node("n").gpus(count).ledger();
  }

  private static GpuRequest fraction(double f) {
    return GpuRequest.fraction(f, 1);
  }

  static Stream<Arguments> scenarios() {
    NodeState mixedTenants =
        gpus(4).withWhole("w", 0).withFraction("f", 1, 0.25).withMemory("m", 2, 100).state();
    NodeState ladder = // free: GPU0 1.0, GPU1 0.75, GPU2 0.5, GPU3 0.25
        gpus(4).withFraction("a", 1, 0.25).withFraction("b", 2, 0.5).withFraction("c", 3, 0.75).state();
    return Stream.of(
        // whole GPUs
        given("whole: lowest free GPUs of an empty node",
            on(Nodes.node("n").gpus(4).empty()).request(GpuRequest.whole(2)).picks(0, 1).mibEach(A100)),
        given("whole: only a GPU without any tenant",
            on(mixedTenants).request(GpuRequest.whole(1)).picks(3)),
        given("whole: too few untouched GPUs is resolvable",
            on(mixedTenants).request(GpuRequest.whole(2))
                .fails("needs 2 whole GPUs; 1 of 4 free (1 held whole, 2 shared by fractions)", RESOLVABLE)),
        given("whole: all held whole is resolvable",
            on(gpus(2).withWhole("w", 0, 1).state()).request(GpuRequest.whole(1))
                .fails("needs 1 whole GPU; 0 of 2 free (2 held whole, 0 shared by fractions)", RESOLVABLE)),
        given("whole: tiny fractional tenants still block whole GPUs",
            on(gpus(2).withFraction("a", 0, 0.01).withMemory("b", 1, 1).state()).request(GpuRequest.whole(1))
                .fails("needs 1 whole GPU; 0 of 2 free (0 held whole, 2 shared by fractions)", RESOLVABLE)),
        given("whole: node without GPUs",
            on(Nodes.node("n").empty()).request(GpuRequest.whole(1)).fails("node has no GPUs", UNRESOLVABLE)),
        given("whole: more than the node has",
            on(Nodes.node("n").gpus(2).empty()).request(GpuRequest.whole(4))
                .fails("needs 4 whole GPUs; node has only 2 GPUs", UNRESOLVABLE)),
        given("whole: more than a one-GPU node has",
            on(Nodes.node("n").gpus(1).empty()).request(GpuRequest.whole(2))
                .fails("needs 2 whole GPUs; node has only 1 GPU", UNRESOLVABLE)),
        given("whole: GPU memory size not needed",
            on(Nodes.node("n").gpus(2).memoryMiB(0).empty()).request(GpuRequest.whole(2)).picks(0, 1).mibEach(0)),
        // fractions
        given("fraction: empty node, GPU 0, floor of its memory",
            on(Nodes.node("n").gpus(2).empty()).request(fraction(0.5)).picks(0).mibEach(40960)),
        given("fraction: joins the GPU that already has a tenant",
            on(gpus(2).withFraction("t", 1, 0.5).state()).request(fraction(0.5)).picks(1)),
        given("fraction: exactly fills the remainder",
            on(gpus(1).withFraction("t", 0, 0.5).state()).request(fraction(0.5)).picks(0)),
        given("fraction: never split across two GPUs",
            on(gpus(2).withFraction("a", 0, 0.75).withFraction("b", 1, 0.75).state()).request(fraction(0.5))
                .fails("needs 0.50 of one GPU; largest free is 0.25 on GPU 0", RESOLVABLE)),
        given("fraction: reason names the GPU with most room",
            on(gpus(4).withWhole("w", 0, 1, 2).withFraction("t", 3, 0.75).state()).request(fraction(0.5))
                .fails("needs 0.50 of one GPU; largest free is 0.25 on GPU 3", RESOLVABLE)),
        given("fraction: largest free among several partly used GPUs",
            on(gpus(4).withFraction("a", 0, 0.9).withFraction("b", 1, 0.6).withFraction("c", 2, 0.8)
                    .withFraction("d", 3, 0.7).state()).request(fraction(0.5))
                .fails("needs 0.50 of one GPU; largest free is 0.40 on GPU 1", RESOLVABLE)),
        given("fraction: skips a GPU held whole",
            on(gpus(2).withWhole("w", 0).state()).request(fraction(0.5)).picks(1)),
        given("fraction: every GPU held whole",
            on(gpus(2).withWhole("w", 0, 1).state()).request(fraction(0.5))
                .fails("needs 0.50 of one GPU; no GPU has room (2 of 2 in use, none with free memory)", RESOLVABLE)),
        given("fraction: an over-committed GPU counts as full",
            on(gpus(1).withMemory("a", 0, 50000).withMemory("b", 0, 50000).state()).request(fraction(0.1))
                .fails("needs 0.10 of one GPU; no GPU has room (1 of 1 in use, none with free memory)", RESOLVABLE)),
        given("fraction: 2 devices get distinct GPUs (best fit first)",
            on(gpus(4).withFraction("a", 0, 0.25).withFraction("b", 1, 0.5).state())
                .request(GpuRequest.fraction(0.5, 2)).picks(0, 1).mibEach(40960)),
        given("fraction: 2 devices on an empty node",
            on(Nodes.node("n").gpus(4).empty()).request(GpuRequest.fraction(0.5, 2)).picks(0, 1)),
        given("fraction: 2 devices, only one GPU has room",
            on(gpus(2).withFraction("a", 0, 0.75).state()).request(GpuRequest.fraction(0.5, 2))
                .failsWith("needs 0.50 of each of 2 GPUs; only 1 GPU", RESOLVABLE)),
        given("fraction: more devices than GPUs",
            on(Nodes.node("n").gpus(2).empty()).request(GpuRequest.fraction(0.5, 3))
                .fails("needs 0.50 of each of 3 GPUs; node has only 2 GPUs", UNRESOLVABLE)),
        given("fraction: node without GPUs",
            on(Nodes.node("n").empty()).request(fraction(0.5)).fails("node has no GPUs", UNRESOLVABLE)),
        given("fraction: GPU memory unknown",
            on(Nodes.node("n").gpus(2).memoryMiB(0).empty()).request(fraction(0.5))
                .failsWith("GPU memory size unknown", UNRESOLVABLE)),
        given("fraction: only the GPU of known size",
            on(Nodes.node("n").gpus(2).gpuMemoryMiB(0, 0).empty()).request(fraction(0.5)).picks(1).mibEach(40960)),
        given("fraction: 2 devices but one GPU of unknown size",
            on(Nodes.node("n").gpus(2).gpuMemoryMiB(0, 0).empty()).request(GpuRequest.fraction(0.5, 2))
                .failsWith("needs 0.50 of each of 2 GPUs; only 1 GPU", UNRESOLVABLE)),
        // memory
        given("memory: 8000 MiB on an empty node",
            on(Nodes.node("n").gpus(2).empty()).request(GpuRequest.memory(8000, 1)).picks(0).mibEach(8000)),
        given("memory: a whole GPU's worth is still shared",
            on(Nodes.node("n").gpus(1).empty()).request(GpuRequest.memory(A100, 1)).picks(0).mibEach(A100)),
        given("memory: larger than any GPU",
            on(Nodes.node("n").gpus(2).empty()).request(GpuRequest.memory(100000, 1))
                .fails("needs 100000 MiB of one GPU; no GPU here is that large (the largest has 81920 MiB)", UNRESOLVABLE)),
        given("memory: only the larger GPU of a mixed node",
            on(Nodes.node("n").gpus(2).gpuMemoryMiB(0, 16384).gpuMemoryMiB(1, 40960).empty())
                .request(GpuRequest.memory(30000, 1)).picks(1)),
        given("memory: 2 devices, only one GPU large enough",
            on(Nodes.node("n").gpus(2).gpuMemoryMiB(0, 16384).gpuMemoryMiB(1, 40960).empty())
                .request(GpuRequest.memory(30000, 2))
                .failsWith("needs 30000 MiB on each of 2 GPUs; only 1 GPU", UNRESOLVABLE)),
        given("memory: tenant leaves too little",
            on(gpus(1).withMemory("a", 0, 70000).state()).request(GpuRequest.memory(20000, 1))
                .fails("needs 20000 MiB of one GPU; largest free is 11920 MiB on GPU 0", RESOLVABLE)),
        given("memory: 2 devices skip the full one",
            on(gpus(3).withMemory("a", 0, 70000).state()).request(GpuRequest.memory(20000, 2)).picks(1, 2)),
        given("memory: GPU memory unknown",
            on(Nodes.node("n").gpus(1).memoryMiB(0).empty()).request(GpuRequest.memory(1, 1))
                .failsWith("GPU memory size unknown", UNRESOLVABLE)),
        given("memory: best fit by MiB",
            on(gpus(3).withMemory("a", 0, 60000).withMemory("b", 1, 75000).state())
                .request(GpuRequest.memory(5000, 1)).picks(1)),
        // invalid request
        given("invalid request: unresolvable with its own reason",
            on(Nodes.node("n").gpus(8).empty())
                .request(GpuRequest.invalid("gpu-fraction must be a number between 0 and 1 (exclusive), was 'abc'"))
                .fails("gpu-fraction must be a number between 0 and 1 (exclusive), was 'abc'", UNRESOLVABLE)),
        // bin-packing: best fit among GPUs, lowest index on ties
        given("binpack: 0.50 goes to the GPU with exactly 0.50 free",
            on(ladder).request(fraction(0.5)).picks(2)),
        given("binpack: 0.25 goes to the GPU with 0.25 free", on(ladder).request(fraction(0.25)).picks(3)),
        given("binpack: 0.75 goes to the GPU with 0.75 free", on(ladder).request(fraction(0.75)).picks(1)),
        given("binpack: 0.80 only fits the empty GPU", on(ladder).request(fraction(0.8)).picks(0)),
        given("binpack: ties go to the lowest index",
            on(gpus(4).withFraction("a", 1, 0.5).withFraction("b", 3, 0.5).state()).request(fraction(0.25)).picks(1)),
        // spreading: most free, lowest index on ties
        given("spread: 0.25 goes to the empty GPU", on(ladder).request(fraction(0.25)).byDefault(SPREAD).picks(0)),
        given("spread: ties go to the lowest index",
            on(gpus(4).withFraction("a", 0, 0.5).withFraction("b", 2, 0.5).state())
                .request(fraction(0.25)).byDefault(SPREAD).picks(1)),
        given("spread: 2 devices take the two emptiest GPUs",
            on(gpus(4).withFraction("a", 0, 0.5).withFraction("b", 1, 0.25).withFraction("c", 3, 0.75).state())
                .request(GpuRequest.fraction(0.25, 2)).byDefault(SPREAD).picks(1, 2)),
        // the node's label wins over the default
        given("label spread beats default binpack",
            on(Nodes.node("n").gpus(4).strategy(SPREAD).ledger().withFraction("a", 1, 0.25)
                    .withFraction("b", 2, 0.5).withFraction("c", 3, 0.75).state())
                .request(fraction(0.25)).byDefault(BINPACK).picks(0)),
        given("label binpack beats default spread",
            on(Nodes.node("n").gpus(4).strategy(BINPACK).ledger().withFraction("a", 1, 0.25)
                    .withFraction("b", 2, 0.5).withFraction("c", 3, 0.75).state())
                .request(fraction(0.25)).byDefault(SPREAD).picks(3)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void decides(String name, Scenario s) {
    Placement placement = new Placement(s.defaultStrategy);
    Refusal failure = placement.check(s.node, s.request);
    GpuAssignment picked = placement.pick(s.node, s.request);
    int score = placement.score(s.node, s.request);
    assertTrue(score >= 0 && score <= Placement.MAX_SCORE, "score " + score);

    if (s.gpus != null) {
      assertNull(failure, () -> "expected a fit, got: " + failure);
      assertNotNull(picked, "check said it fits, so pick must place it");
      assertEquals(s.gpus, indices(picked));
      assertEquals(s.node.name(), picked.node());
      assertEquals(s.request.kind() == Kind.WHOLE, picked.exclusive());
      for (GpuShare share : picked.shares()) {
        GpuDevice gpu = s.node.gpu(share.index());
        assertEquals(gpu.uuid(), share.uuid(), "UUID of GPU " + share.index());
        if (s.mibEach != null) {
          assertEquals(s.mibEach, share.memoryMiB(), "MiB on GPU " + share.index());
        }
        if (s.request.kind() == Kind.FRACTION) {
          assertEquals(s.request.fraction(), share.fraction());
        } else if (s.request.kind() == Kind.WHOLE) {
          assertEquals(1.0, share.fraction());
        } else {
          assertEquals((double) share.memoryMiB() / gpu.memoryMiB(), share.fraction(), 1e-12);
        }
      }
    } else {
      assertNotNull(failure, () -> "expected a failure, got GPUs " + indices(picked));
      if (s.reasonExact) {
        assertEquals(s.reason, failure.reason());
      } else {
        assertTrue(failure.reason().contains(s.reason), () -> "reason was: " + failure.reason());
      }
      assertEquals(s.unresolvable, failure.unresolvable(), "unresolvable");
      assertNull(picked, "pick must not place what check rejects");
      assertEquals(0, score, "a node that does not fit scores 0");
    }
  }

  @Test
  void noGpuRequestFitsEverywhereTakesNothingAndPrefersNodesWithoutGpus() {
    Placement placement = new Placement(BINPACK);
    NodeState cpuOnly = Nodes.node("none").empty();
    NodeState gpuNode = gpus(2).withWhole("w", 0, 1).state();
    for (NodeState node : List.of(cpuOnly, gpuNode)) {
      assertNull(placement.check(node, GpuRequest.NONE));
      assertNull(placement.pick(node, GpuRequest.NONE));
    }
    assertEquals(Placement.MAX_SCORE, placement.score(cpuOnly, GpuRequest.NONE));
    assertEquals(0, placement.score(gpuNode, GpuRequest.NONE));
  }

  /**
   * BUG (Placement.checkShared): the "no GPU here is that large (N MiB each)" reason prints GPU 0's
   * size, which is wrong when GPU 0's size is unknown (prints 0) or the node's GPUs differ.
   */
  @Test
  void tooLargeReasonNamesTheLargestGpuNotGpuZero() {
    Placement placement = new Placement(BINPACK);
    Refusal unknownFirst =
        placement.check(
            Nodes.node("n").gpus(2).gpuMemoryMiB(0, 0).gpuMemoryMiB(1, 16384).empty(),
            GpuRequest.memory(20000, 1));
    Refusal mixed =
        placement.check(
            Nodes.node("n").gpus(2).gpuMemoryMiB(0, 16384).gpuMemoryMiB(1, 40960).empty(),
            GpuRequest.memory(50000, 1));
    assertAll(
        () -> assertTrue(unknownFirst.unresolvable()),
        () -> assertTrue(mixed.unresolvable()),
        () -> assertFalse(unknownFirst.reason().contains("(0 MiB"), "reason: " + unknownFirst.reason()),
        () -> assertTrue(unknownFirst.reason().contains("16384"), "reason: " + unknownFirst.reason()),
        () -> assertTrue(mixed.reason().contains("40960"), "reason: " + mixed.reason()));
  }

  // ------------------------------------------------------------------------- node ordering

  /** Nodes listed best first: each must score strictly higher than the next. */
  static Stream<Arguments> orderings() {
    NodeState shared = Nodes.node("shared").gpus(2).ledger().withFraction("t", 0, 0.25).state();
    NodeState emptyTwo = Nodes.node("empty").gpus(2).empty();
    NodeState nearlyFull =
        Nodes.node("nearly-full").gpus(8).ledger().withWhole("w", 0, 1, 2, 3, 4, 5, 6).state();
    NodeState halfTenant = Nodes.node("half-tenant").gpus(2).ledger().withFraction("t", 0, 0.5).state();
    NodeState quarterTenant = Nodes.node("quarter-tenant").gpus(2).ledger().withFraction("t", 0, 0.25).state();
    NodeState memTenant = Nodes.node("mem-tenant").gpus(1).ledger().withMemory("t", 0, 40000).state();
    NodeState emptyOne = Nodes.node("empty-1").gpus(1).empty();
    NodeState emptyEight = Nodes.node("empty-8").gpus(8).empty();
    NodeState sharedOne = Nodes.node("shared-1").gpus(1).ledger().withFraction("t", 0, 0.25).state();
    return Stream.of(
        arguments("binpack fraction: tenant GPU > nearly-full node's empty GPU > empty node",
            BINPACK, fraction(0.5), List.of(shared, nearlyFull, emptyTwo)),
        arguments("binpack fraction: the fuller tenant GPU first",
            BINPACK, fraction(0.25), List.of(halfTenant, quarterTenant, emptyTwo)),
        arguments("binpack memory: tenant GPU before an empty one",
            BINPACK, GpuRequest.memory(8000, 1), List.of(memTenant, emptyOne)),
        arguments("binpack whole: fuller nodes first, full ones last",
            BINPACK, GpuRequest.whole(1), wholeLadder(null)),
        arguments("spread whole: emptier nodes first",
            SPREAD, GpuRequest.whole(1), reversedFits(wholeLadder(null))),
        arguments("spread fraction: most free first",
            SPREAD, fraction(0.5), List.of(emptyEight, emptyOne, sharedOne)),
        arguments("node label spread beats default binpack",
            BINPACK, GpuRequest.whole(1), reversedFits(wholeLadder(SPREAD))),
        arguments("node label binpack beats default spread",
            SPREAD, GpuRequest.whole(1), wholeLadder(BINPACK)));
  }

  /** 4-GPU nodes with 2, 1 and 0 GPUs held whole, then a full one that cannot fit. */
  private static List<NodeState> wholeLadder(PlacementStrategy label) {
    return List.of(
        Nodes.node("two-held").gpus(4).strategy(label).ledger().withWhole("w", 0, 1).state(),
        Nodes.node("one-held").gpus(4).strategy(label).ledger().withWhole("w", 0).state(),
        Nodes.node("empty").gpus(4).strategy(label).empty(),
        Nodes.node("full").gpus(4).strategy(label).ledger().withWhole("w", 0, 1, 2, 3).state());
  }

  /** The fitting nodes reversed; the last (full) node stays last. */
  private static List<NodeState> reversedFits(List<NodeState> ladder) {
    List<NodeState> fits = new ArrayList<>(ladder.subList(0, ladder.size() - 1));
    java.util.Collections.reverse(fits);
    fits.add(ladder.get(ladder.size() - 1));
    return fits;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("orderings")
  void ordersNodes(String name, PlacementStrategy byDefault, GpuRequest request, List<NodeState> bestFirst) {
    Placement placement = new Placement(byDefault);
    int[] scores = bestFirst.stream().mapToInt(n -> placement.score(n, request)).toArray();
    String shown =
        bestFirst.stream().map(n -> n.name() + "=" + placement.score(n, request)).collect(Collectors.joining(", "));
    for (int i = 0; i < scores.length; i++) {
      assertTrue(scores[i] >= 0 && scores[i] <= Placement.MAX_SCORE, shown);
      if (i > 0) {
        assertTrue(scores[i - 1] > scores[i], "expected strictly decreasing: " + shown);
      }
    }
  }

  @Test
  void scoresAtTheExtremes() {
    Placement binpack = new Placement(BINPACK);
    // The last free GPU of a node: fullest possible after placement.
    assertEquals(10, binpack.score(gpus(2).withWhole("w", 0).state(), GpuRequest.whole(1)));
    // Joining a tenant so that the GPU is exactly full.
    assertEquals(10, binpack.score(gpus(1).withFraction("t", 0, 0.5).state(), fraction(0.5)));
    // A tiny fraction on a large empty node: nothing joined, node barely loaded.
    assertEquals(0, binpack.score(Nodes.node("n").gpus(8).empty(), fraction(0.01)));
    Placement spread = new Placement(SPREAD);
    assertEquals(0, spread.score(gpus(2).withWhole("w", 0).state(), GpuRequest.whole(1)));
    assertEquals(10, spread.score(Nodes.node("n").gpus(64).empty(), GpuRequest.memory(1, 1)));
  }

  // ------------------------------------------------------------------------- rounding

  @Test
  void nPodsOfOneNthFillOneGpuExactly() {
    List<Long> sizes =
        new ArrayList<>(List.of(1024L, 11019L, 15360L, 16384L, 24576L, 40960L, 46068L, 81920L, 97871L, 143771L));
    Random random = new Random(42);
    for (int i = 0; i < 100; i++) {
      sizes.add(1024L + random.nextInt(200_000));
    }
    for (PlacementStrategy strategy : PlacementStrategy.values()) {
      Placement placement = new Placement(strategy);
      for (long size : sizes) {
        for (int n = 2; n <= 8; n++) {
          GpuRequest oneNth = GpuRequest.fraction(1.0 / n, 1);
          NodeState state = Nodes.node("g").gpus(1).memoryMiB(size).empty();
          for (int k = 0; k < n; k++) {
            GpuAssignment a = placement.pick(state, oneNth);
            String context = "size " + size + ", pod " + (k + 1) + " of " + n;
            assertNotNull(a, context);
            assertEquals(size / n, a.shares().get(0).memoryMiB(), context);
            state = state.with(Ledger.allocation("p" + k, a));
          }
          assertEquals(size % n, state.freeMiB(0), "left over after " + n + " pods of 1/" + n);
          assertEquals(n, state.sharedTenants(0));
          Refusal oneMore = placement.check(state, oneNth);
          assertNotNull(oneMore, "pod " + (n + 1) + " of 1/" + n + " on " + size + " MiB");
          assertFalse(oneMore.unresolvable());
        }
      }
    }
  }

  @Test
  void tinyFractionStillTakesOneMib() {
    Placement placement = new Placement(BINPACK);
    NodeState empty = Nodes.node("n").gpus(1).empty();
    GpuRequest tiny = GpuRequest.fraction(1e-9, 1);
    GpuAssignment a = placement.pick(empty, tiny);
    assertNotNull(a);
    assertEquals(1, a.shares().get(0).memoryMiB());
    assertEquals(1e-9, a.shares().get(0).fraction());
    NodeState after = empty.with(Ledger.allocation("tiny", a));
    assertEquals(1, after.usedMiB(0));
    assertEquals(A100 - 1, after.freeMiB(0));
    assertEquals(0, after.freeWholeGpus(), "a GPU with a tiny tenant is no longer free for whole use");

    // One MiB left: fits. None left: does not.
    NodeState oneLeft = gpus(1).withMemory("big", 0, A100 - 1).state();
    assertNotNull(placement.pick(oneLeft, tiny));
    NodeState noneLeft = gpus(1).withMemory("big", 0, A100).state();
    Refusal failure = placement.check(noneLeft, tiny);
    assertNotNull(failure);
    assertTrue(failure.reason().contains("no GPU has room"), failure.reason());
    assertNull(placement.pick(noneLeft, tiny));
  }

  // ------------------------------------------------------------------------- dynamic fractions

  @Test
  void aSharedPodGoesWhereNoLoanMustBeTakenBackAndScoresZeroWhereOneMust() {
    Placement placement = new Placement(BINPACK);
    GpuNode plain = Nodes.node("n").gpus(2).build();
    // A 0.5 tenant on each GPU by the ledger; on GPU 0 it borrows 30000 MiB more, by its agent.
    GpuNode node = plain.withGpus(plain.gpus(),
        List.of(new ObservedGpu(40960 + 30000, 30000, true, ""), new ObservedGpu(40960, 0, true, "")));
    NodeState state = Ledger.on(node).withFraction("bursty", 0, 0.5).withFraction("steady", 1, 0.5).state();
    assertEquals(40960, state.freeMiB(0), "a loan does not count against what new pods can have");
    assertEquals(10960, state.unlentFreeMiB(0), "but only 10960 MiB are free without taking it back");

    // Equal by bin-packing, and GPU 0 would win the tie: GPU 1 kills nobody.
    assertEquals(List.of(1), indices(placement.pick(state, fraction(0.25))));

    NodeState onlyGpu0 = Ledger.on(node).withFraction("bursty", 0, 0.5).withFraction("steady", 1, 0.5)
        .withFraction("another", 1, 0.5).state();
    assertNull(placement.check(onlyGpu0, fraction(0.25)), "it still fits: the agent takes the loan back");
    assertEquals(List.of(0), indices(placement.pick(onlyGpu0, fraction(0.25))));
    assertEquals(0, placement.score(onlyGpu0, fraction(0.25)), "the last choice among nodes");
    assertEquals(placement.score(Ledger.on(plain).withFraction("bursty", 0, 0.5).withFraction("steady", 1, 0.5)
            .withFraction("another", 1, 0.5).state(), fraction(0.1)),
        placement.score(onlyGpu0, fraction(0.1)), "what fits beside the loan scores as if there were none");
  }

  @Test
  void dynamicFractionsArePlacedByTheirRequestNotTheirLimit() {
    Placement placement = new Placement(BINPACK);
    GpuRequest borrowing = fraction(0.5).withFractionLimit(0.9);
    Ledger ledger = Nodes.node("n").gpus(1).ledger();

    GpuAssignment first = placement.pick(ledger.state(), borrowing);
    GpuShare share = first.shares().get(0);
    assertEquals(40960, share.memoryMiB(), "the ledger holds the request");
    assertEquals(73728, share.limitMiB(), "floor(0.9 x 81920): what the pod may borrow up to");
    assertEquals(0.5, share.fraction());
    NodeState one = ledger.with(Ledger.allocation("first", first)).state();
    assertEquals(40960, one.usedMiB(0));
    assertEquals(40960, one.freeMiB(0), "the limit takes nothing from what others can have");

    // Filter, prioritize and bind see the second pod exactly as if neither had a limit.
    assertNull(placement.check(one, borrowing));
    assertEquals(placement.score(one, fraction(0.5)), placement.score(one, borrowing));
    GpuAssignment second = placement.pick(one, borrowing);
    assertEquals(List.of(0), indices(second));
    NodeState both = ledger.with(Ledger.allocation("second", second)).state();
    assertEquals(81920, both.usedMiB(0));
    assertEquals(2 * 73728, both.limitMiB(0), "limits may add up past the GPU: they are loans, not holds");
    assertEquals(0, both.freeMiB(0));

    // Their requests fill the GPU: a third pod, however small, does not fit.
    Refusal full = placement.check(both, fraction(0.1));
    assertNotNull(full);
    assertEquals("needs 0.10 of one GPU; no GPU has room (1 of 1 in use, none with free memory)", full.reason());
    assertFalse(full.unresolvable(), "room comes back when a tenant leaves");
    assertNull(placement.pick(both, fraction(0.1)));
    assertEquals(0, placement.score(both, fraction(0.1)));

    // Quotas count the request too: half a GPU each.
    assertEquals(0.5, PolicyAccounting.gpusHeld(Ledger.allocation("first", first)));
    assertEquals(0.5, borrowing.gpus(81920));
  }

  @Test
  void aMemoryLimitRidesAlongAndIsCutToTheGpu() {
    Placement placement = new Placement(BINPACK);
    NodeState node = Nodes.node("n").gpus(2).ledger().state();

    GpuAssignment modest = placement.pick(node, GpuRequest.memory(8000, 2).withMemoryLimit(12000));
    assertEquals(2, modest.shares().size());
    modest.shares().forEach(share -> {
      assertEquals(8000, share.memoryMiB());
      assertEquals(12000, share.limitMiB());
    });
    GpuShare greedy = placement.pick(node, GpuRequest.memory(8000, 1).withMemoryLimit(16777216)).shares().get(0);
    assertEquals(81920, greedy.limitMiB(), "nothing can be borrowed beyond the GPU itself");
    GpuShare plain = placement.pick(node, GpuRequest.memory(8000, 1)).shares().get(0);
    assertEquals(8000, plain.limitMiB(), "no limit asked: the limit is the request");
    assertFalse(plain.borrows());
  }

  // ------------------------------------------------------------------------- property

  /**
   * Random nodes, tenants and requests (fixed seed): check and pick agree, pick returns only GPUs
   * that can take the request, and applying every pick never over-commits a GPU nor mixes whole
   * and shared use on one.
   */
  @Test
  void randomPlacementsNeverOverCommit() {
    Random random = new Random(0x7E55E4AL);
    int placed = 0;
    int refused = 0;
    for (int iteration = 0; iteration < 10_000; iteration++) {
      Placement placement = new Placement(random.nextBoolean() ? BINPACK : SPREAD);
      NodeState state = randomNode(random, iteration);
      assertConsistent(state, "initial state of iteration " + iteration);
      int requests = 1 + random.nextInt(6);
      for (int r = 0; r < requests; r++) {
        GpuRequest request = randomRequest(random);
        String context = "iteration " + iteration + ", request " + r + ": " + request + " on " + describe(state);
        Refusal failure = placement.check(state, request);
        GpuAssignment picked = placement.pick(state, request);
        int score = placement.score(state, request);
        assertTrue(score >= 0 && score <= Placement.MAX_SCORE, context + " scored " + score);
        if (request.kind() == Kind.INVALID) {
          assertNotNull(failure, context);
          assertTrue(failure.unresolvable(), context);
        }
        assertEquals(failure == null, picked != null, () -> context + ": check=" + failure + " pick=" + picked);
        if (failure != null) {
          assertEquals(0, score, context);
          refused++;
          continue;
        }
        assertPickAcceptable(state, request, picked, context);
        state = state.with(new Allocation(Ledger.pod("p" + r), picked, random.nextBoolean()));
        assertConsistent(state, context);
        placed++;
      }
    }
    assertTrue(placed > 5_000 && refused > 5_000, "placed " + placed + ", refused " + refused);
  }

  /**
   * A filter call explains thousands of nodes with one memo: for every node its reason must be
   * exactly the one a fresh check gives (no two different sentences share a memo key), and fits
   * must agree with check.
   */
  @Test
  void memoisedReasonsAreTheReasonsEachNodeWouldGetAlone() {
    Random random = new Random(0x3E30L);
    Placement placement = new Placement(BINPACK);
    int explained = 0;
    for (int call = 0; call < 300; call++) {
      GpuRequest request = randomRequest(random);
      FailureMemo memo = new FailureMemo();
      for (int n = 0; n < 200; n++) {
        NodeState state = randomNode(random, n);
        for (int tenants = random.nextInt(4); tenants > 0; tenants--) {
          GpuAssignment picked = placement.pick(state, randomRequest(random));
          if (picked != null) {
            state = state.with(new Allocation(Ledger.pod("t" + tenants), picked, false));
          }
        }
        Refusal alone = placement.check(state, request);
        Refusal memoised = placement.check(state, request, memo);
        String context = request + " on " + describe(state);
        assertEquals(alone, memoised, context);
        assertEquals(alone == null, placement.fits(state, request), context);
        explained += alone == null ? 0 : 1;
      }
    }
    assertTrue(explained > 10_000, "only " + explained + " failures explained");
  }

  @Test
  void fractionsPrintWithTwoDecimalsRoundedHalfUp() {
    assertEquals("0.25", GpuRequest.fractionText(0.25));
    assertEquals("0.05", GpuRequest.fractionText(0.05));
    assertEquals("0.13", GpuRequest.fractionText(0.125));
    assertEquals("0.00", GpuRequest.fractionText(0.001));
    assertEquals("1.00", GpuRequest.fractionText(0.999));
    assertEquals("2.50", GpuRequest.fractionText(2.5));
  }

  private static NodeState randomNode(Random random, int iteration) {
    int[] counts = {0, 1, 1, 2, 4, 4, 8, 8, 8, 16, 64};
    int gpus = random.nextInt(5) == 0 ? 1 + random.nextInt(12) : counts[random.nextInt(counts.length)];
    long[] sizes = {16384, 24576, 40960, 81920, 143771, 1024};
    Nodes.Builder builder =
        Nodes.node("node-" + iteration).gpus(gpus).memoryMiB(sizes[random.nextInt(sizes.length)]);
    int shape = random.nextInt(20);
    if (shape == 0) {
      builder.memoryMiB(0); // unknown size
    } else if (shape <= 3) {
      for (int i = 0; i < gpus; i++) {
        builder.gpuMemoryMiB(i, random.nextInt(10) == 0 ? 0 : sizes[random.nextInt(sizes.length)]);
      }
    }
    int label = random.nextInt(5);
    builder.strategy(label == 0 ? BINPACK : label == 1 ? SPREAD : null);
    GpuNode node = builder.build();
    Ledger ledger = Ledger.on(node);
    int pod = 0;
    for (int i = 0; i < gpus; i++) {
      long total = node.gpus().get(i).memoryMiB();
      int use = random.nextInt(10);
      if (use < 2) {
        ledger.withWhole("t" + pod++, i);
      } else if (use < 6 && total > 0) {
        long left = total;
        for (int t = 1 + random.nextInt(3); t > 0 && left > 0; t--) {
          long mib = 1 + (long) (random.nextDouble() * left);
          mib = Math.min(mib, left);
          ledger.withMemory("t" + pod++, i, mib);
          left -= mib;
        }
      }
    }
    return ledger.state();
  }

  private static GpuRequest randomRequest(Random random) {
    int kind = random.nextInt(20);
    if (kind == 0) {
      return GpuRequest.invalid("bad annotation");
    }
    int devices = random.nextInt(4) == 0 ? 2 + random.nextInt(3) : 1;
    if (kind < 7) {
      return GpuRequest.whole(1 + random.nextInt(random.nextBoolean() ? 2 : 9));
    }
    if (kind < 14) {
      double[] common = {0.1, 0.25, 0.5, 0.75, 1.0 / 3, 0.125};
      double f = random.nextBoolean() ? common[random.nextInt(common.length)] : random.nextDouble();
      if (f <= 0) {
        f = 0.5;
      }
      GpuRequest request = GpuRequest.fraction(f, devices);
      // Some borrow: their limits must change nothing about what fits.
      return random.nextInt(3) == 0 ? request.withFractionLimit(Math.min(1.0, f + random.nextDouble() * (1 - f))) : request;
    }
    long[] common = {1, 1000, 8000, 20000, 40960, 81920, 100000};
    long mib = random.nextBoolean() ? common[random.nextInt(common.length)] : 1 + random.nextInt(90_000);
    GpuRequest request = GpuRequest.memory(mib, devices);
    return random.nextInt(3) == 0 ? request.withMemoryLimit(mib + random.nextInt(100_000)) : request;
  }

  private static void assertPickAcceptable(NodeState state, GpuRequest request, GpuAssignment a, String context) {
    assertEquals(state.name(), a.node(), context);
    assertEquals(request.devices(), a.shares().size(), context);
    assertEquals(request.kind() == Kind.WHOLE, a.exclusive(), context);
    for (GpuShare share : a.shares()) {
      int i = share.index();
      assertTrue(i < state.gpuCount(), context + " picked GPU " + i);
      GpuDevice gpu = state.gpu(i);
      assertEquals(gpu.uuid(), share.uuid(), context);
      if (request.kind() == Kind.WHOLE) {
        assertFalse(state.heldWhole(i), context + " GPU " + i + " is already held whole");
        assertEquals(0, state.sharedTenants(i), context + " GPU " + i + " already has shared tenants");
        assertEquals(gpu.memoryMiB(), share.memoryMiB(), context);
        assertEquals(1.0, share.fraction(), context);
        assertEquals(share.memoryMiB(), share.limitMiB(), context + " a whole GPU has no loan");
      } else {
        assertTrue(gpu.memoryKnown(), context + " shared GPU " + i + " of unknown size");
        assertFalse(state.heldWhole(i), context + " GPU " + i + " is held whole");
        long need = Math.max(1, request.mibPerDevice(gpu.memoryMiB()));
        assertEquals(need, share.memoryMiB(), context + " GPU " + i);
        assertEquals(Math.max(need, request.limitMiBPerDevice(gpu.memoryMiB())), share.limitMiB(), context + " GPU " + i);
        assertTrue(state.freeMiB(i) >= need, context + " GPU " + i + " has only " + state.freeMiB(i) + " free");
      }
    }
  }

  private static void assertConsistent(NodeState state, String context) {
    int untouched = 0;
    for (int i = 0; i < state.gpuCount(); i++) {
      long total = state.gpu(i).memoryMiB();
      boolean whole = state.heldWhole(i);
      int tenants = state.sharedTenants(i);
      assertFalse(whole && tenants > 0, context + ": GPU " + i + " both held whole and shared");
      assertTrue(state.usedMiB(i) <= total, context + ": GPU " + i + " uses " + state.usedMiB(i) + " of " + total);
      assertEquals(whole ? 0 : total - state.usedMiB(i), state.freeMiB(i), context + ": free of GPU " + i);
      if (!whole && tenants == 0) {
        untouched++;
      }
    }
    assertEquals(untouched, state.freeWholeGpus(), context + ": freeWholeGpus");
    assertTrue(state.loadFraction() >= 0 && state.loadFraction() <= 1, context + ": load " + state.loadFraction());
  }

  private static String describe(NodeState state) {
    StringBuilder sb = new StringBuilder(state.toString()).append(" {");
    for (int i = 0; i < state.gpuCount(); i++) {
      sb.append(i).append(':')
          .append(state.heldWhole(i) ? "whole" : state.usedMiB(i) + "/" + state.gpu(i).memoryMiB())
          .append(' ');
    }
    return sb.append('}').toString();
  }

  private static List<Integer> indices(GpuAssignment a) {
    return a == null ? null : a.shares().stream().map(GpuShare::index).sorted().collect(Collectors.toList());
  }
}
