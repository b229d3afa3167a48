package dev.tessera.extender.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.scheduling.Allocation;
import dev.tessera.extender.scheduling.ClusterSnapshot;
import dev.tessera.extender.scheduling.NodeState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A comparable picture of a snapshot's ledger: per node, per GPU, memory used, held whole or not,
 * and tenants; plus which pod holds what. Two caches that agree on the cluster have equal ledgers.
 */
public record Ledger(Map<String, List<Gpu>> gpus, Map<String, Allocation> allocations) {

  public record Gpu(long usedMiB, boolean heldWhole, int tenants) {}

  public static Ledger of(ClusterSnapshot snapshot) {
    Map<String, List<Gpu>> gpus = new TreeMap<>();
    Map<String, Allocation> allocations = new TreeMap<>();
    snapshot.forEach(node -> {
      List<Gpu> line = new ArrayList<>();
      for (int i = 0; i < node.gpuCount(); i++) {
        line.add(new Gpu(node.usedMiB(i), node.heldWhole(i), node.sharedTenants(i)));
      }
      gpus.put(node.name(), line);
      allocations.putAll(node.allocations());
    });
    return new Ledger(gpus, allocations);
  }

  public long assumed() {
    return allocations.values().stream().filter(Allocation::assumed).count();
  }

  /**
   * Checks a snapshot against itself: no GPU held whole by two pods or whole and shared at once,
   * no GPU's shared memory above its size, and the node's cached figures equal to a recount of its
   * allocations.
   */
  public static void assertConsistent(ClusterSnapshot snapshot) {
    snapshot.forEach(Ledger::assertConsistent);
  }

  public static void assertConsistent(NodeState node) {
    int gpus = node.gpuCount();
    long[] shared = new long[gpus];
    int[] tenants = new int[gpus];
    int[] exclusive = new int[gpus];
    for (Allocation allocation : node.allocations().values()) {
      for (GpuShare share : allocation.assignment().shares()) {
        if (share.index() >= gpus) {
          continue;
        }
        if (allocation.assignment().exclusive()) {
          exclusive[share.index()]++;
        } else {
          shared[share.index()] += share.memoryMiB();
          tenants[share.index()]++;
        }
      }
    }
    int free = 0;
    for (int i = 0; i < gpus; i++) {
      String where = node.name() + " GPU " + i + " " + node.allocations().values();
      assertTrue(exclusive[i] <= 1, "GPU held whole by two pods: " + where);
      assertTrue(exclusive[i] == 0 || tenants[i] == 0, "GPU held whole and shared: " + where);
      assertTrue(shared[i] <= node.gpu(i).memoryMiB(), "GPU over-committed: " + shared[i] + " MiB on " + where);
      assertEquals(exclusive[i] == 1, node.heldWhole(i), where);
      assertEquals(tenants[i], node.sharedTenants(i), where);
      if (exclusive[i] == 0) {
        assertEquals(shared[i], node.usedMiB(i), where);
      }
      if (exclusive[i] == 0 && tenants[i] == 0) {
        free++;
      }
    }
    assertEquals(free, node.freeWholeGpus(), "freeWholeGpus of " + node.name());
  }
}
