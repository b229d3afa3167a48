package dev.tessera.extender.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.conditions.Condition;
import dev.tessera.api.workloads.DistributedTrainingResource;
import dev.tessera.api.workloads.DistributedTrainingSpec;
import dev.tessera.api.workloads.InferenceResource;
import dev.tessera.api.workloads.InferenceSpec;
import dev.tessera.api.workloads.TrainingResource;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadPhase;
import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.api.workloads.WorkloadSpec.Connection;
import dev.tessera.api.workloads.WorkloadSpec.DataSource;
import dev.tessera.api.workloads.WorkloadSpec.GpuSpec;
import dev.tessera.api.workloads.WorkloadStatus;
import dev.tessera.api.workloads.WorkloadStatus.ConnectionStatus;
import dev.tessera.api.workloads.WorkloadStatus.PhaseChange;
import dev.tessera.api.workloads.WorkspaceResource;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The four workload kinds through fabric8's serialization: users write the spec flat, the classes
 * read it back field for field, and the mock API server (CRDs from deploy/) stores and returns them
 * with their status on the status subresource.
 */
class WorkloadResourcesTest {
  private static final KubernetesSerialization K8S = new KubernetesSerialization();

  private static final WorkloadSpec COMMON = new WorkloadSpec("nvcr.io/nvidia/pytorch:24.08-py3",
      List.of("python"), List.of("train.py", "--epochs", "3"), Map.of("NCCL_DEBUG", "INFO"),
      new GpuSpec(null, 0.5, null, null, 0.8, null), "2", "4", "8Gi", "16Gi", List.of("a100", "default"),
      "train", false, List.of(new DataSource("data", "imagenet", "/data", true)),
      List.of(new Connection("jupyter", 8888, "NodePort")), null);

  @Test
  void aFlatTrainingYamlReadsIntoTheSharedSpec() {
    String yaml = """
        apiVersion: tessera.dev/v1alpha1
        kind: Training
        metadata: {name: resnet, namespace: ml}
        spec:
          image: nvcr.io/nvidia/pytorch:24.08-py3
          gpu: {fraction: 0.5}
          cpu: "2"
          connections: [{port: 6006}]
        """;
    TrainingResource training = K8S.unmarshal(yaml, TrainingResource.class);
    WorkloadSpec spec = training.workload();
    assertEquals("nvcr.io/nvidia/pytorch:24.08-py3", spec.image());
    assertEquals(0.5, spec.gpu().fraction());
    assertNull(spec.gpu().count(), "left out stays null");
    assertEquals(List.of(new Connection(null, 6006, null)), spec.connections());
    assertEquals(WorkloadKind.TRAINING, training.workloadKind());
    assertEquals(WorkloadStatus.EMPTY, training.statusOrEmpty());
  }

  @Test
  void aFlatDistributedTrainingYamlReadsItsOwnFieldsAndTheCommonOnes() {
    String yaml = """
        apiVersion: tessera.dev/v1alpha1
        kind: DistributedTraining
        metadata: {name: llama, namespace: ml}
        spec:
          image: nvcr.io/nvidia/pytorch:24.08-py3
          gpu: {count: 8}
          framework: pytorch
          workers: 3
        """;
    DistributedTrainingResource dt = K8S.unmarshal(yaml, DistributedTrainingResource.class);
    assertEquals(3, dt.getSpec().workers());
    assertEquals(8, dt.workload().gpu().count());
    assertEquals(DistributedTrainingSpec.DEFAULT_PYTORCH_MASTER_PORT, dt.getSpec().masterPortOrDefault());
    String back = K8S.asJson(dt);
    assertFalse(back.contains("workload"), "the helper methods are not fields: " + back);
    assertFalse(back.contains("masterPort"), "null stays out: " + back);
  }

  @Test
  void everyFieldRoundTripsThroughJsonAndYaml() {
    for (WorkloadResource<?> resource : all()) {
      Class<?> type = resource.getClass();
      assertEquals(resource, K8S.unmarshal(K8S.asJson(resource), type), type.getSimpleName() + " JSON");
      assertEquals(resource, K8S.unmarshal(K8S.asYaml(resource), type), type.getSimpleName() + " YAML");
    }
  }

  @Test
  void theCommonPartOfEachSpecIsTheSharedSpec() {
    for (WorkloadResource<?> resource : all()) {
      assertEquals(COMMON, resource.workload(), resource.getKind());
      assertEquals(resource.getKind(), resource.workloadKind().kind());
    }
  }

  @Test
  void phasesEndOnlyWhenFailedOrCompleted() {
    for (WorkloadPhase phase : WorkloadPhase.values()) {
      assertEquals(phase == WorkloadPhase.FAILED || phase == WorkloadPhase.COMPLETED, phase.terminal(), phase.label());
      assertEquals(phase, WorkloadPhase.of(phase.label()));
    }
    assertEquals("Initializing", WorkloadPhase.INITIALIZING.label());
    assertNull(WorkloadPhase.of("running"));
  }

  @Test
  void theMockApiServerStoresEachKindAndItsStatus() {
    try (PolicyApi api = new PolicyApi()) {
      KubernetesClient client = api.client();
      for (WorkloadResource<?> resource : all()) {
        WorkloadStatus status = resource.getStatus();
        resource.setStatus(null);
        create(client, resource);
        WorkloadResource<?> stored = client.resources(resource.getClass()).inNamespace("ml")
            .withName(resource.getMetadata().getName()).get();
        assertEquals(resource.getSpec(), stored.getSpec(), resource.getKind() + " spec");
        assertNull(stored.getStatus(), resource.getKind() + ": create leaves the status alone");

        setStatus(stored, status);
        updateStatus(client, stored);
        WorkloadResource<?> again = client.resources(resource.getClass()).inNamespace("ml")
            .withName(resource.getMetadata().getName()).get();
        assertEquals(status, again.getStatus(), resource.getKind() + " status");
        assertEquals(resource.getSpec(), again.getSpec(), resource.getKind() + " spec after the status write");
      }
      assertEquals(all().size(), api.statusWrites());
      assertTrue(client.resources(InferenceResource.class).inNamespace("ml").list().getItems().size() == 1);
    }
  }

  @Test
  void theEmbeddedApiServerServesTheWorkloadKindsToo() {
    try (EmbeddedApiServer api = EmbeddedApiServer.start()) {
      for (WorkloadResource<?> resource : all()) {
        resource.setStatus(null);
        create(api.client(), resource);
      }
      assertEquals(1, api.client().resources(DistributedTrainingResource.class).inNamespace("ml").list()
          .getItems().size());
    }
  }

  // --- helpers ---

  private static List<WorkloadResource<?>> all() {
    WorkspaceResource ws = named(new WorkspaceResource(), "notebook");
    ws.setSpec(COMMON);
    TrainingResource trn = named(new TrainingResource(), "resnet");
    trn.setSpec(COMMON);
    DistributedTrainingResource dtrn = named(new DistributedTrainingResource(), "llama");
    dtrn.setSpec(new DistributedTrainingSpec(COMMON.image(), COMMON.command(), COMMON.args(), COMMON.env(),
        COMMON.gpu(), COMMON.cpu(), COMMON.cpuLimit(), COMMON.memory(), COMMON.memoryLimit(), COMMON.nodePools(),
        COMMON.priorityClassName(), COMMON.preemptible(), COMMON.dataSources(), COMMON.connections(),
        COMMON.stopped(), "pytorch", 3, 29501, null, null));
    InferenceResource inf = named(new InferenceResource(), "llm");
    inf.setSpec(new InferenceSpec(COMMON.image(), COMMON.command(), COMMON.args(), COMMON.env(), COMMON.gpu(),
        COMMON.cpu(), COMMON.cpuLimit(), COMMON.memory(), COMMON.memoryLimit(), COMMON.nodePools(),
        COMMON.priorityClassName(), COMMON.preemptible(), COMMON.dataSources(), COMMON.connections(),
        COMMON.stopped(), 1, 4, new InferenceSpec.Autoscaling(InferenceSpec.REQUESTS_PER_SECOND, 20, "10m", 8000, "/metrics",
            "vllm:request_success_total{finished_reason=\"stop\"}")));
    List<WorkloadResource<?>> all = List.of(ws, trn, dtrn, inf);
    all.forEach(r -> r.setStatus(status()));
    return all;
  }

  private static WorkloadStatus status() {
    return new WorkloadStatus("Running",
        List.of(new Condition("Ready", "True", "PodsRunning", "all pods run", 1L, "2025-01-02T03:04:05Z")),
        List.of(new PhaseChange("Pending", "2025-01-02T03:00:00Z", "Created", null),
            new PhaseChange("Running", "2025-01-02T03:04:05Z", "PodsRunning", "all pods run")),
        4, 4, 2.0, 2.0, "8", "32Gi", "8", "32Gi", List.of("node-a", "node-b"), "2025-01-02T03:00:00Z", null,
        List.of(new ConnectionStatus("jupyter", 8888, "10.0.0.7:31888")), "PodsRunning", 1L);
  }

  private static <R extends WorkloadResource<?>> R named(R resource, String name) {
    resource.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("ml").build());
    return resource;
  }

  @SuppressWarnings("unchecked")
  private static <R extends WorkloadResource<?>> void create(KubernetesClient client, R resource) {
    client.resources((Class<R>) resource.getClass()).inNamespace("ml").resource(resource).create();
  }

  @SuppressWarnings("unchecked")
  private static <R extends WorkloadResource<?>> void updateStatus(KubernetesClient client, R resource) {
    client.resources((Class<R>) resource.getClass()).inNamespace("ml").resource(resource).updateStatus();
  }

  private static void setStatus(WorkloadResource<?> resource, WorkloadStatus status) {
    resource.setStatus(status);
  }
}
