package dev.tessera.api.workloads;

/**
 * The workload kinds and what differs between them by default: the four Tessera creates pods for,
 * and {@link #EXTERNAL}, a workload of another controller (a Job, a Deployment, a PyTorchJob, a
 * RayCluster, ...) that Tessera schedules and shows but does not run.
 */
public enum WorkloadKind {
  /** Interactive: one pod and a Service; runs until stopped; not preemptible by default. */
  WORKSPACE("Workspace", false),
  /** One pod that runs to completion; preemptible; restarts after preemption. */
  TRAINING("Training", true),
  /** Master and workers started as one gang. */
  DISTRIBUTED_TRAINING("DistributedTraining", true),
  /** A Deployment and a Service, between min and max replicas. */
  INFERENCE("Inference", true),
  /**
   * Another controller's workload, grouped by its top owner: Tessera schedules, counts and shows
   * it, and its own controller runs, stops and deletes it.
   */
  EXTERNAL("ExternalWorkload", true);

  private final String kind;
  private final boolean preemptibleByDefault;
  private final String label;

  WorkloadKind(String kind, boolean preemptibleByDefault) {
    this.kind = kind;
    this.preemptibleByDefault = preemptibleByDefault;
    this.label = name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }

  /** The Kubernetes kind, e.g. "DistributedTraining". */
  public String kind() {
    return kind;
  }

  /**
   * Whether Tessera creates this kind's pods from its spec, and so can stop, run, copy and police
   * it; false for {@link #EXTERNAL}, whose owner's controller does.
   */
  public boolean managedByTessera() {
    return this != EXTERNAL;
  }

  public boolean preemptibleByDefault() {
    return preemptibleByDefault;
  }

  /** The value of the pods' {@code tessera.dev/workload-kind} label: "workspace", "training", ... */
  public String label() {
    return label; // computed once: the Workloads table compares it for every row of a list
  }
}
