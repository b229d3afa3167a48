package dev.tessera.console.api;

import dev.tessera.api.workloads.DistributedTrainingResource;
import dev.tessera.api.workloads.ExternalWorkloadResource;
import dev.tessera.api.workloads.InferenceResource;
import dev.tessera.api.workloads.TrainingResource;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.api.workloads.WorkspaceResource;
import dev.tessera.console.http.ApiException;
import java.util.Locale;

/** The workload kinds by their resources' plural names, as the API's paths and RBAC name them. */
final class Plurals {
  private static final WorkloadKind[] KINDS = WorkloadKind.values();

  private Plurals() {}

  static String of(WorkloadKind kind) {
    return kind.kind().toLowerCase(Locale.ROOT) + "s";
  }

  /** The kind a path's plural names, or 404 saying which there are. */
  static WorkloadKind kind(String plural) {
    for (WorkloadKind kind : WorkloadKind.values()) {
      if (of(kind).equals(plural)) {
        return kind;
      }
    }
    throw ApiException.notFound("no workload kind \"" + plural + "\"; the kinds are workspaces, trainings,"
        + " distributedtrainings, inferences and externalworkloads");
  }

  /** The kind of a table row's {@code type}. */
  static WorkloadKind ofType(String type) {
    for (WorkloadKind kind : KINDS) {
      if (kind.label().equals(type)) {
        return kind;
      }
    }
    throw new IllegalStateException("a row's type is always a kind's label, not " + type);
  }

  static Class<? extends WorkloadResource<?>> resourceClass(WorkloadKind kind) {
    return switch (kind) {
      case WORKSPACE -> WorkspaceResource.class;
      case TRAINING -> TrainingResource.class;
      case DISTRIBUTED_TRAINING -> DistributedTrainingResource.class;
      case INFERENCE -> InferenceResource.class;
      case EXTERNAL -> ExternalWorkloadResource.class;
    };
  }
}
