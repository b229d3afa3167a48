package dev.tessera.extender.workloads.lifecycle;

import java.util.Locale;

/** A workload's phase: the product's contract, as Run:ai names them. */
public enum Phase {
  CREATING,
  PENDING,
  INITIALIZING,
  RUNNING,
  DEGRADED,
  STOPPED,
  DELETING,
  FAILED,
  COMPLETED;

  /** Failed and Completed are final: nothing but deletion moves a workload out of them. */
  public boolean terminal() {
    return this == FAILED || this == COMPLETED;
  }

  /** As written in the status: "Initializing". */
  public String label() {
    String name = name().toLowerCase(Locale.ROOT);
    return Character.toUpperCase(name.charAt(0)) + name.substring(1);
  }

  /** Parses a status's phase; null for null. */
  public static Phase of(String label) {
    return label == null ? null : valueOf(label.toUpperCase(Locale.ROOT));
  }
}
