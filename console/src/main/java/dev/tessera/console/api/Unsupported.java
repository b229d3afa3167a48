package dev.tessera.console.api;

import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.console.catalog.WorkloadActions;
import dev.tessera.console.http.ApiException;
import dev.tessera.console.table.WorkloadRow;
import java.util.Locale;

/**
 * The answer to an action a workload's kind does not support: today, anything but reading an
 * external workload, which another controller runs. 405 MethodNotAllowed, as the API server answers
 * a verb a resource does not serve: the refusal is the kind's, not the workload's state (409 would
 * promise that a retry after some change succeeds) nor the caller's role (403 would send them to
 * their administrator for a role that cannot help). Each message names the owner and says what to
 * do to it instead.
 */
final class Unsupported {
  static final int CODE = 405;
  static final String REASON = "MethodNotAllowed";

  private Unsupported() {}

  /** Refuses with 405 unless the row's kind supports the action. */
  static void require(WorkloadRow row, String action) {
    String why = why(row, action);
    if (why != null) {
      throw new ApiException(CODE, REASON, why);
    }
  }

  /**
   * Why Tessera does not do {@code action} to this workload and what to do instead; null when it
   * does.
   */
  static String why(WorkloadRow row, String action) {
    WorkloadKind kind = Plurals.ofType(row.type());
    if (WorkloadActions.supports(kind, action)) {
      return null;
    }
    String runBy = kind.kind() + " " + row.name() + " is run by " + (row.ownerKind() == null
        ? "its owner's controller" : row.ownerKind() + " " + row.ownerName() + "'s own controller") + ", not by"
        + " Tessera: ";
    String owner = row.ownerKind() == null ? "the object that owns its pods" : "the " + row.ownerKind();
    return runBy + switch (action) {
      case WorkloadActions.STOP -> "stop or delete " + owner + " itself" + kubectl(row, "delete", "");
      case WorkloadActions.RUN -> "it runs while " + owner + " does; create or resume " + owner + " to run it"
          + " again";
      case WorkloadActions.DELETE -> "delete " + owner + kubectl(row, "delete", "") + " and its " + kind.kind()
          + " goes with it; deleted alone, it would come back while " + owner + " runs";
      case WorkloadActions.COPY -> "Tessera keeps no spec of it to copy; copy " + owner + "'s manifest instead"
          + kubectl(row, "get", " -o yaml");
      default -> "Tessera does not " + action + " it";
    };
  }

  /** Submitting (or a dry run of) a kind Tessera only tracks. */
  static ApiException notSubmitted(WorkloadKind kind, String namespace) {
    return new ApiException(CODE, REASON, kind.kind() + "s are not submitted: Tessera makes one for each workload"
        + " another controller runs in a project's namespace (a Job, Deployment, PyTorchJob, RayCluster, ...)."
        + " Create that workload itself (kubectl -n " + namespace + " apply -f FILE) and its " + kind.kind()
        + " appears; or submit a workspace, training, distributed training or inference for Tessera to run");
  }

  /** The effective policy of a kind no WorkloadPolicy governs. */
  static ApiException noPolicy(WorkloadKind kind) {
    return new ApiException(CODE, REASON, "WorkloadPolicies do not govern " + kind.kind() + "s: their owners'"
        + " controllers make their pods, so no policy fills in defaults or checks limits for them. Tessera still"
        + " schedules them within their project's quota");
  }

  /** " (kubectl -n NS VERB KIND NAME...)" for the owner, or nothing when it is not known. */
  private static String kubectl(WorkloadRow row, String verb, String more) {
    if (row.ownerKind() == null || row.ownerName() == null) {
      return "";
    }
    return " (kubectl -n " + row.namespace() + " " + verb + " " + row.ownerKind().toLowerCase(Locale.ROOT) + " "
        + row.ownerName() + more + ")";
  }
}
