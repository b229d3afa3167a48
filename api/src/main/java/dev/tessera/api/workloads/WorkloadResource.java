package dev.tessera.api.workloads;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;

/**
 * What the four workload kinds share: a namespaced resource (a workload lives in its project's
 * namespace) with the common {@link WorkloadSpec} fields and one {@link WorkloadStatus}, so the
 * workload controller can create pods, count GPUs and write phases for any of them alike.
 *
 * @param <S> the kind's spec: {@link WorkloadSpec} itself, or a record that adds to it
 */
public abstract class WorkloadResource<S> extends CustomResource<S, WorkloadStatus> implements Namespaced {
  /** Which of the four kinds this is. */
  public abstract WorkloadKind workloadKind();

  /** The spec's common fields, or null when the object has no spec. */
  public abstract WorkloadSpec workload();

  /** The object's status, or an empty one; never null. */
  public final WorkloadStatus statusOrEmpty() {
    WorkloadStatus status = getStatus();
    return status == null ? WorkloadStatus.EMPTY : status;
  }
}
