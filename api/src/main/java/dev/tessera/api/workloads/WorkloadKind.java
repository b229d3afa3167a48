package dev.tessera.api.workloads;

/** The four workload kinds and what differs between them by default. */
public enum WorkloadKind {
  /** Interactive: one pod and a Service; runs until stopped; not preemptible by default. */
  WORKSPACE("Workspace", false),
  /** One pod that runs to completion; preemptible; restarts after preemption. */
  TRAINING("Training", true),
  /** Master and workers started as one gang. */
  DISTRIBUTED_TRAINING("DistributedTraining", true),
  /** A Deployment and a Service, between min and max replicas. */
  INFERENCE("Inference", true);

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

  public boolean preemptibleByDefault() {
    return preemptibleByDefault;
  }

  /** The value of the pods' {@code tessera.dev/workload-kind} label: "workspace", "training", ... */
  public String label() {
    return label; // computed once: the Workloads table compares it for every row of a list
  }
}
