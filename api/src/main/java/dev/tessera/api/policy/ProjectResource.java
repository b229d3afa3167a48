package dev.tessera.api.policy;

import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * {@code projects.tessera.dev}, cluster-scoped: a team's namespaces and GPU quota per node pool.
 * Cluster-scoped because a project spans namespaces and is an administrator's object, like
 * KAI-Scheduler's queues. The extender's policy validation turns it into the project its
 * scheduling core reads.
 */
@Group("tessera.dev")
@Version("v1alpha1")
@Kind("Project")
@Plural("projects")
@Singular("project")
@Categories("tessera")
public class ProjectResource extends PolicyResource<ProjectSpec, ProjectStatus> {
  public ProjectResource() {}

  @Override
  protected ProjectStatus emptyStatus() {
    return ProjectStatus.EMPTY;
  }
}
