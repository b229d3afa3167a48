package dev.tessera.demo;

import dev.tessera.api.WellKnown;
import dev.tessera.api.policy.NodePoolResource;
import dev.tessera.api.policy.NodePoolSpec;
import dev.tessera.api.policy.PodGroupResource;
import dev.tessera.api.policy.PodGroupSpec;
import dev.tessera.api.policy.ProjectResource;
import dev.tessera.api.policy.ProjectSpec;
import dev.tessera.api.policy.WorkloadPolicyResource;
import dev.tessera.api.policy.WorkloadPolicySpec;
import dev.tessera.api.workloads.WorkloadSpec;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The demo's simulated cluster: GPU nodes labelled as NVIDIA's GPU feature discovery labels them,
 * node pools by GPU model, two projects with quotas, a workload policy for one of them, and a mix
 * of sample pods that shows whole GPUs, a gang, fractions, memory requests, multi-GPU fractions
 * and the errors users meet.
 */
public final class DemoCluster {
  private DemoCluster() {}

  private static final String A100 = "NVIDIA-A100-SXM4-80GB";
  private static final String H100 = "NVIDIA-H100-80GB-HBM3";

  public static List<Node> nodes() {
    return List.of(
        gpuNode("gpu-a100-01", A100, 81920, 8),
        gpuNode("gpu-a100-02", A100, 81920, 8),
        gpuNode("gpu-h100-01", H100, 81559, 4),
        // Room for the workloads (DemoWorkloads), which ask for the h100 pool.
        gpuNode("gpu-h100-02", H100, 81559, 8),
        new NodeBuilder()
            .withNewMetadata().withName("cpu-01").endMetadata()
            .withNewStatus()
            .addToAllocatable("cpu", new Quantity("32"))
            .addToAllocatable("memory", new Quantity("128Gi"))
            .endStatus()
            .build());
  }

  /** Sample pods in the order the driver schedules them. */
  public static List<Pod> pods() {
    List<Pod> pods = new ArrayList<>();
    pods.add(pod("team-vision", "train-resnet", Map.of(), 8));
    pods.add(pod("team-nlp", "finetune-llama", Map.of(), 4));
    // A gang: both workers start together on A100s, or neither does.
    for (int i = 0; i < 2; i++) {
      Pod worker = pod("team-nlp", "ddp-worker-" + i, Map.of(WellKnown.NODE_POOLS, "a100"), 2);
      worker.getMetadata().setLabels(Map.of(WellKnown.POD_GROUP_LABEL, "ddp"));
      pods.add(worker);
    }
    pods.add(pod("team-vision", "notebook-alice", Map.of(WellKnown.GPU_FRACTION, "0.5"), 0));
    // A dynamic fraction: placed by 0.25, may use up to half the GPU while nobody needs it.
    pods.add(pod("team-vision", "notebook-bob",
        Map.of(WellKnown.GPU_FRACTION, "0.25", WellKnown.GPU_FRACTION_LIMIT, "0.5"), 0));
    pods.add(pod("team-nlp", "embeddings-api", Map.of(WellKnown.GPU_MEMORY, "20000"), 0));
    pods.add(
        pod(
            "team-nlp",
            "eval-sharded",
            Map.of(WellKnown.GPU_FRACTION, "0.5", WellKnown.GPU_FRACTION_NUM_DEVICES, "2"),
            0));
    pods.add(pod("team-vision", "notebook-carol", Map.of(WellKnown.GPU_FRACTION, "0.5"), 0));
    pods.add(pod("team-nlp", "pretrain-huge", Map.of(), 16));
    pods.add(pod("team-vision", "typo-fraction", Map.of(WellKnown.GPU_FRACTION, "1.5"), 0));
    pods.add(pod("team-vision", "data-prep", Map.of(), 0));
    return pods;
  }

  /**
   * team-vision's workload policy, for every kind: what a workload submitted there leaves out is
   * filled in (the PyTorch image, half a GPU, 2 CPUs, 16 GiB), and one asking for more than 2 GPUs
   * per pod or for an image from elsewhere than NVIDIA's registry (or the demo's model server) is
   * refused. The demo's own team-vision workloads keep to it.
   */
  public static WorkloadPolicyResource teamVisionPolicy() {
    WorkloadPolicyResource policy = new WorkloadPolicyResource();
    policy.setMetadata(new ObjectMetaBuilder().withName("team-vision").build());
    WorkloadSpec defaults = new WorkloadSpec(DemoWorkloads.PYTORCH, null, null, null,
        new WorkloadSpec.GpuSpec(null, 0.5, null, null, null, null), "2", null, "16Gi", null, null, null, null, null,
        null, null);
    WorkloadPolicySpec.Constraints constraints = new WorkloadPolicySpec.Constraints(
        2, null, null, null, List.of("nvcr.io/**", "vllm/vllm-openai:*"), null, null, null, null, null, null);
    policy.setSpec(new WorkloadPolicySpec(null, "team-vision", defaults, constraints));
    return policy;
  }

  /** Nodes, node pools by GPU model, two projects, team-vision's workload policy and the gang's PodGroup. */
  public static void create(KubernetesClient client) {
    for (Node node : nodes()) {
      client.nodes().resource(node).create();
    }
    client.resource(nodePool("a100", A100)).create();
    client.resource(nodePool("h100", H100)).create();
    client.resource(project("team-vision", 6, 2)).create();
    client.resource(project("team-nlp", 6, 2)).create();
    client.resource(teamVisionPolicy()).create();
    PodGroupResource ddp = new PodGroupResource();
    ddp.setMetadata(new ObjectMetaBuilder().withNamespace("team-nlp").withName("ddp").build());
    ddp.setSpec(new PodGroupSpec(2, null, null, 120));
    client.resource(ddp).create();
  }

  private static NodePoolResource nodePool(String name, String product) {
    NodePoolResource pool = new NodePoolResource();
    pool.setMetadata(new ObjectMetaBuilder().withName(name).build());
    pool.setSpec(new NodePoolSpec(Map.of(WellKnown.GFD_PRODUCT, product), "binpack", "spread"));
    return pool;
  }

  private static ProjectResource project(String name, double a100, double h100) {
    ProjectResource project = new ProjectResource();
    project.setMetadata(new ObjectMetaBuilder().withName(name).build());
    project.setSpec(new ProjectSpec(
        List.of(name),
        null,
        List.of(new ProjectSpec.Quota("a100", a100, 1.0, null), new ProjectSpec.Quota("h100", h100, 1.0, null)),
        null,
        true,
        null));
    return project;
  }

  private static Node gpuNode(String name, String product, long memoryMiB, int gpus) {
    return new NodeBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels(WellKnown.GFD_PRODUCT, product)
        .addToLabels(WellKnown.GFD_MEMORY_MIB, Long.toString(memoryMiB))
        .addToLabels(WellKnown.GFD_COUNT, Integer.toString(gpus))
        .endMetadata()
        .withNewStatus()
        .addToAllocatable(WellKnown.GPU_RESOURCE, new Quantity(Integer.toString(gpus)))
        .addToAllocatable("cpu", new Quantity("96"))
        .addToAllocatable("memory", new Quantity("1Ti"))
        .endStatus()
        .build();
  }

  private static Pod pod(String namespace, String name, Map<String, String> annotations, int wholeGpus) {
    PodBuilder pod =
        new PodBuilder()
            .withNewMetadata()
            .withNamespace(namespace)
            .withName(name)
            .withAnnotations(annotations)
            .endMetadata();
    var container =
        pod.withNewSpec()
            .withSchedulerName(WellKnown.SCHEDULER_NAME)
            .addNewContainer()
            .withName("main")
            .withImage("nvcr.io/nvidia/pytorch:24.05-py3");
    if (wholeGpus > 0) {
      container =
          container
              .withNewResources()
              .addToLimits(WellKnown.GPU_RESOURCE, new Quantity(Integer.toString(wholeGpus)))
              .endResources();
    } else if (annotations.containsKey(WellKnown.GPU_FRACTION) || annotations.containsKey(WellKnown.GPU_MEMORY)) {
      // As a fractional pod must, so that kubelet asks the node agent for its GPU.
      container =
          container
              .withNewResources()
              .addToLimits(WellKnown.GPU_SHARE_RESOURCE, new Quantity("1"))
              .endResources();
    }
    return container.endContainer().endSpec().withNewStatus().withPhase("Pending").endStatus().build();
  }
}
