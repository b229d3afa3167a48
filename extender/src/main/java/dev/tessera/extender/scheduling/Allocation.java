package dev.tessera.extender.scheduling;

import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.extender.model.PodKey;
import java.util.Objects;

/**
 * One pod's hold on GPUs of a node, as the ledger records it.
 *
 * @param assumed true while the extender has handed the GPUs out at bind but not yet seen the pod
 *     bound through the informer
 */
public record Allocation(PodKey pod, GpuAssignment assignment, boolean assumed) {
  public Allocation {
    Objects.requireNonNull(pod, "pod");
    Objects.requireNonNull(assignment, "assignment");
  }

  public String node() {
    return assignment.node();
  }
}
