package dev.tessera.extender.scheduling;

import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.testing.Ledger;
import java.util.List;

/** Small allocation makers for snapshot tests, where the node's description does not matter. */
final class NodeStateTestSupport {
  private NodeStateTestSupport() {}

  static Allocation wholeOn(String node, int gpu) {
    return wholeOn(node, gpu, "holder");
  }

  static Allocation wholeOn(String node, int gpu, String pod) {
    return Ledger.allocation(
        pod, new GpuAssignment(node, true, List.of(new GpuShare(gpu, null, 81920, 1.0))));
  }
}
