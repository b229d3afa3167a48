package dev.tessera.api.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * A NodePool's spec as the API holds it.
 *
 * @param nodeSelector labels a node must all carry to be in the pool ({@code matchLabels}); not
 *     empty
 * @param gpuPlacement {@code binpack} (default) or {@code spread}, for pods with GPUs
 * @param cpuPlacement {@code binpack} or {@code spread} (default), for pods without
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodePoolSpec(Map<String, String> nodeSelector, String gpuPlacement, String cpuPlacement) {}
