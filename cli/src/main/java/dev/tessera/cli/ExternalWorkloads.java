package dev.tessera.cli;

import dev.tessera.api.workloads.ExternalWorkloadResource;
import dev.tessera.api.workloads.ExternalWorkloadSpec;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadResource;
import java.util.Locale;

/**
 * External workloads, as the CLI says them: another controller's workload (a Job, a PyTorchJob, a
 * RayCluster, ...) that Tessera schedules and shows but does not run. Its owner's controller makes
 * its pods, so stopping, running, deleting or copying it here would be undone or mean nothing; the
 * commands that would refuse, name the owner and give the kubectl command to use instead, in the
 * words the Workloads API uses for the same refusal.
 */
final class ExternalWorkloads {
  private ExternalWorkloads() {}

  /** The object whose controller runs it; null when it is not external or its spec names none. */
  static ExternalWorkloadSpec.Owner owner(WorkloadResource<?> workload) {
    return workload instanceof ExternalWorkloadResource external && external.getSpec() != null
        ? external.getSpec().owner() : null;
  }

  /** "PyTorchJob bert", or "its owner" when the spec names none. */
  static String ownerText(WorkloadResource<?> workload) {
    ExternalWorkloadSpec.Owner owner = owner(workload);
    return owner == null ? "its owner" : owner.kind() + " " + owner.name();
  }

  /**
   * Refuses a command that would change an external workload (exit 1), saying what to do to its
   * owner.
   *
   * @param action "stop", "run", "delete" or "copy"
   */
  static CliException refuse(WorkloadResource<?> workload, String action) {
    ExternalWorkloadSpec.Owner owner = owner(workload);
    String name = workload.getMetadata().getName();
    String namespace = workload.getMetadata().getNamespace();
    String runBy = WorkloadKind.EXTERNAL.kind() + " " + name + " is run by "
        + (owner == null ? "its owner's controller" : owner.kind() + " " + owner.name() + "'s own controller")
        + ", not by Tessera: ";
    String it = owner == null ? "the object that owns its pods" : "the " + owner.kind();
    String advice = switch (action) {
      case "stop" -> "stop or delete " + it + " itself" + kubectl(owner, namespace, "delete", "");
      case "run" -> "it runs while " + it + " does; create or resume " + it + " to run it again";
      case "delete" -> "delete " + it + kubectl(owner, namespace, "delete", "") + " and its "
          + WorkloadKind.EXTERNAL.kind() + " goes with it; deleted alone, it would come back while " + it + " runs";
      case "copy" -> "Tessera keeps no spec of it to copy; copy " + it + "'s manifest instead"
          + kubectl(owner, namespace, "get", " -o yaml");
      default -> "Tessera does not " + action + " it";
    };
    return CliException.failed(runBy + advice);
  }

  /** Refuses to submit one (exit 2, decided before anything is sent): Tessera makes them. */
  static CliException notSubmitted() {
    return CliException.usage("external workloads are not submitted: Tessera makes one for each workload another"
        + " controller runs in a project's namespace (a Job, Deployment, PyTorchJob, RayCluster, ...). Create that"
        + " workload itself (kubectl apply -f FILE) and it appears in 'tessera list'; or submit a workspace,"
        + " training, distributed-training or inference for Tessera to run");
  }

  /** " (kubectl -n NS VERB KIND NAME...)", or nothing when the owner is not known. */
  private static String kubectl(ExternalWorkloadSpec.Owner owner, String namespace, String verb, String more) {
    return owner == null ? "" : " (kubectl -n " + namespace + " " + verb + " " + owner.kind().toLowerCase(Locale.ROOT)
        + " " + owner.name() + more + ")";
  }
}
