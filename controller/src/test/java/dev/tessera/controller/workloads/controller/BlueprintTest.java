package dev.tessera.controller.workloads.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.api.WellKnown;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.extender.ledger.PodRequests;
import dev.tessera.extender.model.GpuRequest;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class BlueprintTest {
  private static WorkloadSpec spec(WorkloadSpec.GpuSpec gpu, List<String> pools, List<WorkloadSpec.Connection> connections) {
    return new WorkloadSpec("nvcr.io/nvidia/pytorch:24.05-py3", List.of("python"), List.of("train.py"), Map.of("EPOCHS", "3"),
        gpu, "4", null, "32Gi", null, pools, "train-low", null, null, connections, null);
  }

  private static Map<String, String> env(Pod pod) {
    return pod.getSpec().getContainers().get(0).getEnv().stream().collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
  }

  @Test
  void aPyTorchJobIsOneGangWhosePodsFindTheirMaster() {
    Blueprint.Workload job = new Blueprint.Workload(WorkloadKind.DISTRIBUTED_TRAINING, "ml", "bert", "uid-1",
        spec(new WorkloadSpec.GpuSpec(2, null, null, null, null, null), List.of("a100"), null),
        new Blueprint.Distributed("pytorch", 3, 29500));
    Blueprint.Desired desired = Blueprint.of(job, 300);

    assertEquals(4, desired.podGroup().getSpec().minMember(), "the gang is every replica");
    assertEquals(List.of("bert-master-0", "bert-worker-0", "bert-worker-1", "bert-worker-2"),
        desired.pods().stream().map(p -> p.getMetadata().getName()).toList());
    for (int rank = 0; rank < 4; rank++) {
      Pod pod = desired.pods().get(rank);
      Map<String, String> env = env(pod);
      assertEquals("bert-master-0.bert.ml.svc", env.get("MASTER_ADDR"));
      assertEquals("29500", env.get("MASTER_PORT"));
      assertEquals("4", env.get("WORLD_SIZE"));
      assertEquals(Integer.toString(rank), env.get("RANK"));
      assertEquals("3", env.get("EPOCHS"), "the user's environment is kept");
      assertEquals("bert", pod.getMetadata().getLabels().get(WellKnown.POD_GROUP_LABEL));
      assertEquals("bert", pod.getSpec().getSubdomain(), "resolvable through the headless service");
      assertEquals(WellKnown.SCHEDULER_NAME, pod.getSpec().getSchedulerName());
      assertEquals("a100", pod.getMetadata().getAnnotations().get(WellKnown.NODE_POOLS));
      assertEquals("true", pod.getMetadata().getAnnotations().get(WellKnown.PREEMPTIBLE_ANNOTATION));
      assertEquals(GpuRequest.whole(2), PodRequests.of(pod), "the extender reads the request it was given");
      assertEquals("uid-1", pod.getMetadata().getOwnerReferences().get(0).getUid());
    }
    assertEquals("None", desired.services().get(0).getSpec().getClusterIP());
  }

  @Test
  void anElasticPyTorchJobIsAGangOfItsMinimumWhoseWorkersMayLeave() {
    Blueprint.Workload job = new Blueprint.Workload(WorkloadKind.DISTRIBUTED_TRAINING, "ml", "el", "uid-7",
        spec(new WorkloadSpec.GpuSpec(1, null, null, null, null, null), null, null),
        new Blueprint.Distributed("pytorch", 4, 29500, 1));
    Blueprint.Desired desired = Blueprint.of(job, 300);

    assertEquals(2, desired.podGroup().getSpec().minMember(), "the master and the minimum worker");
    assertEquals(5, desired.pods().size(), "the master and the most workers");
    Pod master = desired.pods().get(0);
    assertEquals(null, master.getMetadata().getAnnotations().get(WellKnown.ELASTIC_ANNOTATION),
        "the master hosts the rendezvous: it never leaves alone");
    for (Pod pod : desired.pods()) {
      Map<String, String> env = env(pod);
      assertEquals("2:5", env.get("PET_NNODES"));
      assertEquals("c10d", env.get("PET_RDZV_BACKEND"));
      assertEquals("el-master-0.el.ml.svc:29500", env.get("PET_RDZV_ENDPOINT"));
      assertEquals("uid-7", env.get("PET_RDZV_ID"));
      assertEquals("12", env.get("PET_MAX_RESTARTS"), "three per worker the range allows");
      assertEquals(null, env.get("WORLD_SIZE"), "torchrun assigns sizes and ranks as workers come and go");
      assertEquals(null, env.get("RANK"));
      if (pod != master) {
        assertEquals("true", pod.getMetadata().getAnnotations().get(WellKnown.ELASTIC_ANNOTATION));
      }
    }

    WorkloadSpec own = spec(null, null, null);
    Map<String, String> restarts = new java.util.HashMap<>(own.env());
    restarts.put("PET_MAX_RESTARTS", "50");
    Blueprint.Workload mine = new Blueprint.Workload(WorkloadKind.DISTRIBUTED_TRAINING, "ml", "el", "uid-7",
        new WorkloadSpec(own.image(), null, null, restarts, null, null, null, null, null, null, null, null, null, null,
            null),
        new Blueprint.Distributed("pytorch", 2, 29500, 1));
    assertEquals("50", env(Blueprint.of(mine, 300).pods().get(1)).get("PET_MAX_RESTARTS"), "the user's value wins");
  }

  @Test
  void tensorFlowGetsTfConfigAndAnUnknownFrameworkIsRefused() {
    Blueprint.Workload tf = new Blueprint.Workload(WorkloadKind.DISTRIBUTED_TRAINING, "ml", "tf", "u",
        spec(null, null, null), new Blueprint.Distributed("tensorflow", 1, 2222));
    assertEquals("{\"cluster\":{\"worker\":[\"tf-master-0.tf.ml.svc:2222\",\"tf-worker-0.tf.ml.svc:2222\"]},"
        + "\"task\":{\"type\":\"worker\",\"index\":1}}", env(Blueprint.of(tf, 300).pods().get(1)).get("TF_CONFIG"));
    Blueprint.Workload jax = new Blueprint.Workload(WorkloadKind.DISTRIBUTED_TRAINING, "ml", "j", "u",
        spec(null, null, null), new Blueprint.Distributed("jax", 1, 1));
    assertEquals("unknown framework 'jax': use pytorch, tensorflow or mpi",
        assertThrows(IllegalArgumentException.class, () -> Blueprint.of(jax, 300)).getMessage());
  }

  @Test
  void aFractionalWorkspaceIsOnePodWithItsShareAndAServiceForItsConnections() {
    Blueprint.Workload ws = new Blueprint.Workload(WorkloadKind.WORKSPACE, "ml", "alice", "u",
        spec(new WorkloadSpec.GpuSpec(null, 0.5, null, null, null, null), null,
            List.of(new WorkloadSpec.Connection("jupyter", 8888, "NodePort"))), null);
    Blueprint.Desired desired = Blueprint.of(ws, 300);
    Pod pod = desired.pods().get(0);
    assertEquals(1, desired.pods().size());
    assertEquals(GpuRequest.fraction(0.5, 1), PodRequests.of(pod));
    assertEquals("1", pod.getSpec().getContainers().get(0).getResources().getLimits().get(WellKnown.GPU_SHARE_RESOURCE).getAmount());
    assertEquals("false", pod.getMetadata().getAnnotations().get(WellKnown.PREEMPTIBLE_ANNOTATION), "workspaces are interactive");
    assertEquals("workspace", pod.getMetadata().getLabels().get(WellKnown.WORKLOAD_KIND_LABEL));
    assertEquals("NodePort", desired.services().get(0).getSpec().getType());
    assertEquals(8888, desired.services().get(0).getSpec().getPorts().get(0).getPort());
    assertNull(pod.getSpec().getSubdomain());
  }

  @Test
  void anInferenceIsADeploymentWhosePodsRestartInPlaceAndCarryItsUid() {
    Blueprint.Workload inf = new Blueprint.Workload(WorkloadKind.INFERENCE, "ml", "i1", "uid-1",
        spec(new WorkloadSpec.GpuSpec(1, null, null, null, null, null), null, null), null, 2);
    Blueprint.Desired desired = Blueprint.of(inf, 300);
    assertEquals(List.of(), desired.pods(), "the Deployment makes the pods");
    var template = desired.deployment().getSpec().getTemplate();
    // A Deployment accepts no other restart policy.
    assertEquals("Always", template.getSpec().getRestartPolicy());
    assertEquals(2, desired.deployment().getSpec().getReplicas());
    assertEquals(Map.of(Blueprint.WORKLOAD_UID_LABEL, "uid-1"), desired.deployment().getSpec().getSelector().getMatchLabels());
    assertEquals("uid-1", template.getMetadata().getLabels().get(Blueprint.WORKLOAD_UID_LABEL));
    assertNull(template.getMetadata().getLabels().get(WellKnown.POD_GROUP_LABEL), "each replica is useful alone");
  }

  @Test
  void aTrainingRunsOnceAndAWorkspaceRestartsInPlace() {
    assertEquals("Never", Blueprint.restartPolicy(WorkloadKind.TRAINING));
    assertEquals("Never", Blueprint.restartPolicy(WorkloadKind.DISTRIBUTED_TRAINING));
    assertEquals("Always", Blueprint.restartPolicy(WorkloadKind.WORKSPACE));
  }
}
