package dev.tessera.api.policy;

import dev.tessera.api.conditions.ConditionsStatus;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * {@code departments.tessera.dev}, cluster-scoped: a cap on the GPUs a group of projects holds
 * together per node pool. Projects join by naming it in {@code spec.department}.
 */
@Group("tessera.dev")
@Version("v1alpha1")
@Kind("Department")
@Plural("departments")
@Singular("department")
@Categories("tessera")
public class DepartmentResource extends PolicyResource<DepartmentSpec, ConditionsStatus> {
  public DepartmentResource() {}

  @Override
  protected ConditionsStatus emptyStatus() {
    return ConditionsStatus.EMPTY;
  }
}
