package dev.tessera.extender.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.model.GpuNode;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.testing.Ledger;
import dev.tessera.extender.testing.Nodes;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NodeStateTest {
  private static final long A100 = 81920;
  private static final double EPS = 1e-12;

  private static Allocation whole(String pod, String node, int... gpus) {
    GpuShare[] shares = new GpuShare[gpus.length];
    for (int k = 0; k < gpus.length; k++) {
      shares[k] = new GpuShare(gpus[k], null, A100, 1.0);
    }
    return Ledger.allocation(pod, new GpuAssignment(node, true, List.of(shares)));
  }

  private static Allocation shared(String pod, String node, int gpu, long mib) {
    return Ledger.allocation(
        pod, new GpuAssignment(node, false, List.of(new GpuShare(gpu, null, mib, (double) mib / A100))));
  }

  @Test
  void emptyNodeHasEverythingFree() {
    NodeState state = Nodes.node("n").gpus(4).empty();
    assertEquals("n", state.name());
    assertEquals(4, state.gpuCount());
    assertEquals(4, state.freeWholeGpus());
    assertEquals(0, state.load(), EPS);
    assertEquals(0, state.loadFraction(), EPS);
    for (int i = 0; i < 4; i++) {
      assertFalse(state.heldWhole(i));
      assertEquals(0, state.sharedTenants(i));
      assertEquals(0, state.usedMiB(i));
      assertEquals(A100, state.freeMiB(i));
    }
    assertTrue(state.allocations().isEmpty());
  }

  @Test
  void nodeWithoutGpusHasZeroLoad() {
    NodeState state = Nodes.node("cpu").empty();
    assertEquals(0, state.freeWholeGpus());
    assertEquals(0, state.loadFraction(), EPS);
  }

  @Test
  void accountsWholeAndSharedTenants() {
    NodeState state =
        Nodes.node("n").gpus(4).ledger()
            .withWhole("train", 0, 2)
            .withFraction("nb-1", 1, 0.25)
            .withMemory("nb-2", 1, 8192)
            .state();
    assertEquals(1, state.freeWholeGpus()); // GPU 3
    assertTrue(state.heldWhole(0));
    assertTrue(state.heldWhole(2));
    assertFalse(state.heldWhole(1));
    assertEquals(2, state.sharedTenants(1));
    assertEquals(20480 + 8192, state.usedMiB(1));
    assertEquals(A100 - 20480 - 8192, state.freeMiB(1));
    assertEquals(A100, state.usedMiB(0), "a whole-held GPU is used in full");
    assertEquals(0, state.freeMiB(0), "nothing of a whole-held GPU is free to share");
    assertEquals(2 + 28672.0 / A100, state.load(), EPS);
    assertEquals((2 + 28672.0 / A100) / 4, state.loadFraction(), EPS);
  }

  @Test
  void withAddsWithoutChangingTheOldInstance() {
    NodeState before = Nodes.node("n").gpus(2).ledger().withFraction("a", 0, 0.5).state();
    NodeState after = before.with(whole("b", "n", 1));

    assertNotSame(before, after);
    assertEquals(1, before.freeWholeGpus());
    assertFalse(before.heldWhole(1));
    assertEquals(Set.of("uid-a"), before.allocations().keySet());

    assertEquals(0, after.freeWholeGpus());
    assertTrue(after.heldWhole(1));
    assertEquals(Set.of("uid-a", "uid-b"), after.allocations().keySet());
    assertEquals(40960, after.usedMiB(0));
  }

  @Test
  void withTheSamePodReplacesItsAllocation() {
    NodeState first = NodeState.empty(Nodes.node("n").gpus(2).build()).with(shared("a", "n", 0, 20000));
    NodeState moved = first.with(shared("a", "n", 1, 30000));
    assertEquals(1, moved.allocations().size());
    assertEquals(0, moved.usedMiB(0));
    assertEquals(0, moved.sharedTenants(0));
    assertEquals(30000, moved.usedMiB(1));
    assertEquals(1, moved.sharedTenants(1));
    assertEquals(20000, first.usedMiB(0), "the earlier instance is unchanged");
  }

  @Test
  void withoutRemovesAndKeepsTheOldInstance() {
    NodeState before = Nodes.node("n").gpus(2).ledger().withWhole("a", 0).withFraction("b", 1, 0.5).state();
    NodeState after = before.without("uid-a");
    assertEquals(1, after.freeWholeGpus());
    assertFalse(after.heldWhole(0));
    assertEquals(Set.of("uid-b"), after.allocations().keySet());
    assertTrue(before.heldWhole(0));
    assertEquals(0, before.freeWholeGpus());
    assertEquals(2, before.allocations().size());
  }

  @Test
  void withoutAnUnknownPodIsTheSameInstance() {
    NodeState state = Nodes.node("n").gpus(2).ledger().withWhole("a", 0).state();
    assertSame(state, state.without("uid-nobody"));
  }

  @Test
  void withNodeKeepsAllocationsOnTheNewDescription() {
    NodeState state = Nodes.node("n").gpus(2).ledger().withFraction("a", 1, 0.5).state();
    GpuNode relabelled = Nodes.node("n").gpus(2).strategy(PlacementStrategy.SPREAD).build();
    NodeState after = state.withNode(relabelled);
    assertEquals(PlacementStrategy.SPREAD, after.node().strategy());
    assertEquals(40960, after.usedMiB(1));
    assertEquals(1, after.freeWholeGpus());
    assertEquals(null, state.node().strategy(), "old instance keeps the old node");
  }

  @Test
  void allocationsBeyondTheNodesGpusAreIgnored() {
    GpuNode two = Nodes.node("n").gpus(2).build();
    NodeState state =
        Ledger.on(two).withWhole("gone", 2, 5).withMemory("half-gone", 7, 1000).state()
            .with(Ledger.allocation("straddles", new GpuAssignment("n", false, List.of(
                new GpuShare(1, null, 10000, 0.1), new GpuShare(3, null, 10000, 0.1)))));
    assertEquals(3, state.allocations().size(), "the ledger still records them");
    assertEquals(1, state.freeWholeGpus(), "only GPU 1 holds something it has");
    assertEquals(10000, state.usedMiB(1));
    assertEquals(0, state.usedMiB(0));
    assertEquals(10000.0 / A100, state.load(), EPS);
    assertThrows(IndexOutOfBoundsException.class, () -> state.heldWhole(2));
  }

  @Test
  void shrinkingAndGrowingTheNodeAccountsOnlyExistingGpus() {
    NodeState four = Nodes.node("n").gpus(4).ledger().withWhole("a", 3).withFraction("b", 0, 0.5).state();
    NodeState shrunk = four.withNode(Nodes.node("n").gpus(2).build());
    assertEquals(1, shrunk.freeWholeGpus());
    assertEquals(0.5, shrunk.load(), EPS);
    assertEquals(2, shrunk.allocations().size());
    NodeState grown = shrunk.withNode(Nodes.node("n").gpus(4).build());
    assertTrue(grown.heldWhole(3), "the allocation on GPU 3 counts again once the GPU is back");
    assertEquals(2, grown.freeWholeGpus());
    assertEquals(1.5, grown.load(), EPS);
  }

  @Test
  void overCommittedGpuRecordsWhatIsAndHasNothingFree() {
    NodeState state =
        Nodes.node("n").gpus(1).ledger().withMemory("a", 0, 50000).withMemory("b", 0, 50000).state();
    assertEquals(100000, state.usedMiB(0));
    assertEquals(0, state.freeMiB(0));
    assertEquals(1.0, state.load(), EPS, "fullness is capped at 1 per GPU");
    assertEquals(1.0, state.loadFraction(), EPS);
  }

  @Test
  void sharedTenantOnGpuOfUnknownSizeCountsAsFull() {
    NodeState state = Nodes.node("n").gpus(2).memoryMiB(0).ledger().withMemory("a", 0, 1000).state();
    assertEquals(0, state.freeMiB(0));
    assertEquals(0, state.freeMiB(1));
    assertEquals(1.0, state.load(), EPS);
    assertEquals(1, state.freeWholeGpus());
  }

  @Test
  void knowsEachGpusSizeAndWhichAreUnknown() {
    NodeState state = Nodes.node("n").gpus(3).gpuMemoryMiB(1, 0).gpuMemoryMiB(2, 40960).empty();
    assertEquals(A100, state.totalMiB(0));
    assertEquals(0, state.totalMiB(1), "unknown size reads 0, as on the GpuDevice");
    assertEquals(40960, state.totalMiB(2));
    assertTrue(state.memoryKnown(0));
    assertFalse(state.memoryKnown(1));
    assertTrue(state.memoryKnown(2));
    assertEquals(0, state.uniformMemoryMiB());

    NodeState resized = state.withNode(Nodes.node("n").gpus(3).build());
    assertEquals(A100, resized.totalMiB(1), "a new description brings its sizes");
    assertTrue(resized.memoryKnown(1));
    assertEquals(0, state.totalMiB(1), "the earlier instance is unchanged");
  }

  @Test
  void ofKeepsOnePodOnceByUid() {
    GpuNode node = Nodes.node("n").gpus(2).build();
    NodeState state = NodeState.of(node, List.of(shared("a", "n", 0, 1000), shared("a", "n", 1, 2000)));
    assertEquals(1, state.allocations().size());
    assertEquals(0, state.usedMiB(0));
    assertEquals(2000, state.usedMiB(1));
  }

  @Test
  void allocationsCannotBeChangedFromOutside() {
    NodeState state = Nodes.node("n").gpus(2).ledger().withWhole("a", 0).state();
    assertThrows(
        UnsupportedOperationException.class,
        () -> state.allocations().put("uid-x", whole("x", "n", 1)));
    assertThrows(UnsupportedOperationException.class, () -> state.allocations().remove("uid-a"));
    assertEquals(1, state.freeWholeGpus());
  }
}
