package dev.tessera.console.catalog;

import dev.tessera.api.workloads.WorkloadKind;
import java.util.List;

/**
 * What Tessera can do to a workload, by kind. The four kinds it runs can be stopped, run again,
 * deleted and copied; an external workload can be none of these, since its owner's controller
 * (the Job controller, the Kubeflow training operator, KubeRay, ...) makes its pods and would undo
 * whatever Tessera did to them. Run:ai draws the same line for third-party workloads: scheduled,
 * counted and shown, never submitted, stopped or governed by policies through it.
 */
public final class WorkloadActions {
  public static final String STOP = "stop";
  public static final String RUN = "run";
  public static final String DELETE = "delete";
  public static final String COPY = "copy";

  private static final List<String> MANAGED = List.of(STOP, RUN, DELETE, COPY);

  private WorkloadActions() {}

  /** The actions a workload of this kind supports, in the order the action bar shows them. */
  public static List<String> of(WorkloadKind kind) {
    return kind.managedByTessera() ? MANAGED : List.of();
  }

  /** Whether a workload of this kind supports the action. */
  public static boolean supports(WorkloadKind kind, String action) {
    return of(kind).contains(action);
  }
}
