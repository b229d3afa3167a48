package dev.tessera.api.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tessera.api.conditions.Condition;
import dev.tessera.api.conditions.Conditioned;
import java.util.List;

/**
 * A PodGroup's status: whether its spec was accepted, and the gang's phase (written by the gang
 * code; kept by the condition writer).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PodGroupStatus(String phase, List<Condition> conditions)
    implements Conditioned<PodGroupStatus> {
  public static final PodGroupStatus EMPTY = new PodGroupStatus(null, null);

  @Override
  public PodGroupStatus withConditions(List<Condition> conditions) {
    return new PodGroupStatus(phase, conditions);
  }
}
