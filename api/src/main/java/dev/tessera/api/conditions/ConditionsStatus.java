package dev.tessera.api.conditions;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** The status of kinds whose status is only their conditions (Department, NodePool). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ConditionsStatus(List<Condition> conditions) implements Conditioned<ConditionsStatus> {
  public static final ConditionsStatus EMPTY = new ConditionsStatus(null);

  @Override
  public ConditionsStatus withConditions(List<Condition> conditions) {
    return new ConditionsStatus(conditions);
  }
}
