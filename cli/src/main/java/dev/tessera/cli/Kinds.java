package dev.tessera.cli;

import dev.tessera.api.workloads.DistributedTrainingResource;
import dev.tessera.api.workloads.ExternalWorkloadResource;
import dev.tessera.api.workloads.InferenceResource;
import dev.tessera.api.workloads.TrainingResource;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.api.workloads.WorkspaceResource;
import java.util.Locale;
import picocli.CommandLine;

/**
 * The KIND argument: the names users type (workspace, ws, distributed-training, dtrn, ...) mapped
 * to {@link WorkloadKind} and the custom resource class that carries it, in one place. {@code
 * external} (xwl) names another controller's workload as Tessera tracks it: commands that only read
 * take it, and those that change a workload refuse it with what to do to its owner ({@link
 * ExternalWorkloads}).
 */
final class Kinds {
  static final String NAMES =
      "workspace (ws), training (trn), distributed-training (dtrn), inference (inf) or external (xwl)";
  /** The kinds a user submits: those Tessera runs. */
  static final String SUBMITTED_NAMES =
      "workspace (ws), training (trn), distributed-training (dtrn) or inference (inf)";

  private Kinds() {}

  /** The kind a user typed, or null when it names none. */
  static WorkloadKind parse(String typed) {
    String name = typed.toLowerCase(Locale.ROOT);
    switch (name) {
      case "workspace", "workspaces", "ws":
        return WorkloadKind.WORKSPACE;
      case "training", "trainings", "trn":
        return WorkloadKind.TRAINING;
      case "distributed-training", "distributedtraining", "distributedtrainings", "dtrn":
        return WorkloadKind.DISTRIBUTED_TRAINING;
      case "inference", "inferences", "inf":
        return WorkloadKind.INFERENCE;
      case "external", "externalworkload", "externalworkloads", "external-workload", "xwl":
        return WorkloadKind.EXTERNAL;
      default:
        return null;
    }
  }

  /** The kind whose Kubernetes kind ("DistributedTraining") this is, or null. */
  static WorkloadKind ofKubernetesKind(String kind) {
    for (WorkloadKind candidate : WorkloadKind.values()) {
      if (candidate.kind().equals(kind)) {
        return candidate;
      }
    }
    return null;
  }

  /** The resource's plural, as the Workloads API's paths name it: "trainings", "distributedtrainings". */
  static String plural(WorkloadKind kind) {
    return kind.kind().toLowerCase(Locale.ROOT) + "s";
  }

  static Class<? extends WorkloadResource<?>> type(WorkloadKind kind) {
    switch (kind) {
      case WORKSPACE:
        return WorkspaceResource.class;
      case TRAINING:
        return TrainingResource.class;
      case DISTRIBUTED_TRAINING:
        return DistributedTrainingResource.class;
      case INFERENCE:
        return InferenceResource.class;
      case EXTERNAL:
        return ExternalWorkloadResource.class;
      default:
        throw new IllegalArgumentException("no resource class for " + kind);
    }
  }

  /** Parses KIND for picocli, so a wrong one is a usage error (exit 2) naming the choices. */
  static final class Converter implements CommandLine.ITypeConverter<WorkloadKind> {
    @Override
    public WorkloadKind convert(String value) {
      WorkloadKind kind = parse(value);
      if (kind == null) {
        throw new CommandLine.TypeConversionException(
            "KIND must be " + NAMES + ", was '" + value + "'");
      }
      return kind;
    }
  }

  /**
   * Parses submit's KIND: only the kinds Tessera runs; an external workload's refusal says what to
   * create instead (exit 2, before anything is sent).
   */
  static final class SubmittedConverter implements CommandLine.ITypeConverter<WorkloadKind> {
    @Override
    public WorkloadKind convert(String value) {
      WorkloadKind kind = parse(value);
      if (kind == null) {
        throw new CommandLine.TypeConversionException(
            "KIND must be " + SUBMITTED_NAMES + ", was '" + value + "'");
      }
      if (!kind.managedByTessera()) {
        throw new CommandLine.TypeConversionException(ExternalWorkloads.notSubmitted().getMessage());
      }
      return kind;
    }
  }
}
