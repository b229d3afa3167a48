package dev.tessera.agent.deviceplugin;

import java.util.List;
import java.util.Objects;

/**
 * The extender's decision for one pod, as read from its {@value PodAnnotations#GPU_ASSIGNMENT}
 * annotation by {@link AssignmentReader}: which GPUs of which node the pod holds.
 *
 * @param node the node the pod was bound to
 * @param exclusive true when the pod holds whole GPUs; false when it shares them, so the native
 *     library must enforce its memory limit
 * @param gpus in the annotation's order, at least one
 */
public record GpuAssignment(String node, boolean exclusive, List<AssignedGpu> gpus) {
  public GpuAssignment {
    Objects.requireNonNull(node, "node");
    gpus = List.copyOf(gpus);
    if (gpus.isEmpty()) {
      throw new IllegalArgumentException("an assignment holds at least one GPU");
    }
  }

  /**
   * One GPU of an assignment.
   *
   * @param index the GPU's NVML index on the node
   * @param uuid the GPU's NVML UUID, or null when the extender did not know it (the agent then maps
   *     {@code index} through its inventory)
   * @param memoryBytes the memory the pod was placed by on this GPU (its guaranteed share); 0 when
   *     the extender did not know it
   * @param limitBytes the memory it may use while the GPU has room: above {@code memoryBytes} only
   *     for a dynamic fraction, whose excess is on loan
   * @param fraction the pod's share of the GPU's compute, in (0, 1]
   */
  public record AssignedGpu(int index, String uuid, long memoryBytes, long limitBytes, double fraction) {
    public AssignedGpu {
      if (index < 0) {
        throw new IllegalArgumentException("GPU index must be >= 0, was " + index);
      }
      if (memoryBytes < 0) {
        throw new IllegalArgumentException("memory must be >= 0 bytes, was " + memoryBytes);
      }
      if (limitBytes < memoryBytes) {
        throw new IllegalArgumentException("limit " + limitBytes + " is below the memory " + memoryBytes);
      }
      if (!(fraction > 0 && fraction <= 1)) {
        throw new IllegalArgumentException("fraction must be in (0, 1], was " + fraction);
      }
    }
  }
}
