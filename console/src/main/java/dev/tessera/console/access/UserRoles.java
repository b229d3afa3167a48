package dev.tessera.console.access;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The four ClusterRoles users hold in Tessera, rule for rule as {@code deploy/76-user-roles.yaml}
 * defines them: the demo's users are authorized from this table, where no API server evaluates
 * RBAC, and the ProjectAccessController binds these names. UserRolesTest fails when the table and
 * the file disagree.
 */
public final class UserRoles {
  public static final String VIEWER = "tessera-viewer";
  public static final String RESEARCHER = "tessera-researcher";
  public static final String PROJECT_ADMIN = "tessera-project-admin";
  public static final String CLUSTER_ADMIN = "tessera-cluster-admin";

  private static final String TESSERA = "tessera.dev";
  private static final String CORE = "";
  private static final String RBAC = "rbac.authorization.k8s.io";
  /** The kinds users submit and act on. */
  private static final List<String> WORKLOADS =
      List.of("workspaces", "trainings", "distributedtrainings", "inferences");
  /**
   * Other controllers' workloads as Tessera tracks them: everyone who sees workloads sees them, and
   * nobody changes them here; their owners' controllers do.
   */
  private static final String EXTERNAL = "externalworkloads";
  private static final List<String> READ = List.of("get", "list", "watch");
  private static final List<String> WRITE = List.of("create", "update", "patch", "delete");
  private static final List<String> ALL =
      List.of("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection");

  private static final List<Rule> VIEWER_RULES =
      List.of(
          Rule.of(TESSERA, concat(WORKLOADS, List.of(EXTERNAL)), READ),
          Rule.of(CORE, List.of("pods", "events"), READ),
          Rule.of(CORE, List.of("pods/log"), List.of("get")),
          // Takes effect only where a ClusterRoleBinding grants the role: projects are cluster-scoped.
          Rule.of(TESSERA, List.of("projects"), READ));

  private static final List<Rule> RESEARCHER_RULES = plus(VIEWER_RULES, Rule.of(TESSERA, WORKLOADS, WRITE));

  /** Granting the project roles in a namespace: the project admin's and the cluster admin's. */
  private static final List<Rule> GRANTING =
      List.of(
          Rule.of(RBAC, List.of("rolebindings"), concat(READ, WRITE)),
          new Rule(
              List.of(RBAC), List.of("clusterroles"), List.of("bind"), List.of(VIEWER, RESEARCHER, PROJECT_ADMIN)));

  private static final List<Rule> PROJECT_ADMIN_RULES = plus(RESEARCHER_RULES, GRANTING.toArray(Rule[]::new));

  private static final List<Rule> CLUSTER_ADMIN_RULES =
      plus(
          GRANTING,
          Rule.of(TESSERA, List.of("projects", "departments", "nodepools", "workloadpolicies", "podgroups"), ALL),
          Rule.of(TESSERA, WORKLOADS, ALL),
          Rule.of(TESSERA, List.of(EXTERNAL), READ),
          Rule.of(CORE, List.of("pods", "events"), READ),
          Rule.of(CORE, List.of("pods/log"), List.of("get")),
          Rule.of(CORE, List.of("nodes"), READ));

  private static final Map<String, List<Rule>> ROLES =
      Map.of(
          VIEWER, VIEWER_RULES,
          RESEARCHER, RESEARCHER_RULES,
          PROJECT_ADMIN, PROJECT_ADMIN_RULES,
          CLUSTER_ADMIN, CLUSTER_ADMIN_RULES);

  /** A project's access roles ({@code ProjectSpec.Access.ROLES}) and the ClusterRoles they bind. */
  private static final Map<String, String> PROJECT_ROLES =
      Map.of("viewer", VIEWER, "researcher", RESEARCHER, "project-admin", PROJECT_ADMIN);

  private UserRoles() {}

  /** The four ClusterRoles' names. */
  public static Set<String> names() {
    return ROLES.keySet();
  }

  /**
   * A ClusterRole's rules.
   *
   * @throws IllegalArgumentException when it is not one of {@link #names()}
   */
  public static List<Rule> rules(String clusterRole) {
    List<Rule> rules = ROLES.get(clusterRole);
    if (rules == null) {
      throw new IllegalArgumentException("not a Tessera user role: " + clusterRole + "; one of " + names());
    }
    return rules;
  }

  /** Whether a ClusterRole's rules allow this, as RBAC would decide it. */
  public static boolean allows(String clusterRole, Permission permission) {
    return rules(clusterRole).stream().anyMatch(rule -> rule.allows(permission));
  }

  /** The ClusterRole a project access role ("viewer", "researcher", "project-admin") binds, if it is one. */
  public static Optional<String> forProjectRole(String accessRole) {
    return Optional.ofNullable(accessRole == null ? null : PROJECT_ROLES.get(accessRole));
  }

  /**
   * One RBAC policy rule. No wildcards: the roles spell out what they grant.
   *
   * @param apiGroups API groups, "" for the core group
   * @param resources plurals, "pods/log" for a subresource
   * @param verbs what may be done to them
   * @param resourceNames the objects it is limited to; empty for any
   */
  public record Rule(List<String> apiGroups, List<String> resources, List<String> verbs, List<String> resourceNames) {
    public Rule {
      apiGroups = List.copyOf(apiGroups);
      resources = List.copyOf(resources);
      verbs = List.copyOf(verbs);
      resourceNames = resourceNames == null ? List.of() : List.copyOf(resourceNames);
    }

    static Rule of(String apiGroup, List<String> resources, List<String> verbs) {
      return new Rule(List.of(apiGroup), resources, verbs, List.of());
    }

    /**
     * Whether the rule covers the permission. A rule limited to names never does: a Permission
     * names no object, and RBAC refuses a request without a name under such a rule.
     */
    public boolean allows(Permission permission) {
      String resource =
          permission.subresource() == null
              ? permission.resource()
              : permission.resource() + "/" + permission.subresource();
      return resourceNames.isEmpty()
          && apiGroups.contains(permission.group())
          && resources.contains(resource)
          && verbs.contains(permission.verb());
    }
  }

  private static List<Rule> plus(List<Rule> rules, Rule... more) {
    List<Rule> all = new ArrayList<>(rules);
    all.addAll(List.of(more));
    return List.copyOf(all);
  }

  private static List<String> concat(List<String> a, List<String> b) {
    return Stream.concat(a.stream(), b.stream()).toList();
  }
}
