package dev.tessera.api.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tessera.api.conditions.Condition;
import dev.tessera.api.conditions.Conditioned;
import java.util.List;

/**
 * A Project's status: whether its spec was accepted, and per node pool the figures the fair-share
 * computation arrives at (written by that code, kept by the condition writer).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProjectStatus(List<Condition> conditions, List<Pool> pools)
    implements Conditioned<ProjectStatus> {
  public static final ProjectStatus EMPTY = new ProjectStatus(null, null);

  @Override
  public ProjectStatus withConditions(List<Condition> conditions) {
    return new ProjectStatus(conditions, pools);
  }

  /**
   * The project's GPUs in one node pool.
   *
   * @param deservedGpus its deserved quota there
   * @param fairShareGpus deserved plus its share of idle GPUs, as last computed
   * @param allocatedGpus GPUs its pods hold
   * @param pendingGpus GPUs its pending pods ask for
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Pool(
      String nodePool,
      Double deservedGpus,
      Double fairShareGpus,
      Double allocatedGpus,
      Double pendingGpus) {}
}
