package dev.tessera.console.catalog;

import dev.tessera.api.workloads.WorkloadKind;

/**
 * Names one workload: the pods' {@code tessera.dev/workload} and {@code tessera.dev/workload-kind}
 * labels and the API's paths name it this way, before its uid is known.
 *
 * @param namespace its namespace
 * @param kind its kind
 * @param name its name
 */
public record WorkloadKey(String namespace, WorkloadKind kind, String name) {

  /** The kind whose label ("training") or Kubernetes kind ("Training") this is, or null. */
  public static WorkloadKind kindOf(String text) {
    for (WorkloadKind kind : WorkloadKind.values()) {
      if (kind.label().equals(text) || kind.kind().equals(text)) {
        return kind;
      }
    }
    return null;
  }
}
