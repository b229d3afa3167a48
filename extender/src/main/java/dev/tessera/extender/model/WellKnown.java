package dev.tessera.extender.model;

/**
 * Names shared with users, manifests and the node agent. Changing one is a breaking change: the
 * deploy manifests and the agent read the same strings (a test checks the manifests).
 */
public final class WellKnown {
  private WellKnown() {}

  /** The second scheduler profile that pods opt into with {@code schedulerName}. */
  public static final String SCHEDULER_NAME = "tessera-scheduler";

  public static final String NAMESPACE = "tessera-system";
  public static final String EXTENDER_SERVICE = "tessera-extender";
  public static final int EXTENDER_PORT = 8888;

  /** Whole GPUs: the extended resource NVIDIA's and our device plugin advertise. */
  public static final String GPU_RESOURCE = "nvidia.com/gpu";
  /**
   * What a fractional pod's GPU container requests (one) so that kubelet calls the node agent's
   * device plugin for it; the annotations say how much of a GPU.
   */
  public static final String GPU_SHARE_RESOURCE = "tessera.dev/gpu-share";

  // Fractional requests: the annotations Run:ai and KAI-Scheduler users already write.
  public static final String GPU_FRACTION = "gpu-fraction";
  public static final String GPU_MEMORY = "gpu-memory";
  public static final String GPU_FRACTION_NUM_DEVICES = "gpu-fraction-num-devices";

  /** Written by the extender at bind: which GPUs of the node the pod holds, and how much. */
  public static final String GPU_ASSIGNMENT = "tessera.dev/gpu-assignment";

  /** Node label that overrides the extender's placement strategy: binpack or spread. */
  public static final String PLACEMENT_STRATEGY_LABEL = "tessera.dev/placement-strategy";

  // Labels set by NVIDIA GPU feature discovery.
  public static final String GFD_PRODUCT = "nvidia.com/gpu.product";
  public static final String GFD_MEMORY_MIB = "nvidia.com/gpu.memory";
  public static final String GFD_COUNT = "nvidia.com/gpu.count";

  /**
   * Largest GPU memory, in MiB, any input may state (16 TiB, far above any GPU): a larger value is
   * corruption or a typo, and refusing it keeps every MiB figure within 24 bits.
   */
  public static final long MAX_GPU_MEMORY_MIB = 16L * 1024 * 1024;

  /** Component name on the events the extender records. */
  public static final String EVENT_SOURCE = "tessera-extender";
}
