package dev.tessera.controller.external;

import java.util.List;
import java.util.Map;

/**
 * How another controller's workload becomes one Tessera workload: for each owner kind, whether
 * the walk up the owner references goes on past it, and how many of its pods form its gang. The
 * rules read only the fields named here, as the upstream APIs define them (versions in the
 * comments); an owner whose spec lacks a field gets that API's default.
 *
 * <p>Pure: it reads the owner's object as a map (a {@code GenericKubernetesResource}'s
 * properties).
 */
public final class GroupingRules {
  private GroupingRules() {}

  /** The gang an owner's pods form, and the rule that gave it, in words. */
  public record Gang(int minMember, boolean elasticWorkers, String rule) {}

  /**
   * Whether a walk that reached an object of this kind goes on to its own controller: a
   * ReplicaSet's Deployment, a Job's JobSet or RayJob, a RayCluster's RayJob, a Spark executor's
   * driver pod. A CronJob's Jobs are separate runs: each Job is a workload of its own, so the
   * walk stops at the Job when its controller is a CronJob ({@link #stopsBelow}).
   */
  public static boolean followsUp(String apiVersion, String kind) {
    return switch (group(apiVersion) + "/" + kind) {
      case "apps/ReplicaSet", "batch/Job", "ray.io/RayCluster", "/Pod" -> true;
      default -> false;
    };
  }

  /** Whether the walk stops below an owner of this kind, keeping its child as the top owner. */
  public static boolean stopsBelow(String apiVersion, String kind) {
    return "batch".equals(group(apiVersion)) && "CronJob".equals(kind);
  }

  /** Whether the admission webhook may read objects of this kind (its RBAC lists them all). */
  public static boolean readable(String apiVersion, String kind) {
    return switch (group(apiVersion) + "/" + kind) {
      case "apps/ReplicaSet", "apps/Deployment", "apps/StatefulSet", "batch/Job", "jobset.x-k8s.io/JobSet",
          "kubeflow.org/PyTorchJob", "kubeflow.org/TFJob", "kubeflow.org/MPIJob", "ray.io/RayCluster",
          "ray.io/RayJob", "sparkoperator.k8s.io/SparkApplication", "/Pod" -> true;
      default -> false;
    };
  }

  /**
   * The gang of the workload whose top owner is {@code owner} (its whole object; null when it
   * could not be read, for a kind Tessera does not know).
   */
  public static Gang gang(String apiVersion, String kind, Map<String, Object> owner) {
    Map<String, Object> spec = owner == null ? Map.of() : map(owner.get("spec"));
    return switch (group(apiVersion) + "/" + kind) {
      // batch/v1: an Indexed Job's pods are ranks of one computation; a NonIndexed Job's are not.
      case "batch/Job" -> "Indexed".equals(spec.get("completionMode"))
          ? new Gang(Math.max(1, integer(spec.get("parallelism"), 1)), false,
              "Job: an Indexed Job's parallelism starts together")
          : new Gang(1, false, "Job: each pod of a NonIndexed Job is placed alone");
      case "apps/Deployment", "apps/StatefulSet", "apps/ReplicaSet" ->
          new Gang(1, false, kind + ": each replica is placed alone");
      case "/Pod" -> new Gang(1, false, "Pod: a Spark driver and the executors it owns, each placed alone");
      // jobset.x-k8s.io/v1alpha2: spec.replicatedJobs[].replicas (default 1) Jobs of
      // template.spec.parallelism (default 1) pods each.
      case "jobset.x-k8s.io/JobSet" -> {
        int pods = 0;
        for (Object job : list(spec.get("replicatedJobs"))) {
          Map<String, Object> replicated = map(job);
          Map<String, Object> jobSpec = map(map(replicated.get("template")).get("spec"));
          pods += integer(replicated.get("replicas"), 1) * integer(jobSpec.get("parallelism"), 1);
        }
        yield new Gang(Math.max(1, pods), false, "JobSet: every pod of every replicated Job starts together");
      }
      // kubeflow.org/v1 (Training Operator): spec.<framework>ReplicaSpecs.<role>.replicas, default 1.
      case "kubeflow.org/PyTorchJob" -> replicaSpecs(spec, "pytorchReplicaSpecs", "PyTorchJob: master and workers");
      case "kubeflow.org/TFJob" -> replicaSpecs(spec, "tfReplicaSpecs", "TFJob: chief, parameter servers and workers");
      // kubeflow.org/v2beta1 (MPI Operator) and v1 (Training Operator) share mpiReplicaSpecs.
      case "kubeflow.org/MPIJob" -> replicaSpecs(spec, "mpiReplicaSpecs", "MPIJob: launcher and workers");
      // ray.io/v1: a head and, per workerGroupSpecs entry, minReplicas (default 0) x numOfHosts
      // (default 1) workers; workers above the minimum come and go with the autoscaler.
      case "ray.io/RayCluster" -> rayCluster(spec, "RayCluster");
      case "ray.io/RayJob" -> rayCluster(map(spec.get("rayClusterSpec")), "RayJob");
      // sparkoperator.k8s.io/v1beta2: a driver and spec.executor.instances executors, or with
      // dynamic allocation spec.dynamicAllocation.minExecutors (default 0).
      case "sparkoperator.k8s.io/SparkApplication" -> {
        Map<String, Object> dynamic = map(spec.get("dynamicAllocation"));
        boolean dynamicAllocation = Boolean.TRUE.equals(dynamic.get("enabled"));
        int executors = dynamicAllocation ? integer(dynamic.get("minExecutors"), 0)
            : integer(map(spec.get("executor")).get("instances"), 1);
        yield new Gang(1 + executors, dynamicAllocation,
            "SparkApplication: the driver and its " + (dynamicAllocation ? "minimum " : "") + "executors");
      }
      default -> {
        Integer size = integerOrNull(spec.get("replicas"));
        size = size != null ? size : integerOrNull(spec.get("parallelism"));
        yield size != null && size > 1
            ? new Gang(size, false, kind + " (not known to Tessera): its spec's size, " + size + " pods, starts together")
            : new Gang(1, false, kind + " (not known to Tessera): no size in its spec, so each pod is placed alone");
      }
    };
  }

  /**
   * Whether a pod of a workload with elastic workers may leave alone while its gang keeps its
   * minimum: Ray workers (label {@code ray.io/node-type: worker}) and Spark executors ({@code
   * spark-role: executor}), never a head or a driver.
   */
  public static boolean elasticMember(Map<String, String> podLabels) {
    return "worker".equals(podLabels.get("ray.io/node-type")) || "executor".equals(podLabels.get("spark-role"));
  }

  private static Gang replicaSpecs(Map<String, Object> spec, String field, String rule) {
    int pods = 0;
    for (Object role : map(spec.get(field)).values()) {
      pods += integer(map(role).get("replicas"), 1);
    }
    return new Gang(Math.max(1, pods), false, rule + ", every replica starts together");
  }

  private static Gang rayCluster(Map<String, Object> spec, String kind) {
    int workers = 0;
    boolean elastic = false;
    for (Object group : list(spec.get("workerGroupSpecs"))) {
      Map<String, Object> workerGroup = map(group);
      int hosts = integer(workerGroup.get("numOfHosts"), 1);
      int min = integer(workerGroup.get("minReplicas"), 0);
      Integer max = integerOrNull(workerGroup.get("maxReplicas"));
      Integer replicas = integerOrNull(workerGroup.get("replicas"));
      workers += min * hosts;
      elastic |= (max != null && max > min) || (replicas != null && replicas > min);
    }
    return new Gang(1 + workers, elastic,
        kind + ": the head and each worker group's minReplicas start together; workers above it may leave alone");
  }

  /** The API group of an apiVersion: "" for the core group's "v1". */
  static String group(String apiVersion) {
    int slash = apiVersion.indexOf('/');
    return slash < 0 ? "" : apiVersion.substring(0, slash);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  private static List<?> list(Object value) {
    return value instanceof List<?> l ? l : List.of();
  }

  private static int integer(Object value, int otherwise) {
    Integer n = integerOrNull(value);
    return n == null || n < 0 ? otherwise : n;
  }

  private static Integer integerOrNull(Object value) {
    if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
      return n.intValue();
    }
    return null;
  }
}
