package dev.tessera.agent.deviceplugin;

/** The pod annotations the device plugin reads and writes. */
public final class PodAnnotations {
  /**
   * Written by the extender at bind: the pod's GPUs, as JSON (format on {@link AssignmentReader}).
   * The same name as the extender's {@code WellKnown.GPU_ASSIGNMENT}; the agent does not depend on
   * the extender module, so it is repeated here.
   */
  public static final String GPU_ASSIGNMENT = "tessera.dev/gpu-assignment";

  /**
   * Written by the device plugin when {@code Allocate} handed the pod's GPUs to a container: an
   * RFC 3339 time. A pod carrying it is never matched to another {@code Allocate}.
   */
  public static final String GPU_ALLOCATED = "tessera.dev/gpu-allocated";

  private PodAnnotations() {}
}
