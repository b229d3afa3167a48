package dev.tessera.extender.scheduling;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.model.Department;
import dev.tessera.extender.model.NodePool;
import dev.tessera.extender.model.PodGroup;
import dev.tessera.extender.model.Project;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The accepted scheduling policy: node pools, projects, departments and pod groups, as validated
 * from their custom resources (invalid objects never get here).
 *
 * @param podGroups by "namespace/name"
 */
public record Policy(
    List<NodePool> pools,
    Map<String, Project> projects,
    Map<String, Department> departments,
    Map<String, PodGroup> podGroups) {
  public static final Policy EMPTY = new Policy(List.of(), Map.of(), Map.of(), Map.of());

  public Policy {
    pools = List.copyOf(pools);
    projects = Map.copyOf(projects);
    departments = Map.copyOf(departments);
    podGroups = Map.copyOf(podGroups);
  }

  /** Pool names, the default pool first. */
  public List<String> poolNames() {
    List<String> names = new ArrayList<>(pools.size() + 1);
    names.add(WellKnown.DEFAULT_POOL);
    pools.forEach(pool -> names.add(pool.name()));
    return names;
  }

  /** Namespace to the project that owns it. */
  public Map<String, Project> projectsByNamespace() {
    Map<String, Project> byNamespace = new HashMap<>();
    projects.values().forEach(project -> project.namespaces().forEach(ns -> byNamespace.put(ns, project)));
    return byNamespace;
  }
}
