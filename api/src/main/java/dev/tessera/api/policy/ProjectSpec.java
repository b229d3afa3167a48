package dev.tessera.api.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A Project's spec as the API holds it. Fields are nullable: an absent field takes its default
 * (the extender's policy validation applies them, as the CRD's schema does on a real API server), and
 * wrong values are reported on the object's status, not thrown.
 *
 * @param namespaces the namespaces whose pods belong to the project; each in one project only
 * @param department the department's name, or null for none
 * @param quotas its quota per node pool; pools not listed get nothing deserved, weight 1, no limit
 * @param defaultPriority priority of its pods that set none (default 0)
 * @param overQuotaAllowed whether its pods may use idle GPUs beyond deserved (default true)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProjectSpec(
    List<String> namespaces,
    String department,
    List<Quota> quotas,
    Integer defaultPriority,
    Boolean overQuotaAllowed) {

  public static final int DEFAULT_PRIORITY = 0;
  public static final double DEFAULT_OVER_QUOTA_WEIGHT = 1;

  /**
   * The quota in one node pool, in GPUs (fractions allowed).
   *
   * @param deservedGpus guaranteed when the project has demand; required
   * @param overQuotaWeight its share of idle GPUs relative to other projects' (default 1)
   * @param limitGpus the most it may hold in the pool; null for no limit
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Quota(String nodePool, Double deservedGpus, Double overQuotaWeight, Double limitGpus) {}
}
