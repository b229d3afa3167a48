package dev.tessera.api.workloads;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tessera.api.workloads.WorkloadSpec.Connection;
import dev.tessera.api.workloads.WorkloadSpec.DataSource;
import dev.tessera.api.workloads.WorkloadSpec.GpuSpec;
import java.util.List;
import java.util.Map;

/**
 * A DistributedTraining's spec: the {@link WorkloadSpec} fields repeated (so users write them flat,
 * next to the fields below; records cannot inherit or unwrap) plus how the gang is shaped. The
 * common fields apply to the master and to every worker.
 *
 * @param framework how the pods find each other: {@value #PYTORCH} (MASTER_ADDR, WORLD_SIZE, RANK),
 *     {@value #TENSORFLOW} (TF_CONFIG) or {@value #MPI} (a launcher and a hostfile)
 * @param workers pods besides the master, at least 1; for a fixed size (null when elastic)
 * @param masterPort the port the master listens on; null for {@value #DEFAULT_PYTORCH_MASTER_PORT}
 *     with pytorch
 * @param minWorkers with {@code maxWorkers} instead of {@code workers}: an elastic training (pytorch
 *     only, as torchrun's elastic launch expects) that starts once the master and this many workers
 *     are placed, grows into idle GPUs up to {@code maxWorkers}, and loses workers above the
 *     minimum before it is preempted whole
 * @param maxWorkers the most workers an elastic training runs
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DistributedTrainingSpec(
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
    String framework,
    Integer workers,
    Integer masterPort,
    Integer minWorkers,
    Integer maxWorkers) {

  public static final String PYTORCH = "pytorch";
  public static final String TENSORFLOW = "tensorflow";
  public static final String MPI = "mpi";
  /** The values {@code framework} may take, in the CRD's order. */
  public static final List<String> FRAMEWORKS = List.of(PYTORCH, TENSORFLOW, MPI);
  /** torch.distributed's usual MASTER_PORT. */
  public static final int DEFAULT_PYTORCH_MASTER_PORT = 29500;

  /** The fields every workload kind has. */
  public WorkloadSpec workload() {
    return new WorkloadSpec(image, command, args, env, gpu, cpu, cpuLimit, memory, memoryLimit, nodePools,
        priorityClassName, preemptible, dataSources, connections, stopped);
  }

  /** True when it gives a worker range rather than a fixed {@code workers}. */
  public boolean elastic() {
    return minWorkers != null || maxWorkers != null;
  }

  /** Workers it runs at most: {@code maxWorkers} when elastic, else {@code workers}; null if unset. */
  public Integer mostWorkers() {
    return elastic() ? maxWorkers : workers;
  }

  /** {@code masterPort}, or the framework's default; null when neither is set. */
  public Integer masterPortOrDefault() {
    if (masterPort != null) {
      return masterPort;
    }
    return PYTORCH.equals(framework) ? Integer.valueOf(DEFAULT_PYTORCH_MASTER_PORT) : null;
  }
}
