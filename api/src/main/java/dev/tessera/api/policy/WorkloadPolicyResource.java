package dev.tessera.api.policy;

import dev.tessera.api.conditions.ConditionsStatus;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * {@code workloadpolicies.tessera.dev}, cluster-scoped: the spec names the project it applies to
 * (or none, for a global policy), so a namespace would add nothing but a second place to look.
 * Its status carries the Accepted condition with the problems the extender found in it.
 */
@Group("tessera.dev")
@Version("v1alpha1")
@Kind("WorkloadPolicy")
@Plural("workloadpolicies")
@Singular("workloadpolicy")
@Categories("tessera")
public class WorkloadPolicyResource extends PolicyResource<WorkloadPolicySpec, ConditionsStatus> {
  public WorkloadPolicyResource() {}

  @Override
  protected ConditionsStatus emptyStatus() {
    return ConditionsStatus.EMPTY;
  }
}
