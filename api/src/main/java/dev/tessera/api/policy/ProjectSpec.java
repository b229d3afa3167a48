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
 * @param access who may use the project's namespaces, and how (Run:ai's access rules); null or
 *     empty for nobody beyond those the cluster's own RBAC already lets in
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProjectSpec(
    List<String> namespaces,
    String department,
    List<Quota> quotas,
    Integer defaultPriority,
    Boolean overQuotaAllowed,
    List<Access> access) {

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

  /**
   * One access rule: a role in the project, held by users and groups as the API server names
   * them. The console keeps, in each of the project's namespaces, a RoleBinding per role that
   * binds the role's ClusterRole (deploy/76-user-roles.yaml) to them. A role appears once per
   * project (the CRD's schema keys the list by role).
   *
   * @param role one of {@link #ROLES}; required
   * @param users user names ("alice", "system:serviceaccount:ci:runner", an OIDC subject)
   * @param groups group names, as the cluster's authenticator reports them
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Access(String role, List<String> users, List<String> groups) {
    /** The roles a project grants, from least to most; the CRD's schema allows these only. */
    public static final List<String> ROLES = List.of("viewer", "researcher", "project-admin");
  }
}
