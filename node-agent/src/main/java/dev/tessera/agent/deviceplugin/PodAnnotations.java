package dev.tessera.agent.deviceplugin;

import dev.tessera.api.WellKnown;
import dev.tessera.api.assignment.AssignmentCodec;

/** The pod annotations the device plugin reads and writes. */
public final class PodAnnotations {
  /** Written by the extender at bind: the pod's GPUs, as JSON (format on {@link AssignmentCodec}). */
  public static final String GPU_ASSIGNMENT = WellKnown.GPU_ASSIGNMENT;

  /**
   * Written by the device plugin when {@code Allocate} handed the pod's GPUs to a container: an
   * RFC 3339 time. A pod carrying it is never matched to another {@code Allocate}.
   */
  public static final String GPU_ALLOCATED = "tessera.dev/gpu-allocated";

  private PodAnnotations() {}
}
