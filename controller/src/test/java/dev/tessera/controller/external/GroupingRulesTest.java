package dev.tessera.controller.external;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each owner kind's gang, from specs shaped as the upstream APIs define them. */
class GroupingRulesTest {
  @Test
  void anIndexedJobIsAGangOfItsParallelismAndANonIndexedJobIsNot() {
    assertEquals(4, gang("batch/v1", "Job", Map.of("completionMode", "Indexed", "parallelism", 4)).minMember());
    assertEquals(1, gang("batch/v1", "Job", Map.of("parallelism", 4)).minMember());
    assertEquals(1, gang("batch/v1", "Job", Map.of("completionMode", "Indexed")).minMember(), "parallelism defaults to 1");
  }

  @Test
  void replicasOfDeploymentsAndStatefulSetsArePlacedAlone() {
    assertEquals(1, gang("apps/v1", "Deployment", Map.of("replicas", 3)).minMember());
    assertEquals(1, gang("apps/v1", "StatefulSet", Map.of("replicas", 3)).minMember());
  }

  @Test
  void trainingOperatorJobsStartEveryReplicaTogether() {
    Map<String, Object> pytorch = Map.of("pytorchReplicaSpecs",
        Map.of("Master", Map.of("replicas", 1), "Worker", Map.of("replicas", 3)));
    assertEquals(4, gang("kubeflow.org/v1", "PyTorchJob", pytorch).minMember());
    Map<String, Object> tf = Map.of("tfReplicaSpecs",
        Map.of("Chief", Map.of(), "PS", Map.of("replicas", 2), "Worker", Map.of("replicas", 4)));
    assertEquals(7, gang("kubeflow.org/v1", "TFJob", tf).minMember(), "a role without replicas has 1");
    Map<String, Object> mpi = Map.of("mpiReplicaSpecs",
        Map.of("Launcher", Map.of("replicas", 1), "Worker", Map.of("replicas", 8)));
    assertEquals(9, gang("kubeflow.org/v2beta1", "MPIJob", mpi).minMember());
  }

  @Test
  void aRayClusterNeedsItsHeadAndMinimumWorkersAndTheRestAreElastic() {
    Map<String, Object> cluster = Map.of("workerGroupSpecs", List.of(
        Map.of("groupName", "gpu", "replicas", 4, "minReplicas", 2, "maxReplicas", 6),
        Map.of("groupName", "tpu-like", "minReplicas", 1, "maxReplicas", 1, "numOfHosts", 2)));
    GroupingRules.Gang gang = gang("ray.io/v1", "RayCluster", cluster);
    assertEquals(1 + 2 + 2, gang.minMember());
    assertTrue(gang.elasticWorkers());
    GroupingRules.Gang job = gang("ray.io/v1", "RayJob", Map.of("rayClusterSpec", cluster));
    assertEquals(5, job.minMember(), "a RayJob's cluster");
    assertFalse(gang("ray.io/v1", "RayCluster", Map.of("workerGroupSpecs",
        List.of(Map.of("replicas", 2, "minReplicas", 2, "maxReplicas", 2)))).elasticWorkers());
  }

  @Test
  void aJobSetStartsEveryPodOfEveryReplicatedJob() {
    Map<String, Object> spec = Map.of("replicatedJobs", List.of(
        Map.of("name", "driver", "template", Map.of("spec", Map.of("parallelism", 1))),
        Map.of("name", "workers", "replicas", 2, "template", Map.of("spec", Map.of("parallelism", 4)))));
    assertEquals(9, gang("jobset.x-k8s.io/v1alpha2", "JobSet", spec).minMember());
  }

  @Test
  void aSparkApplicationNeedsItsDriverAndExecutors() {
    assertEquals(5, gang("sparkoperator.k8s.io/v1beta2", "SparkApplication",
        Map.of("executor", Map.of("instances", 4))).minMember());
    GroupingRules.Gang dynamic = gang("sparkoperator.k8s.io/v1beta2", "SparkApplication",
        Map.of("executor", Map.of("instances", 4), "dynamicAllocation", Map.of("enabled", true, "minExecutors", 2)));
    assertEquals(3, dynamic.minMember());
    assertTrue(dynamic.elasticWorkers());
  }

  @Test
  void anUnknownKindIsAGangOnlyWhenItsSpecDeclaresASize() {
    assertEquals(3, gang("example.com/v1", "Trainer", Map.of("replicas", 3)).minMember());
    assertEquals(1, gang("example.com/v1", "Trainer", Map.of("image", "x")).minMember());
    assertEquals(1, GroupingRules.gang("example.com/v1", "Trainer", null).minMember(), "unreadable");
  }

  @Test
  void theWalkGoesUpThroughReplicaSetsJobsRayClustersAndSparkDriversButNotToACronJob() {
    assertTrue(GroupingRules.followsUp("apps/v1", "ReplicaSet"));
    assertTrue(GroupingRules.followsUp("batch/v1", "Job"));
    assertTrue(GroupingRules.followsUp("ray.io/v1", "RayCluster"));
    assertTrue(GroupingRules.followsUp("v1", "Pod"));
    assertFalse(GroupingRules.followsUp("kubeflow.org/v1", "PyTorchJob"));
    assertTrue(GroupingRules.stopsBelow("batch/v1", "CronJob"));
    assertTrue(GroupingRules.elasticMember(Map.of("ray.io/node-type", "worker")));
    assertFalse(GroupingRules.elasticMember(Map.of("ray.io/node-type", "head")));
    assertTrue(GroupingRules.elasticMember(Map.of("spark-role", "executor")));
  }

  private static GroupingRules.Gang gang(String apiVersion, String kind, Map<String, Object> spec) {
    return GroupingRules.gang(apiVersion, kind, Map.of("spec", spec));
  }
}
