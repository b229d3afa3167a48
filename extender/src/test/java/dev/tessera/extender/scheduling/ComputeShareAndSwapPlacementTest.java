package dev.tessera.extender.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.assignment.ComputeShares;
import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.model.GpuNode;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.ObservedGpu;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.testing.Ledger;
import dev.tessera.extender.testing.Nodes;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Placement by compute share and on GPU memory swap: a GPU whose compute is guaranteed to others
 * refuses another paced pod even where its memory fits, and a pod that opts in to swap may go
 * where its memory fits only with the node's swap, the last choice, told how much went there.
 */
class ComputeShareAndSwapPlacementTest {
  private static final long A100 = Nodes.DEFAULT_MEMORY_MIB;
  private final Placement placement = new Placement(PlacementStrategy.BINPACK);

  /** A pod holding {@code mib} of GPU {@code gpu} with a compute share of {@code percent}. */
  private static Ledger paced(Ledger ledger, String pod, int gpu, long mib, int percent) {
    GpuNode node = ledger.node();
    return ledger.with(Ledger.allocation(pod, new GpuAssignment(node.name(), false, List.of(
        new GpuShare(gpu, node.gpus().get(gpu).uuid(), mib, mib, (double) mib / A100, percent, 0)))));
  }

  // ---------------------------------------------------------------------------- compute shares

  @Test
  void aGpuWhoseComputeIsGuaranteedRefusesAPacedPodWhereItsMemoryFits() {
    // 16 GiB held, but with 90% of the compute: 0.25 of the GPU (share 25) fits the memory, not the compute.
    NodeState node = paced(Nodes.node("n").gpus(1).ledger(), "hog", 0, 16384, 90).state();
    GpuRequest quarter = GpuRequest.fraction(0.25, 1);

    Refusal refusal = placement.check(node, quarter);

    assertNotNull(refusal);
    assertEquals("needs 0.25 of one GPU; GPU 0 has the memory but not the compute: its paced pods are"
        + " guaranteed 90% of it and this pod needs 25% (set tessera.dev/compute-share lower, or \"none\" to run"
        + " unpaced)", refusal.reason());
    assertFalse(refusal.unresolvable(), "the pods holding it may leave");
    assertEquals(ReasonClass.INSUFFICIENT_GPU, refusal.reasonClass());
    assertEquals(0, placement.score(node, quarter));

    assertNull(placement.check(node, quarter.withComputeShare(10)), "a share of 10 fits beside the 90");
    assertNull(placement.check(node, quarter.withComputeShare(ComputeShares.NOT_PACED)), "unpaced: no share to fit");
  }

  @Test
  void sharesFollowFractionsSoDefaultPodsFitWhereverTheirMemoryDoes() {
    Ledger ledger = Nodes.node("n").gpus(1).ledger();
    for (int i = 0; i < 3; i++) {
      NodeState state = ledger.state();
      GpuAssignment third = placement.pick(state, GpuRequest.fraction(1.0 / 3, 1));
      assertNotNull(third, "third " + i);
      assertEquals(GpuShare.UNSET, third.shares().get(0).computeShare(), "the fraction's share needs no words");
      ledger.with(Ledger.allocation("p" + i, third));
    }
    assertEquals(99, ledger.state().computeGuaranteed(0), "three shares of 33");
    assertEquals(1, ledger.state().computeFree(0));
  }

  @Test
  void theAgentsCountNarrowsTheLedgersNeverWidensIt() {
    GpuNode labelled = Nodes.node("n").gpus(2).build();
    // The agent's paced tenants on GPU 0 hold 100% (placed by something the ledger does not know).
    GpuNode reported = labelled.withGpus(labelled.gpus(), List.of(
        new ObservedGpu(8192, 0, true, "", 100), new ObservedGpu(0, 0, true, "", 0)));
    NodeState node = paced(Ledger.on(reported), "mine", 1, 8192, 40).state();

    assertEquals(100, node.computeGuaranteed(0));
    assertEquals(40, node.computeGuaranteed(1), "the agent's 0 does not undo what the ledger holds");
    GpuAssignment picked = placement.pick(node, GpuRequest.fraction(0.5, 1));
    assertEquals(1, picked.shares().get(0).index(), "GPU 0 has the memory, GPU 1 the compute too");
  }

  @Test
  void aPodOnSeveralGpusNeedsItsShareOnEach() {
    NodeState node = paced(Nodes.node("n").gpus(2).ledger(), "hog", 0, 8192, 80).state();
    GpuRequest half = GpuRequest.fraction(0.3, 2);

    assertEquals("needs 0.30 of each of 2 GPUs; only 1 GPU with the memory has 30% of compute left to guarantee",
        placement.check(node, half).reason());
    assertNull(placement.check(node, half.withComputeShare(20)));
  }

  @Test
  void anAskedShareIsWrittenInTheAssignment() {
    NodeState node = Nodes.node("n").gpus(1).empty();

    GpuShare thirty = placement.pick(node, GpuRequest.memory(8192, 1).withComputeShare(30)).shares().get(0);
    GpuShare unpaced =
        placement.pick(node, GpuRequest.memory(8192, 1).withComputeShare(ComputeShares.NOT_PACED)).shares().get(0);

    assertEquals(30, thirty.computeShare());
    assertEquals(ComputeShares.NOT_PACED, unpaced.computeShare());
    assertEquals(10, GpuRequest.memory(8192, 1).computeSharePercent(A100), "8 GiB of 80: the share of its memory");
  }

  // ---------------------------------------------------------------------------------- swap

  /** A node of {@code gpus} A100s whose agent lends {@code swapMiB} of host memory to swap. */
  private static Ledger swapNode(int gpus, long swapMiB) {
    GpuNode node = Nodes.node("n").gpus(gpus).build();
    List<ObservedGpu> idle = new ArrayList<>();
    for (int i = 0; i < gpus; i++) {
      idle.add(new ObservedGpu(0, 0, true, "", 0));
    }
    return Ledger.on(node.withGpus(node.gpus(), idle, swapMiB));
  }

  @Test
  void aSwapPodFitsWhereOnlyTheNodesSwapGivesItRoom() {
    NodeState node = swapNode(1, 32768).withMemory("big", 0, 61440).state(); // 20 GiB left
    GpuRequest forty = GpuRequest.memory(40960, 1);

    assertNotNull(placement.check(node, forty), "without opting in: no room");
    GpuAssignment onSwap = placement.pick(node, forty.withSwap(true));

    assertNotNull(onSwap);
    assertTrue(onSwap.onSwap());
    assertEquals(40960 - (A100 - 61440), onSwap.shares().get(0).swapMiB(), "what the GPU had no room for");
    assertEquals(25, onSwap.shares().get(0).computeShare(),
        "memory past the GPU's cannot come with its fraction's compute too: what is left of it, written down");
    assertEquals(0, placement.score(node, forty.withSwap(true)), "host memory for GPU memory: the last choice");

    NodeState after = Ledger.on(node.node()).withMemory("big", 0, 61440).with(Ledger.allocation("swapper", onSwap))
        .state();
    assertEquals(32768 - 20480, after.swapRoomMiB());
    assertEquals(0, after.overcommittedGpus(), "held past the GPU's memory by swap only: no over-commitment");
    assertEquals(List.of(), after.overlaps());
  }

  @Test
  void withoutSwapRoomASwapPodIsRefusedSayingHowMuchIsLeft() {
    NodeState noSwap = swapNode(1, 0).withMemory("big", 0, 61440).state();
    NodeState littleSwap = swapNode(1, 8192).withMemory("big", 0, 61440).state();
    GpuRequest forty = GpuRequest.memory(40960, 1).withSwap(true);

    assertEquals("needs 40960 MiB of one GPU, on GPU memory swap if need be; largest free is 20480 MiB on GPU 0",
        placement.check(noSwap, forty).reason(), "a node without swap: the usual reason");
    assertEquals("needs 40960 MiB of one GPU, on GPU memory swap if need be; no GPU has room for it, even with the"
        + " 8192 MiB of GPU memory swap the node has left", placement.check(littleSwap, forty).reason());
  }

  @Test
  void aPodThatFitsWithoutSwapIsNotPutOnIt() {
    NodeState node = swapNode(2, 65536).withMemory("big", 0, 61440).state();

    GpuAssignment picked = placement.pick(node, GpuRequest.memory(40960, 1).withSwap(true));

    assertEquals(1, picked.shares().get(0).index(), "GPU 1 has the room itself");
    assertFalse(picked.onSwap());
    assertTrue(placement.score(node, GpuRequest.memory(40960, 1).withSwap(true)) > 0);
  }

  @Test
  void theNodesSwapIsSharedByItsGpus() {
    // Both GPUs 20 GiB short of a 40 GiB pod each; 30 GiB of swap covers one of them, not both.
    NodeState node = swapNode(2, 30720).withMemory("a", 0, 61440).withMemory("b", 1, 61440).state();
    GpuRequest twoForty = GpuRequest.memory(40960, 2).withSwap(true);

    assertFalse(placement.fits(node, twoForty));
    assertTrue(placement.fits(node, GpuRequest.memory(40960, 1).withSwap(true)));
    assertEquals("needs 40960 MiB on each of 2 GPUs, on GPU memory swap if need be; no GPU has room for it, even"
        + " with the 30720 MiB of GPU memory swap the node has left", placement.check(node, twoForty).reason());
  }

  @Test
  void swapStillNeedsComputeLeftAndAGpuLargeEnough() {
    NodeState node = paced(swapNode(1, 200000), "hog", 0, 61440, 95).state();
    NodeState full = paced(swapNode(1, 200000), "hog", 0, 61440, 100).state();

    assertEquals(5, placement.pick(node, GpuRequest.memory(40960, 1).withSwap(true)).shares().get(0).computeShare(),
        "the 5% left");
    assertNotNull(placement.check(node, GpuRequest.memory(40960, 1).withSwap(true).withComputeShare(10)),
        "an asked share must fit: 95 + 10 > 100");
    assertEquals("needs 40960 MiB of one GPU, on GPU memory swap if need be; GPU 0 has the memory but not the"
        + " compute: its paced pods are guaranteed 100% of it and this pod needs 1% (set tessera.dev/compute-share"
        + " lower, or \"none\" to run unpaced)", placement.check(full, GpuRequest.memory(40960, 1).withSwap(true))
        .reason());
    assertNotNull(placement.check(node, GpuRequest.memory(A100 + 1, 1).withSwap(true).withComputeShare(5)),
        "no more than the GPU can hold at once");
  }

  @Test
  void randomPlacementsNeverGuaranteeMoreComputeOrSwapThanThereIs() {
    java.util.Random random = new java.util.Random(7);
    for (int round = 0; round < 200; round++) {
      long swap = random.nextInt(3) * 40960L;
      Ledger ledger = swapNode(1 + random.nextInt(4), swap);
      for (int pod = 0; pod < 40; pod++) {
        GpuRequest request = random.nextBoolean()
            ? GpuRequest.fraction(0.05 + random.nextInt(60) / 100.0, 1 + random.nextInt(2))
            : GpuRequest.memory(1024 + random.nextInt(40000), 1 + random.nextInt(2));
        int share = random.nextInt(5);
        if (share == 0) {
          request = request.withComputeShare(ComputeShares.NOT_PACED);
        } else if (share == 1) {
          request = request.withComputeShare(1 + random.nextInt(100));
        }
        request = request.withSwap(random.nextBoolean());
        NodeState state = ledger.state();
        GpuAssignment picked = placement.pick(state, request);
        assertEquals(placement.fits(state, request), picked != null, request.toString());
        if (picked != null) {
          ledger.with(Ledger.allocation("p" + pod, picked));
        }
        NodeState after = ledger.state();
        long swapHeld = 0;
        for (int i = 0; i < after.gpuCount(); i++) {
          assertTrue(after.computeGuaranteed(i) <= 100, "round " + round + " GPU " + i + ": " + after.allocations());
          assertTrue(after.usedMiB(i) - after.swapHeldMiB(i) <= after.totalMiB(i), "round " + round + " GPU " + i);
          swapHeld += after.swapHeldMiB(i);
        }
        assertTrue(swapHeld <= swap, "round " + round + ": " + swapHeld + " MiB on " + swap + " MiB of swap");
        assertEquals(0, after.overcommittedGpus(), "round " + round);
      }
    }
  }

  @Test
  void fittingByComputeAndSwapAllocatesNothing() {
    NodeState node = paced(swapNode(8, 65536), "hog", 0, 61440, 95).withMemory("b", 1, 70000).state();
    List<GpuRequest> requests = List.of(
        GpuRequest.fraction(0.25, 1), GpuRequest.fraction(0.25, 2).withComputeShare(20),
        GpuRequest.memory(40960, 1).withSwap(true), GpuRequest.memory(40960, 3).withSwap(true).withComputeShare(4));
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    int fitting = 0;
    for (int warm = 0; warm < 20_000; warm++) {
      fitting += placement.fits(node, requests.get(warm & 3)) ? 1 : 0;
    }
    long before = threads.getThreadAllocatedBytes(thread);
    for (int i = 0; i < 100_000; i++) {
      fitting += placement.fits(node, requests.get(i & 3)) ? 1 : 0;
    }
    long allocated = threads.getThreadAllocatedBytes(thread) - before;

    assertTrue(fitting > 0);
    assertTrue(allocated < 4096, "filter runs this for every node of every call: " + allocated + " bytes");
  }

  @Test
  void theLedgerRebuiltFromAssignmentsKeepsTheSwapItCounted() {
    Ledger ledger = swapNode(1, 32768).withMemory("big", 0, 61440);
    GpuAssignment onSwap = placement.pick(ledger.state(), GpuRequest.memory(40960, 1).withSwap(true));
    String annotation = dev.tessera.api.assignment.AssignmentCodec.encode(onSwap);
    GpuAssignment read =
        ((dev.tessera.api.assignment.AssignmentCodec.Decoded.Ok) dev.tessera.api.assignment.AssignmentCodec
            .decode(annotation)).assignment();

    NodeState rebuilt = ledger.with(Ledger.allocation("swapper", read)).state();

    assertEquals(32768 - 20480, rebuilt.swapRoomMiB());
    assertTrue(annotation.contains("\"swapMiB\":20480"), annotation);
  }
}
