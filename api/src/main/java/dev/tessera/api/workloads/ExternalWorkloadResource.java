package dev.tessera.api.workloads;

import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * {@code externalworkloads.tessera.dev}, namespaced: another controller's workload (a Job,
 * Deployment, PyTorchJob, RayCluster, ...) as Tessera schedules and shows it. The external-workload
 * controller creates one per top owner of a project namespace's pods, owned by that object so it
 * goes when the owner goes, and writes its status from the pods as for the other kinds. It has no
 * {@link WorkloadSpec}: the owner's own spec says what runs.
 */
@Group("tessera.dev")
@Version("v1alpha1")
@Kind("ExternalWorkload")
@Plural("externalworkloads")
@Singular("externalworkload")
@ShortNames("xwl")
@Categories({"tessera", "workloads"})
public class ExternalWorkloadResource extends WorkloadResource<ExternalWorkloadSpec> {
  public ExternalWorkloadResource() {}

  @Override
  public WorkloadKind workloadKind() {
    return WorkloadKind.EXTERNAL;
  }

  /** Null: an external workload's pods come from its owner's spec, not from Tessera's. */
  @Override
  public WorkloadSpec workload() {
    return null;
  }
}
