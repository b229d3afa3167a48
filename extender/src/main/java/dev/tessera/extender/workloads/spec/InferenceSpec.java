package dev.tessera.extender.workloads.spec;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tessera.extender.workloads.spec.WorkloadSpec.Connection;
import dev.tessera.extender.workloads.spec.WorkloadSpec.DataSource;
import dev.tessera.extender.workloads.spec.WorkloadSpec.GpuSpec;
import java.util.List;
import java.util.Map;

/**
 * An Inference's spec: the {@link WorkloadSpec} fields repeated (so users write them flat; records
 * cannot inherit or unwrap) plus the replica range. The common fields apply to every replica.
 *
 * @param minReplicas replicas kept running, at least 1 (default 1)
 * @param maxReplicas replicas it may scale to, at least {@code minReplicas} (default {@code
 *     minReplicas})
 * @param autoscaling how it scales between the two; without it, it runs {@code minReplicas}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InferenceSpec(
    String image,
    List<String> command,
    List<String> args,
    Map<String, String> env,
    GpuSpec gpu,
    String cpu,
    String cpuLimit,
    String memory,
    String memoryLimit,
    List<String> nodePools,
    String priorityClassName,
    Boolean preemptible,
    List<DataSource> dataSources,
    List<Connection> connections,
    Boolean stopped,
    Integer minReplicas,
    Integer maxReplicas,
    Autoscaling autoscaling) {

  /** The one metric autoscaling reads today: the replicas' GPUs, as the node agents measure them. */
  public static final String GPU_UTILIZATION = "gpu-utilization";

  /**
   * Scaling on a metric.
   *
   * @param metric what is measured: {@value #GPU_UTILIZATION} (the average of each replica's
   *     busiest GPU)
   * @param target the value to hold, percent for GPU utilisation (1-100)
   * @param scaleDownAfter how long fewer replicas must suffice before they go, e.g. 5m (default);
   *     an idle inference goes to {@code minReplicas} after it
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Autoscaling(String metric, Integer target, String scaleDownAfter) {}

  /** The fields every workload kind has. */
  public WorkloadSpec workload() {
    return new WorkloadSpec(image, command, args, env, gpu, cpu, cpuLimit, memory, memoryLimit, nodePools,
        priorityClassName, preemptible, dataSources, connections, stopped);
  }
}
