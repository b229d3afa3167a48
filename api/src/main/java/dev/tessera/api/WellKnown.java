package dev.tessera.api;

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
  /**
   * Dynamic fractions: the share ({@code gpu-fraction-limit}) or MiB ({@code gpu-memory-limit}) the
   * pod may grow to while the GPU has room. It is placed by its request alone.
   */
  public static final String GPU_FRACTION_LIMIT = "gpu-fraction-limit";
  public static final String GPU_MEMORY_LIMIT = "gpu-memory-limit";

  /**
   * Pod annotation: the pod's guaranteed share of each of its GPUs' compute, in percent ({@code
   * "30"}), or {@code "none"} to run unpaced. Without it a fractional pod's share is its fraction
   * (of memory, for {@code gpu-memory}). The native library holds the pod to that share while its
   * neighbours want the GPU; whole GPUs are never paced.
   */
  public static final String COMPUTE_SHARE = "tessera.dev/compute-share";
  /** The {@link #COMPUTE_SHARE} value that opts a fractional pod out of pacing. */
  public static final String COMPUTE_SHARE_NONE = "none";

  /**
   * Pod annotation {@code "true"}: a fractional pod may be placed on a node's GPU memory swap, the
   * host memory the node lends to GPUs, when the GPU alone has too little memory left. Its
   * assignment then says how much of it was placed there ({@code swapMiB}).
   */
  public static final String GPU_SWAP = "tessera.dev/gpu-swap";

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

  /**
   * Most GPUs one node may have: no server holds more, so a larger count is a bad label, report or
   * annotation, not a node. GPU indices are 0..63, which lets a node's GPUs fit one {@code long}.
   */
  public static final int MAX_GPUS_PER_NODE = 64;

  /** Component name on the events the extender records. */
  public static final String EVENT_SOURCE = "tessera-extender";

  // Reasons of the pod events the node agent records (type Warning); the extender copies them onto
  // the pod's workload under the same reason.

  /** A process of the pod was refused GPU memory at its limit: the "OOM on GPU" of a workload. */
  public static final String GPU_OUT_OF_MEMORY_REASON = "GpuOutOfMemory";
  /** A process of the pod that had borrowed GPU memory above its request was killed for another's request. */
  public static final String GPU_MEMORY_LOAN_RECLAIMED_REASON = "GpuMemoryLoanReclaimed";
  /** kube-scheduler evicted the pod for a higher-priority one ({@code /preempt} chose the node). */
  public static final String PREEMPTED_REASON = "Preempted";

  // Scheduling policy (projects, pools, gangs).

  /** API group of Tessera's custom resources. */
  public static final String API_GROUP = "tessera.dev";
  public static final String API_VERSION = "v1alpha1";

  /** The pool of nodes no NodePool selects. */
  public static final String DEFAULT_POOL = "default";

  /** Pod annotation: node pools the pod may use, in order of preference ("h100,a100"). */
  public static final String NODE_POOLS = "tessera.dev/node-pools";

  /** Pod label: the gang the pod belongs to (sig-scheduling coscheduling convention). */
  public static final String POD_GROUP_LABEL = "scheduling.x-k8s.io/pod-group";
  /** Pod annotation KAI-Scheduler uses for the same. */
  public static final String KAI_POD_GROUP_ANNOTATION = "pod-group-name";

  /**
   * Pod annotation written with the binding: "true" when the pod took its project above its fair
   * share, on idle GPUs that reclaim may take back.
   */
  public static final String OVER_QUOTA = "tessera.dev/over-quota";
  /** Pod annotation the user sets to "false" to make a pod non-preemptible, "true" to force it. */
  public static final String PREEMPTIBLE_ANNOTATION = "tessera.dev/preemptible";
  /**
   * Pod annotation "true" on a gang member the gang can do without while it keeps {@code
   * minMember}: an elastic training's workers. Such a member is placed after the gang's minimum
   * (into GPUs left idle) and preempted alone, before anything takes the whole gang.
   */
  public static final String ELASTIC_ANNOTATION = "tessera.dev/elastic";
  /** Pod label naming the workload kind; "workspace" pods are interactive, non-preemptible by default. */
  public static final String WORKLOAD_KIND_LABEL = "tessera.dev/workload-kind";
  /**
   * Label the workload controller puts on everything a workload owns, with the workload's name; the
   * CLI finds a workload's pods by it and {@link #WORKLOAD_KIND_LABEL}.
   */
  public static final String WORKLOAD_LABEL = "tessera.dev/workload";
  /**
   * Workload annotation with the user who created it, as the API server authenticated them: set by
   * the admission webhook from the request's user info at creation (overwriting whatever the
   * object said), and refused if an update changes it.
   */
  public static final String CREATED_BY_ANNOTATION = "tessera.dev/created-by";

  /**
   * Opt-out, on a namespace or a pod: {@code tessera.dev/scheduling: disabled} keeps the pod
   * admission webhook from moving a project namespace's pods to {@value #SCHEDULER_NAME} and
   * grouping them into a workload.
   */
  public static final String SCHEDULING_LABEL = "tessera.dev/scheduling";
  /** The {@link #SCHEDULING_LABEL} value that opts out. */
  public static final String SCHEDULING_DISABLED = "disabled";
  /**
   * On a pod the admission webhook grouped: the top owner it belongs to, as {@code
   * apiVersion/kind/name/uid} ({@code batch/v1/Job/train/5f0c...}, {@code
   * kubeflow.org/v1/PyTorchJob/bert/...}); the ExternalWorkload of that owner tracks it.
   */
  public static final String TOP_OWNER_ANNOTATION = "tessera.dev/top-owner";

}
