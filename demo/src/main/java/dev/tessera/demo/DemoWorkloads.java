package dev.tessera.demo;

import dev.tessera.api.WellKnown;
import dev.tessera.api.workloads.DistributedTrainingResource;
import dev.tessera.api.workloads.DistributedTrainingSpec;
import dev.tessera.api.workloads.InferenceResource;
import dev.tessera.api.workloads.InferenceSpec;
import dev.tessera.api.workloads.TrainingResource;
import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.api.workloads.WorkloadSpec.Connection;
import dev.tessera.api.workloads.WorkloadSpec.GpuSpec;
import dev.tessera.api.workloads.WorkspaceResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;

/**
 * The demo's workloads, one of each kind, as the demo users submit them: the workload controller
 * makes their pods and Services, and the extender places them on the h100 pool, where {@code
 * gpu-h100-02} has room for all of them.
 */
public final class DemoWorkloads {
  private DemoWorkloads() {}

  /** The image of every workload but the model server, and the image team-vision's policy fills in. */
  static final String PYTORCH = "nvcr.io/nvidia/pytorch:24.05-py3";
  /** The model server's image. */
  static final String VLLM = "vllm/vllm-openai:v0.6.3";
  private static final List<String> H100 = List.of("h100");

  /**
   * A workload and the demo user who submits it: the API server's admission webhook records that
   * user as its creator ({@link WellKnown#CREATED_BY_ANNOTATION}), as on a cluster.
   */
  public record Submission(String user, WorkloadResource<?> workload) {}

  /** In the order they are submitted. */
  public static List<Submission> submissions() {
    // team-vision: alice trains on two whole GPUs and works in a notebook on half of one.
    TrainingResource training = new TrainingResource();
    training.setMetadata(meta("team-vision", "vit-finetune"));
    training.setSpec(spec(new GpuSpec(2, null, null, null, null, null), List.of("python", "train.py"), null));

    WorkspaceResource workspace = new WorkspaceResource();
    workspace.setMetadata(meta("team-vision", "jupyter-alice"));
    workspace.setSpec(spec(new GpuSpec(null, 0.5, null, null, null, null), List.of("jupyter", "lab"),
        List.of(new Connection("jupyter", 8888, null))));

    // team-nlp: a PyTorch DDP gang (a master and 2 workers, a GPU each) and a model server on
    // 20,000 MiB of a GPU.
    DistributedTrainingResource distributed = new DistributedTrainingResource();
    distributed.setMetadata(meta("team-nlp", "bert-pretrain"));
    WorkloadSpec common = spec(new GpuSpec(1, null, null, null, null, null), List.of("torchrun", "pretrain.py"), null);
    distributed.setSpec(new DistributedTrainingSpec(common.image(), common.command(), common.args(), common.env(),
        common.gpu(), common.cpu(), common.cpuLimit(), common.memory(), common.memoryLimit(), common.nodePools(),
        common.priorityClassName(), common.preemptible(), common.dataSources(), common.connections(),
        common.stopped(), DistributedTrainingSpec.PYTORCH, 2, null, null, null));

    InferenceResource inference = new InferenceResource();
    inference.setMetadata(meta("team-nlp", "llama-serve"));
    WorkloadSpec server = spec(new GpuSpec(null, null, 20000L, null, null, null),
        List.of("vllm", "serve", "meta-llama/Llama-3.1-8B-Instruct"), List.of(new Connection("http", 8000, null)));
    inference.setSpec(new InferenceSpec(VLLM, server.command(), server.args(), server.env(),
        server.gpu(), server.cpu(), server.cpuLimit(), server.memory(), server.memoryLimit(), server.nodePools(),
        server.priorityClassName(), server.preemptible(), server.dataSources(), server.connections(),
        server.stopped(), 1, 1, null));
    return List.of(new Submission("alice", training), new Submission("alice", workspace),
        new Submission("admin", distributed), new Submission("admin", inference));
  }

  private static io.fabric8.kubernetes.api.model.ObjectMeta meta(String namespace, String name) {
    return new ObjectMetaBuilder().withNamespace(namespace).withName(name).build();
  }

  private static WorkloadSpec spec(GpuSpec gpu, List<String> command, List<Connection> connections) {
    return new WorkloadSpec(PYTORCH, command, null, null, gpu, "4", null, "32Gi", null, H100, null, null, null,
        connections, null);
  }
}
