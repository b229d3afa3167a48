package dev.tessera.extender.telemetry;

import dev.tessera.api.WellKnown;
import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.scheduling.Allocation;
import dev.tessera.extender.scheduling.NodeState;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The agent's memory figures against the ledger's, for one node's report. The ledger is the
 * authority (it placed the pods and wrote their assignments); a report that disagrees means the
 * agent enforces something else than what placement counted on. Pure functions over values.
 */
final class MemoryAgreement {
  static final long MIB = 1024L * 1024;

  private MemoryAgreement() {}

  /**
   * A container whose guaranteed memory on a GPU is not what the ledger holds for its pod there.
   *
   * @param ledgerBytes the pod's share of that GPU on the ledger, in bytes; -1 when the ledger
   *     gives the pod no share of it
   */
  record Disagreement(ContainerMemory container, long ledgerBytes) {
    Disagreement {
      Objects.requireNonNull(container, "container");
    }
  }

  /** What to log about a disagreement: both figures, and what to check. */
  static String warning(String node, Disagreement disagreement) {
    ContainerMemory container = disagreement.container();
    long ledger = disagreement.ledgerBytes();
    return "pod " + container.namespace() + "/" + container.pod() + " on node " + node + ", GPU "
        + container.gpu() + ": its agent reports a request of " + bytes(container.guaranteedBytes())
        + " for container " + container.container() + ", but the ledger placed the pod by "
        + (ledger < 0 ? "no share of this GPU" : bytes(ledger))
        + "; placement keeps the ledger's figure. Check that the agent on " + node
        + " is up to date and reads memoryBytes and limitBytes from the pod's "
        + WellKnown.GPU_ASSIGNMENT + " annotation, and that its device plugin gave this container"
        + " this pod's GPUs";
  }

  private static String bytes(long bytes) {
    return bytes + " bytes (" + (bytes % MIB == 0 ? "" : "about ") + bytes / MIB + " MiB)";
  }

  /** Per GPU index, 0 to {@code gpus - 1}: what containers use above their guarantees, in bytes. */
  static long[] borrowedBytes(int gpus, List<ContainerMemory> containers) {
    long[] borrowed = new long[gpus];
    for (ContainerMemory container : containers) {
      if (container.gpu() < gpus) {
        borrowed[container.gpu()] += container.borrowedBytes();
      }
    }
    return borrowed;
  }

  /**
   * The containers whose guaranteed memory differs from their pod's share on the ledger. Pods the
   * ledger does not hold (deleted, or not yet seen) and pods holding whole GPUs (no limit to
   * compare) are not judged. Allocates nothing when all agree, as they should.
   *
   * @param ledger the node as the ledger has it; null when the cache does not know the node
   */
  static List<Disagreement> disagreements(NodeState ledger, List<ContainerMemory> containers) {
    if (ledger == null) {
      return List.of();
    }
    List<Disagreement> found = null;
    for (ContainerMemory container : containers) {
      Allocation allocation = ledger.allocations().get(container.podUid());
      if (allocation == null || allocation.assignment().exclusive()) {
        continue;
      }
      long ledgerBytes = -1;
      for (GpuShare share : allocation.assignment().shares()) {
        if (share.index() == container.gpu()) {
          ledgerBytes = share.memoryMiB() * MIB;
        }
      }
      if (ledgerBytes != container.guaranteedBytes()) {
        if (found == null) {
          found = new ArrayList<>();
        }
        found.add(new Disagreement(container, ledgerBytes));
      }
    }
    return found == null ? List.of() : found;
  }
}
