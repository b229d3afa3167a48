package dev.tessera.extender.telemetry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.telemetry.MemoryAgreement.Disagreement;
import dev.tessera.extender.testing.Ledger;
import dev.tessera.extender.testing.Nodes;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The agent's memory figures against the ledger's, as pure computation over values. */
class MemoryAgreementTest {
  private static final long MIB = 1024L * 1024;

  /** Pod {@code name}'s container on the GPU: used, limit and request in MiB. */
  private static ContainerMemory container(String name, int gpu, long usedMiB, long limitMiB, long requestMiB) {
    return new ContainerMemory("default", name, "uid-" + name, "main", gpu, usedMiB * MIB, limitMiB * MIB, requestMiB * MIB);
  }

  /**
   * Node n, 3 GPUs of 81920 MiB: "bursty" holds 40960 MiB of GPU 0 and may borrow up to 73728,
   * "steady" holds 20480 MiB of GPU 0, "pair" holds 8000 MiB of GPUs 0 and 1, "whole" holds GPU 2.
   */
  private static NodeState ledger() {
    return Nodes.node("n").gpus(3).ledger()
        .with(Ledger.allocation("bursty", new GpuAssignment("n", false, List.of(new GpuShare(0, null, 40960, 73728, 0.5)))))
        .withFraction("steady", 0, 0.25)
        .with(Ledger.allocation("pair", new GpuAssignment(
            "n", false, List.of(new GpuShare(0, null, 8000, 0.1), new GpuShare(1, null, 8000, 0.1)))))
        .withWhole("whole", 2)
        .state();
  }

  @Test
  void borrowedIsWhatEachContainerUsesAboveItsRequestSummedPerGpu() {
    List<ContainerMemory> containers = List.of(
        container("bursty", 0, 70000, 73728, 40960), // 29040 MiB on loan
        container("steady", 0, 10000, 20480, 20480), // below its request: lends nothing, borrows nothing
        container("pair", 0, 8000, 12000, 8000), // exactly its request
        container("pair", 1, 9000, 12000, 8000), // 1000 MiB on loan
        container("older-agent", 1, 5000, 4000, 0), // no request sent: its limit is its request
        container("unlimited", 2, 80000, 0, 0)); // a whole GPU: nothing to borrow from

    long[] borrowed = MemoryAgreement.borrowedBytes(3, containers);

    assertArrayEquals(new long[] {29040 * MIB, 2000 * MIB, 0}, borrowed);
    assertArrayEquals(new long[] {0, 0}, MemoryAgreement.borrowedBytes(2, List.of()), "no containers, no loans");
    assertArrayEquals(
        new long[] {0}, MemoryAgreement.borrowedBytes(1, List.of(container("x", 4, 100, 10, 10))),
        "a GPU beyond the count is not counted on another");
  }

  @Test
  void reportsThatMatchTheLedgerAllocateNothingAndFindNothing() {
    List<ContainerMemory> agreeing = List.of(
        container("bursty", 0, 70000, 73728, 40960),
        container("steady", 0, 100, 20480, 20480),
        container("pair", 0, 1, 8000, 8000),
        container("pair", 1, 1, 8000, 0), // an older agent: no request, its limit is the request
        container("whole", 2, 80000, 0, 0), // whole GPUs are not judged
        container("gone", 0, 100, 4000, 4000)); // deleted from the ledger, container still winding down

    assertSame(List.of(), MemoryAgreement.disagreements(ledger(), agreeing));
    assertSame(List.of(), MemoryAgreement.disagreements(null, agreeing), "a node the cache does not know");
  }

  @Test
  void aRequestThatIsNotTheLedgersShareIsADisagreement() {
    ContainerMemory limitAsRequest = container("bursty", 0, 70000, 73728, 73728); // the agent took the limit for the request
    ContainerMemory wrongGpu = container("steady", 1, 100, 20480, 20480); // the ledger gave it GPU 0
    ContainerMemory unlimited = container("pair", 0, 100, 0, 0); // the agent enforces nothing on a shared GPU

    List<Disagreement> found =
        MemoryAgreement.disagreements(ledger(), List.of(limitAsRequest, wrongGpu, unlimited, container("pair", 1, 1, 8000, 8000)));

    assertEquals(
        List.of(
            new Disagreement(limitAsRequest, 40960 * MIB),
            new Disagreement(wrongGpu, -1),
            new Disagreement(unlimited, 8000 * MIB)),
        found);
  }

  @Test
  void theWarningNamesBothFiguresAndWhatToCheck() {
    String warning = MemoryAgreement.warning(
        "gpu-1", new Disagreement(container("bursty", 0, 70000, 73728, 73728), 40960 * MIB));
    assertEquals(
        "pod default/bursty on node gpu-1, GPU 0: its agent reports a request of 77309411328 bytes (73728 MiB)"
            + " for container main, but the ledger placed the pod by 42949672960 bytes (40960 MiB); placement"
            + " keeps the ledger's figure. Check that the agent on gpu-1 is up to date and reads memoryBytes and"
            + " limitBytes from the pod's tessera.dev/gpu-assignment annotation, and that its device plugin gave"
            + " this container this pod's GPUs",
        warning);
    String noShare = MemoryAgreement.warning("gpu-1", new Disagreement(container("steady", 1, 1, 20480, 20480), -1));
    assertTrue(noShare.contains("the ledger placed the pod by no share of this GPU;"), noShare);
  }
}
