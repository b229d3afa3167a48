package dev.tessera.extender.policy;

import dev.tessera.api.WellKnown;
import dev.tessera.api.policy.PolicyRef;
import dev.tessera.extender.model.Department;
import dev.tessera.extender.model.NodePool;
import dev.tessera.extender.model.PodGroup;
import dev.tessera.extender.model.Project;
import dev.tessera.extender.scheduling.Policy;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The scheduling policy in force: every accepted node pool, department, project and pod group,
 * immutable, so a scheduling cycle reads one consistent version while {@link PolicyInformers}
 * builds the next. Rejected objects are absent; {@link #verdicts} says why, per object.
 *
 * @param pools accepted node pools, by name; their selectors do not overlap
 * @param projects accepted projects by name
 * @param departments accepted departments by name
 * @param podGroups accepted pod groups by {@code namespace/name}
 * @param projectByNamespace the accepted project owning each namespace
 * @param verdicts every object seen, accepted or not, with its verdict
 */
public record PolicyCatalog(
    List<NodePool> pools,
    Map<String, Project> projects,
    Map<String, Department> departments,
    Map<String, PodGroup> podGroups,
    Map<String, String> projectByNamespace,
    Map<PolicyRef, Verdict> verdicts) {

  /** No policy objects: every node is in the default pool, no namespace has a project. */
  public static final PolicyCatalog EMPTY =
      new PolicyCatalog(List.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of());

  public PolicyCatalog {
    pools = List.copyOf(pools);
    projects = Map.copyOf(projects);
    departments = Map.copyOf(departments);
    podGroups = Map.copyOf(podGroups);
    projectByNamespace = Map.copyOf(projectByNamespace);
    verdicts = Map.copyOf(verdicts);
  }

  /** The project owning a namespace, if an accepted one claims it. */
  public Optional<Project> projectOfNamespace(String namespace) {
    String name = projectByNamespace.get(namespace);
    return name == null ? Optional.empty() : Optional.ofNullable(projects.get(name));
  }

  /**
   * The pool a node with these labels is in: the accepted pool whose selector it matches, or
   * {@value WellKnown#DEFAULT_POOL}. Accepted selectors never overlap, so at most one matches.
   */
  public String poolOf(Map<String, String> nodeLabels) {
    Map<String, String> labels = nodeLabels == null ? Map.of() : nodeLabels;
    for (NodePool pool : pools) {
      if (pool.selects(labels)) {
        return pool.name();
      }
    }
    return WellKnown.DEFAULT_POOL;
  }

  /** An accepted node pool by name; the default pool has no object and is not found here. */
  public Optional<NodePool> pool(String name) {
    return pools.stream().filter(p -> p.name().equals(name)).findFirst();
  }

  public Optional<PodGroup> podGroup(String namespace, String name) {
    return Optional.ofNullable(podGroups.get(namespace + "/" + name));
  }

  /** The verdict on an object, or null when the catalog was built without it. */
  public Verdict verdict(PolicyRef ref) {
    return verdicts.get(Objects.requireNonNull(ref, "ref"));
  }

  /** What scheduling reads of the catalog. */
  public Policy toPolicy() {
    return new Policy(pools, projects, departments, podGroups);
  }
}
