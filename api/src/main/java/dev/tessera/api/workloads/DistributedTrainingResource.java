package dev.tessera.api.workloads;

import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * {@code distributedtrainings.tessera.dev}, namespaced: a master and workers started as one gang
 * (a {@link dev.tessera.api.policy.PodGroupResource}), wired for their framework.
 */
@Group("tessera.dev")
@Version("v1alpha1")
@Kind("DistributedTraining")
@Plural("distributedtrainings")
@Singular("distributedtraining")
@ShortNames("dtrn")
@Categories({"tessera", "workloads"})
public class DistributedTrainingResource extends WorkloadResource<DistributedTrainingSpec> {
  public DistributedTrainingResource() {}

  @Override
  public WorkloadKind workloadKind() {
    return WorkloadKind.DISTRIBUTED_TRAINING;
  }

  @Override
  public WorkloadSpec workload() {
    return getSpec() == null ? null : getSpec().workload();
  }
}
