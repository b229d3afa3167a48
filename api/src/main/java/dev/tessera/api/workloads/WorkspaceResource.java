package dev.tessera.api.workloads;

import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * {@code workspaces.tessera.dev}, namespaced: an interactive session (a notebook, an IDE): one pod
 * and a Service, running until stopped. The spec is {@link WorkloadSpec} itself.
 */
@Group("tessera.dev")
@Version("v1alpha1")
@Kind("Workspace")
@Plural("workspaces")
@Singular("workspace")
@ShortNames("ws")
@Categories({"tessera", "workloads"})
public class WorkspaceResource extends WorkloadResource<WorkloadSpec> {
  public WorkspaceResource() {}

  @Override
  public WorkloadKind workloadKind() {
    return WorkloadKind.WORKSPACE;
  }

  @Override
  public WorkloadSpec workload() {
    return getSpec();
  }
}
