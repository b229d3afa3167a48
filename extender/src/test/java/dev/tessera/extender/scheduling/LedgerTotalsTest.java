package dev.tessera.extender.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.testing.Nodes;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Totals kept up to date node by node equal totals computed from scratch, whatever changed. */
class LedgerTotalsTest {
  private final Placement placement = new Placement(PlacementStrategy.BINPACK);

  @Test
  void incrementalTotalsMatchTotalsFromScratchThroughRandomChanges() {
    Random random = new Random(3);
    List<NodeState> nodes = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      nodes.add(Nodes.node("n" + i).gpus(4).pool(i % 3 == 0 ? "a100" : "default").empty());
    }
    ClusterSnapshot snapshot = ClusterSnapshot.of(nodes, 1);
    LedgerTotals incremental = new LedgerTotals();
    incremental.update(snapshot);
    long version = 1;
    for (int step = 0; step < 2000; step++) {
      String name = "n" + random.nextInt(24);
      NodeState node = snapshot.node(name);
      int change = random.nextInt(10);
      if (node == null) {
        snapshot = snapshot.with(Nodes.node(name).gpus(2).pool("h100").empty(), ++version);
      } else if (change == 0) {
        snapshot = snapshot.without(name, ++version);
      } else if (change < 6) {
        GpuRequest request = random.nextBoolean() ? GpuRequest.whole(1) : GpuRequest.fraction(0.25, 1);
        GpuAssignment assignment = placement.pick(node, request);
        if (assignment != null) {
          PodKey pod = new PodKey("ns-" + random.nextInt(4), "p" + step, "uid-" + step);
          snapshot = snapshot.with(node.with(new Allocation(pod, assignment, false)), ++version);
        }
      } else if (!node.allocations().isEmpty()) {
        String uid = new ArrayList<>(node.allocations().keySet()).get(random.nextInt(node.allocations().size()));
        snapshot = snapshot.with(node.without(uid), ++version);
      }
      incremental.update(snapshot);
      LedgerTotals fresh = new LedgerTotals();
      fresh.update(snapshot);
      for (String pool : List.of("default", "a100", "h100")) {
        assertEquals(fresh.capacity(pool), incremental.capacity(pool), "capacity of " + pool + " at step " + step);
        assertEquals(fresh.heldIn(pool), incremental.heldIn(pool), "held in " + pool + " at step " + step);
      }
    }
  }
}
