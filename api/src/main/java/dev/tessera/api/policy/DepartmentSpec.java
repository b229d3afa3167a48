package dev.tessera.api.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A Department's spec as the API holds it.
 *
 * @param quotas per node pool, the most GPUs its projects may hold together; pools not listed are
 *     not capped
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DepartmentSpec(List<Quota> quotas) {
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Quota(String nodePool, Double gpus) {}
}
