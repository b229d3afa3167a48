package dev.tessera.controller.workloads.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.api.policy.WorkloadPolicyResource;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.api.workloads.WorkloadSpec.GpuSpec;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A WorkloadPolicy as an admin writes it, read the way the client reads it, then applied. */
class WorkloadPolicyResourceTest {
  private static final String YAML = """
      apiVersion: tessera.dev/v1alpha1
      kind: WorkloadPolicy
      metadata:
        name: team-a-training
      spec:
        workloadKind: Training
        project: team-a
        defaults:
          image: nvcr.io/nvidia/pytorch:24.01-py3
          gpu:
            count: 1
          nodePools: [a100]
        constraints:
          maxGpus: 4
          allowedImages: ["nvcr.io/nvidia/*"]
          maxRuntime: 8h
          maxMemory: 64Gi
      """;

  @Test
  void aPolicyReadFromYamlApplies() {
    WorkloadPolicyResource resource = new KubernetesSerialization().unmarshal(YAML, WorkloadPolicyResource.class);
    WorkloadPolicies policies = WorkloadPolicies.of(List.of(NamedPolicy.of(resource)));
    assertEquals(java.util.Map.of(), policies.problems());

    EffectivePolicy effective = policies.effective(WorkloadKind.TRAINING, "team-a");
    WorkloadSpec filled = effective.applyDefaults(
        new WorkloadSpec(null, null, null, null, new GpuSpec(8, null, null, null, null, null), null, null, "128Gi",
            null, null, null, null, null, null, null));

    assertEquals("nvcr.io/nvidia/pytorch:24.01-py3", filled.image());
    assertEquals(List.of("a100"), filled.nodePools());
    assertEquals(List.of(
            "gpu.count 8 exceeds the policy maximum of 4 GPUs per pod (policy team-a-training)",
            "memory 128Gi exceeds the policy maximum of 64Gi per pod (policy team-a-training)"),
        effective.violations(filled));
    assertEquals(Optional.of(Duration.ofHours(8)), effective.maxRuntime());
    assertEquals(List.of(), policies.effective(WorkloadKind.TRAINING, "team-b").policies());
  }
}
