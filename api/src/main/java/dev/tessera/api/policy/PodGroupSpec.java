package dev.tessera.api.policy;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A PodGroup's spec as the API holds it.
 *
 * @param minMember how many members must be placed for any to be; required, at least 1
 * @param project the project whose quota the gang uses; null to take it from the namespace
 * @param priorityClassName the members' priority class, or null
 * @param schedulingTimeoutSeconds how long a partly placed gang waits for the rest (default 300)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PodGroupSpec(
    Integer minMember, String project, String priorityClassName, Integer schedulingTimeoutSeconds) {
  public static final int DEFAULT_TIMEOUT_SECONDS = 300;
}
