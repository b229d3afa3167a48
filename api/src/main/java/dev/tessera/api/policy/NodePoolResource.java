package dev.tessera.api.policy;

import dev.tessera.api.conditions.ConditionsStatus;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * {@code nodepools.tessera.dev}, cluster-scoped: the nodes a label selector picks, with their own
 * placement strategies. Nodes no pool selects are in the pool {@value
 * dev.tessera.api.WellKnown#DEFAULT_POOL}.
 */
@Group("tessera.dev")
@Version("v1alpha1")
@Kind("NodePool")
@Plural("nodepools")
@Singular("nodepool")
@Categories("tessera")
public class NodePoolResource extends PolicyResource<NodePoolSpec, ConditionsStatus> {
  public NodePoolResource() {}

  @Override
  protected ConditionsStatus emptyStatus() {
    return ConditionsStatus.EMPTY;
  }
}
