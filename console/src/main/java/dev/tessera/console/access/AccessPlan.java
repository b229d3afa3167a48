package dev.tessera.console.access;

import dev.tessera.api.policy.ProjectResource;
import dev.tessera.api.policy.ProjectSpec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The RoleBindings the Projects' access lists ask for, worked out from the projects alone: one
 * per role per namespace of the project, binding the role's ClusterRole to the union of the users
 * and groups listed for it. What cannot be granted is a problem, not an error: an unknown role is
 * skipped (the others of the project still count), and a namespace two projects claim gets no
 * binding from either, so claiming another team's namespace grants nobody access to it.
 */
final class AccessPlan {
  /**
   * One RoleBinding wanted, named after its ClusterRole.
   *
   * @param users sorted, without repeats
   * @param groups sorted, without repeats
   */
  record Binding(String namespace, String clusterRole, String project, List<String> users, List<String> groups) {
    Binding {
      users = List.copyOf(users);
      groups = List.copyOf(groups);
    }

    String name() {
      return clusterRole;
    }

    /** namespace/name, as informers key objects. */
    String key() {
      return namespace + "/" + name();
    }

    /** Who it binds: "users [alice], groups [ml]". */
    String subjects() {
      return "users " + users + ", groups " + groups;
    }
  }

  /**
   * @param bindings by {@link Binding#key()}, in order of namespace and role
   * @param problems what was asked and cannot be granted, each saying why
   */
  record Plan(Map<String, Binding> bindings, List<String> problems) {}

  private AccessPlan() {}

  static Plan of(Collection<ProjectResource> projects) {
    List<ProjectResource> sorted = new ArrayList<>(projects);
    sorted.sort(Comparator.comparing(p -> p.getMetadata().getName()));
    List<String> problems = new ArrayList<>();
    Map<String, NavigableSet<String>> claims = claims(sorted);
    claims.forEach((namespace, claimants) -> {
      if (claimants.size() > 1) {
        problems.add("namespace " + namespace + " is in projects " + claimants
            + ": none of their access lists is granted there until it is in one only");
      }
    });
    List<Binding> bindings = new ArrayList<>();
    for (ProjectResource project : sorted) {
      String name = project.getMetadata().getName();
      ProjectSpec spec = project.getSpec();
      if (spec == null || spec.namespaces() == null || spec.access() == null) {
        continue;
      }
      Map<String, Subjects> byRole = subjectsByRole(name, spec.access(), problems);
      for (String namespace : spec.namespaces()) {
        if (namespace == null || namespace.isBlank() || claims.get(namespace).size() > 1) {
          continue;
        }
        byRole.forEach((role, subjects) -> {
          if (!subjects.isEmpty()) {
            bindings.add(new Binding(namespace, role, name, List.copyOf(subjects.users),
                List.copyOf(subjects.groups)));
          }
        });
      }
    }
    bindings.sort(Comparator.comparing(Binding::namespace).thenComparing(Binding::clusterRole));
    Map<String, Binding> byKey = new LinkedHashMap<>();
    bindings.forEach(binding -> byKey.put(binding.key(), binding));
    return new Plan(Collections.unmodifiableMap(byKey), List.copyOf(problems));
  }

  /** Which projects list each namespace. */
  private static Map<String, NavigableSet<String>> claims(List<ProjectResource> projects) {
    Map<String, NavigableSet<String>> claims = new HashMap<>();
    for (ProjectResource project : projects) {
      ProjectSpec spec = project.getSpec();
      if (spec == null || spec.namespaces() == null) {
        continue;
      }
      for (String namespace : spec.namespaces()) {
        if (namespace != null && !namespace.isBlank()) {
          claims.computeIfAbsent(namespace, n -> new TreeSet<>()).add(project.getMetadata().getName());
        }
      }
    }
    return claims;
  }

  private static final class Subjects {
    final NavigableSet<String> users = new TreeSet<>();
    final NavigableSet<String> groups = new TreeSet<>();

    boolean isEmpty() {
      return users.isEmpty() && groups.isEmpty();
    }
  }

  /** The project's users and groups by ClusterRole; entries with a role that is not one are skipped. */
  private static Map<String, Subjects> subjectsByRole(
      String project, List<ProjectSpec.Access> access, List<String> problems) {
    Map<String, Subjects> byRole = new TreeMap<>();
    for (ProjectSpec.Access rule : access) {
      if (rule == null) {
        continue;
      }
      String role = UserRoles.forProjectRole(rule.role()).orElse(null);
      if (role == null) {
        problems.add("project " + project + ": access role \"" + rule.role() + "\" is not one of "
            + ProjectSpec.Access.ROLES + "; its users and groups are granted nothing by it");
        continue;
      }
      Subjects subjects = byRole.computeIfAbsent(role, r -> new Subjects());
      addNames(rule.users(), subjects.users);
      addNames(rule.groups(), subjects.groups);
    }
    return byRole;
  }

  private static void addNames(List<String> names, NavigableSet<String> into) {
    if (names != null) {
      names.stream().filter(n -> n != null && !n.isBlank()).forEach(into::add);
    }
  }
}
