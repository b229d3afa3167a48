package dev.tessera.api.workloads;

import java.util.Locale;

/**
 * Where a workload is in its life, as {@link WorkloadStatus#phase()} writes it. An enum so the
 * controller's state machine cannot invent a phase the CRD's enum (and dashboards) do not know.
 */
public enum WorkloadPhase {
  /** Accepted; its pods, services or deployment are being created. */
  CREATING,
  /** Created; waiting for the scheduler (quota, capacity, a gang not yet complete). */
  PENDING,
  /** Scheduled; containers pulling images or starting. */
  INITIALIZING,
  RUNNING,
  /** Running with fewer pods than asked for (an inference below min replicas, a lost worker). */
  DEGRADED,
  /** Stopped by its user ({@code spec.stopped}); the definition stays. */
  STOPPED,
  DELETING,
  FAILED,
  COMPLETED;

  /** The value in {@code status.phase}: "Running", "Completed", ... */
  public String label() {
    String name = name();
    return name.charAt(0) + name.substring(1).toLowerCase(Locale.ROOT);
  }

  /** Whether the workload has ended for good: nothing brings a failed or completed run back. */
  public boolean terminal() {
    return this == FAILED || this == COMPLETED;
  }

  /** The phase of a {@code status.phase} value, or null for null or a value no phase has. */
  public static WorkloadPhase of(String label) {
    if (label == null) {
      return null;
    }
    for (WorkloadPhase phase : values()) {
      if (phase.label().equals(label)) {
        return phase;
      }
    }
    return null;
  }
}
