package dev.tessera.extender.policy;

import dev.tessera.api.WellKnown;
import dev.tessera.api.policy.DepartmentResource;
import dev.tessera.api.policy.NodePoolResource;
import dev.tessera.api.policy.PodGroupResource;
import dev.tessera.api.policy.PolicyRef;
import dev.tessera.api.policy.ProjectResource;
import dev.tessera.extender.model.Department;
import dev.tessera.extender.model.NodePool;
import dev.tessera.extender.model.PodGroup;
import dev.tessera.extender.model.Project;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns the policy objects as the API holds them into a {@link PolicyCatalog}. Pure: no I/O, no
 * clock, the same input gives the same catalog. Nothing is thrown for bad input; each object gets a
 * {@link Verdict} with every reason it was rejected, and only accepted objects enter the catalog.
 *
 * <p>Order matters, because objects refer to each other: node pools first (alone, then against each
 * other and against the actual nodes' labels), then departments (their pools), projects (their
 * pools, department and namespaces), the departments' over-commitment warnings, and pod groups
 * (their project). A reference to an object that exists but is rejected rejects the referring
 * object too, with a reason saying so: the catalog is always closed under its references.
 */
public final class PolicyValidation {
  private PolicyValidation() {}

  /**
   * @param nodeLabels every node's labels, by node name: pools that both select one node are
   *     rejected
   */
  public static PolicyCatalog validate(
      Collection<NodePoolResource> nodePools,
      Collection<DepartmentResource> departments,
      Collection<ProjectResource> projects,
      Collection<PodGroupResource> podGroups,
      Map<String, Map<String, String>> nodeLabels) {
    Findings findings = new Findings();

    List<NodePoolResource> poolResources = named(nodePools);
    List<NodePool> pools = NodePoolRules.check(poolResources, nodeLabels == null ? Map.of() : nodeLabels, findings);
    List<String> poolNames = new ArrayList<>(names(poolResources));
    poolNames.add(WellKnown.DEFAULT_POOL);
    References poolRefs = new References("node pool", poolNames, PolicyRef::nodePool, findings);

    List<DepartmentResource> departmentResources = named(departments);
    Map<String, Department> acceptedDepartments = DepartmentRules.check(departmentResources, poolRefs, findings);
    References departmentRefs =
        new References("department", names(departmentResources), PolicyRef::department, findings);

    List<ProjectResource> projectResources = named(projects);
    Map<String, Project> acceptedProjects = ProjectRules.check(projectResources, poolRefs, departmentRefs, findings);
    DepartmentRules.warnOverCommitted(acceptedDepartments, acceptedProjects, findings);
    References projectRefs = new References("project", names(projectResources), PolicyRef::project, findings);

    Map<String, String> projectByNamespace = new TreeMap<>();
    for (Project project : acceptedProjects.values()) {
      project.namespaces().forEach(ns -> projectByNamespace.put(ns, project.name()));
    }
    Map<String, PodGroup> acceptedGroups =
        PodGroupRules.check(named(podGroups), projectRefs, projectByNamespace, findings);
    return new PolicyCatalog(
        pools, acceptedProjects, acceptedDepartments, acceptedGroups, projectByNamespace, findings.verdicts());
  }

  /** The objects that have a name (all that the API can hold), sorted by namespace and name. */
  private static <T extends HasMetadata> List<T> named(Collection<T> objects) {
    List<T> out = new ArrayList<>();
    if (objects != null) {
      for (T object : objects) {
        if (object != null && object.getMetadata() != null && object.getMetadata().getName() != null) {
          out.add(object);
        }
      }
    }
    out.sort(Comparator.comparing((T o) -> String.valueOf(o.getMetadata().getNamespace()))
        .thenComparing(o -> o.getMetadata().getName()));
    return out;
  }

  private static List<String> names(List<? extends HasMetadata> objects) {
    return objects.stream().map(o -> o.getMetadata().getName()).toList();
  }
}
