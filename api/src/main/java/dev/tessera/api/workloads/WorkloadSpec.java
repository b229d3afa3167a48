package dev.tessera.api.workloads;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * What every workload kind (Workspace, Training, DistributedTraining, Inference) carries, as the
 * user writes it: fields left out stay null so policies can fill defaults and tell "not given"
 * from "given as zero".
 *
 * @param image the container image
 * @param command the container's command (entrypoint), or null for the image's
 * @param args its arguments
 * @param env environment variables
 * @param gpu how much GPU each pod asks for
 * @param cpu CPU request ("500m", "2"), limit {@code cpuLimit}
 * @param memory memory request ("8Gi"), limit {@code memoryLimit}
 * @param nodePools node pools in order of preference
 * @param priorityClassName the pods' priority class
 * @param preemptible whether reclaim and preemption may take its pods; null for the kind's default
 *     (workspaces no, the others yes)
 * @param dataSources volumes to mount
 * @param connections ports to expose
 * @param stopped true to stop the workload: its pods go, its definition stays; false or null runs it
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WorkloadSpec(
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
    Boolean stopped) {

  /**
   * A pod's GPU request: exactly one of {@code count}, {@code fraction} or {@code memoryMiB};
   * {@code fractionLimit} / {@code memoryLimitMiB} make it a dynamic fraction.
   *
   * @param devices for a fraction or memory: on how many GPUs (default 1)
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record GpuSpec(
      Integer count, Double fraction, Long memoryMiB, Integer devices, Double fractionLimit, Long memoryLimitMiB) {}

  /** A PersistentVolumeClaim mounted into every pod. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record DataSource(String name, String claimName, String mountPath, Boolean readOnly) {}

  /**
   * A port the workload serves.
   *
   * @param exposure ClusterIP (default) or NodePort
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Connection(String name, Integer port, String exposure) {}
}
