package dev.tessera.api.workloads;

import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * {@code trainings.tessera.dev}, namespaced: one pod that runs to completion, restarted after
 * preemption. The spec is {@link WorkloadSpec} itself.
 */
@Group("tessera.dev")
@Version("v1alpha1")
@Kind("Training")
@Plural("trainings")
@Singular("training")
@ShortNames("trn")
@Categories({"tessera", "workloads"})
public class TrainingResource extends WorkloadResource<WorkloadSpec> {
  public TrainingResource() {}

  @Override
  public WorkloadKind workloadKind() {
    return WorkloadKind.TRAINING;
  }

  @Override
  public WorkloadSpec workload() {
    return getSpec();
  }
}
