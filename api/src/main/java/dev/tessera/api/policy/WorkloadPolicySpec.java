package dev.tessera.api.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tessera.api.workloads.WorkloadSpec;
import java.util.List;

/**
 * A WorkloadPolicy's spec as the API holds it: defaults filled into new workloads and constraints
 * that reject them. Every field may be left out; a left-out field of a more specific policy lets
 * the next one's show through (the extender's {@code WorkloadPolicies} says in which order).
 *
 * @param workloadKind Workspace, Training, DistributedTraining or Inference; null for every kind
 * @param project the project it applies to; null for a global policy, which applies to projects
 *     whose own policy leaves a field out (or that have none)
 * @param defaults fields filled into a workload that leaves them out; {@code stopped} is not a
 *     default
 * @param constraints rules a workload must keep to be admitted
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WorkloadPolicySpec(
    String workloadKind, String project, WorkloadSpec defaults, Constraints constraints) {

  /**
   * Rules for one pod of the workload. Null means "no rule here" (a less specific policy's rule
   * may apply).
   *
   * @param maxGpus GPUs per pod; a count n counts n, a fraction f on d devices counts f × d, a
   *     GPU-memory request on d devices counts d (the most it can be without knowing the GPU)
   * @param maxGpuFraction the largest {@code gpu.fraction} and {@code gpu.fractionLimit}, 0 to 1
   * @param maxGpuMemoryMiB the largest {@code gpu.memoryMiB} and {@code gpu.memoryLimitMiB}
   * @param fractionOnly true: whole GPUs ({@code gpu.count}) are not allowed, only fractions
   * @param allowedImages glob patterns the image must match one of: {@code *} any characters but
   *     {@code /}, {@code **} any characters, {@code ?} one character but {@code /}
   * @param allowedNodePools node pools the workload may name; it must name at least one
   * @param maxRuntime how long the workload may run before the controller stops it, as Kubernetes
   *     writes durations: "8h", "90m", "1h30m", "45s"
   * @param maxIdleTime how long a workspace may sit idle before the controller stops it, same
   *     format
   * @param preemptibleRequired true: the workload must be preemptible
   * @param maxCpu the largest CPU request and limit, a Kubernetes quantity ("4", "500m")
   * @param maxMemory the largest memory request and limit, a Kubernetes quantity ("32Gi")
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Constraints(
      Integer maxGpus,
      Double maxGpuFraction,
      Long maxGpuMemoryMiB,
      Boolean fractionOnly,
      List<String> allowedImages,
      List<String> allowedNodePools,
      String maxRuntime,
      String maxIdleTime,
      Boolean preemptibleRequired,
      String maxCpu,
      String maxMemory) {
    /** No rules at all. */
    public static final Constraints NONE =
        new Constraints(null, null, null, null, null, null, null, null, null, null, null);
  }
}
