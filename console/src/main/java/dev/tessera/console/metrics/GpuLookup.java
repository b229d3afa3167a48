package dev.tessera.console.metrics;

import java.util.List;

/**
 * Which GPUs a pod holds on its node, by index: from the extender's ledger or the pod's {@code
 * tessera.dev/gpu-assignment} annotation. The node agents' series and reports are per GPU, and only
 * for a fractional pod alone on its GPU do they name the pod, so this is how a whole-GPU pod finds
 * its GPUs.
 */
@FunctionalInterface
public interface GpuLookup {
  /** Knows no pod's GPUs. */
  GpuLookup NONE = pod -> List.of();

  /**
   * The indices on {@link PodRef#node()} of the GPUs the pod holds or held; empty when it holds none
   * or its assignment is no longer known.
   */
  List<Integer> gpus(PodRef pod);
}
