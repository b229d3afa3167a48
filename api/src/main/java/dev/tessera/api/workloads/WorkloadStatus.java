package dev.tessera.api.workloads;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tessera.api.conditions.Condition;
import dev.tessera.api.conditions.Conditioned;
import java.util.List;

/**
 * The status all four workload kinds share, written by the workload controller through the status
 * subresource. One record so the controller, {@code kubectl get} columns and dashboards read every
 * kind alike. Every field may be null: a status is written piece by piece as the workload advances.
 *
 * @param phase a {@link WorkloadPhase#label()}
 * @param conditions as on the policy kinds, shaped like {@code metav1.Condition}
 * @param phaseHistory every phase change, oldest first, so {@code kubectl describe} tells the story
 * @param runningPods pods running now
 * @param requestedPods pods the workload asks for (1, workers + 1, or the replicas)
 * @param gpusRequested GPUs asked for in all, fractions included (2 pods at 0.5 = 1.0)
 * @param gpusAllocated GPUs its pods bound to a node and not finished hold
 * @param cpuRequested the pods' CPU requests added up, as a quantity
 * @param memoryRequested the pods' memory requests added up, as a quantity
 * @param cpuAllocated the CPU requests of its pods bound to a node and not finished, added up, as a
 *     quantity ("0" when none is)
 * @param memoryAllocated the same for memory
 * @param nodes the nodes its pods run on
 * @param createdAt RFC 3339 time the controller first saw it
 * @param completedAt RFC 3339 time it reached a terminal phase
 * @param connections where each of {@code spec.connections} can be reached
 * @param reason the last phase change's reason
 * @param observedGeneration the {@code metadata.generation} this status was computed from
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WorkloadStatus(
    String phase,
    List<Condition> conditions,
    List<PhaseChange> phaseHistory,
    Integer runningPods,
    Integer requestedPods,
    Double gpusRequested,
    Double gpusAllocated,
    String cpuRequested,
    String memoryRequested,
    String cpuAllocated,
    String memoryAllocated,
    List<String> nodes,
    String createdAt,
    String completedAt,
    List<ConnectionStatus> connections,
    String reason,
    Long observedGeneration)
    implements Conditioned<WorkloadStatus> {

  public static final WorkloadStatus EMPTY =
      new WorkloadStatus(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
          null);

  @Override
  public WorkloadStatus withConditions(List<Condition> conditions) {
    return new WorkloadStatus(phase, conditions, phaseHistory, runningPods, requestedPods, gpusRequested,
        gpusAllocated, cpuRequested, memoryRequested, cpuAllocated, memoryAllocated, nodes, createdAt, completedAt,
        connections, reason, observedGeneration);
  }

  /** The phase as an enum, or null when none is set (or the value is unknown). */
  public WorkloadPhase workloadPhase() {
    return WorkloadPhase.of(phase);
  }

  /**
   * One entry of {@code phaseHistory}.
   *
   * @param phase a {@link WorkloadPhase#label()}
   * @param since RFC 3339 time the workload entered it
   * @param reason a CamelCase word for machines
   * @param message what a person should know
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record PhaseChange(String phase, String since, String reason, String message) {}

  /**
   * Where one of the spec's connections is served.
   *
   * @param address host:port (or the Service's DNS name and port) to reach it at
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ConnectionStatus(String name, Integer port, String address) {}
}
