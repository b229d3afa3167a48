package dev.tessera.api.workloads;

import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * {@code inferences.tessera.dev}, namespaced: a Deployment and a Service serving a model, between
 * min and max replicas.
 */
@Group("tessera.dev")
@Version("v1alpha1")
@Kind("Inference")
@Plural("inferences")
@Singular("inference")
@ShortNames("inf")
@Categories({"tessera", "workloads"})
public class InferenceResource extends WorkloadResource<InferenceSpec> {
  public InferenceResource() {}

  @Override
  public WorkloadKind workloadKind() {
    return WorkloadKind.INFERENCE;
  }

  @Override
  public WorkloadSpec workload() {
    return getSpec() == null ? null : getSpec().workload();
  }
}
