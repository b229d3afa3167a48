package dev.tessera.api.policy;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * {@code podgroups.tessera.dev}, namespaced: a gang whose pods start together or not at all. Pods
 * join with the label {@value dev.tessera.api.WellKnown#POD_GROUP_LABEL}; it lives in
 * their namespace, as sig-scheduling's coscheduling PodGroup does.
 */
@Group("tessera.dev")
@Version("v1alpha1")
@Kind("PodGroup")
@Plural("podgroups")
@Singular("podgroup")
@Categories("tessera")
public class PodGroupResource extends PolicyResource<PodGroupSpec, PodGroupStatus> implements Namespaced {
  public PodGroupResource() {}

  @Override
  protected PodGroupStatus emptyStatus() {
    return PodGroupStatus.EMPTY;
  }
}
