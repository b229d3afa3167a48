package dev.tessera.extender.policy;

import dev.tessera.api.policy.DepartmentResource;
import dev.tessera.api.policy.DepartmentSpec;
import dev.tessera.api.policy.PolicyRef;
import dev.tessera.extender.model.Department;
import dev.tessera.extender.model.Project;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Departments: quotas that are numbers, name known pools, and name each pool once. Once projects
 * are known, a department whose projects deserve more than its quota in a pool is kept but warned
 * about: the cap wins, and its projects cannot all have their deserved GPUs at once.
 */
final class DepartmentRules {
  private DepartmentRules() {}

  /** Validates the departments and returns the accepted ones, by name. */
  static Map<String, Department> check(List<DepartmentResource> resources, References pools, Findings findings) {
    Map<String, Department> accepted = new TreeMap<>();
    for (DepartmentResource resource : resources) {
      String name = resource.getMetadata().getName();
      PolicyRef ref = PolicyRef.department(name);
      findings.saw(ref);
      DepartmentSpec spec = resource.getSpec();
      List<DepartmentSpec.Quota> quotas = spec == null || spec.quotas() == null ? List.of() : spec.quotas();
      Map<String, Double> byPool = new TreeMap<>();
      Set<String> named = new HashSet<>();
      for (int i = 0; i < quotas.size(); i++) {
        DepartmentSpec.Quota quota = quotas.get(i);
        String where = "quotas[" + i + "]";
        if (quota == null || quota.nodePool() == null || quota.nodePool().isBlank()) {
          findings.problem(ref, where + ".nodePool is required");
          continue;
        }
        where = "quota for node pool " + quota.nodePool();
        if (!named.add(quota.nodePool())) {
          findings.problem(ref, "node pool " + quota.nodePool() + " is listed more than once in quotas;"
              + " give each pool one entry");
          continue;
        }
        boolean known = pools.check(ref, "quotas", quota.nodePool());
        if (findings.checkGpus(ref, where + ": gpus", quota.gpus(), true) && known) {
          byPool.put(quota.nodePool(), quota.gpus());
        }
      }
      if (!findings.rejected(ref)) {
        accepted.put(name, new Department(name, byPool));
      }
    }
    return accepted;
  }

  /** Warns where a department's accepted projects together deserve more than its quota. */
  static void warnOverCommitted(Map<String, Department> departments, Map<String, Project> projects, Findings findings) {
    for (Department department : departments.values()) {
      Map<String, Double> deserved = new TreeMap<>();
      for (Project project : projects.values()) {
        if (department.name().equals(project.department())) {
          project.quotas().forEach((pool, quota) -> deserved.merge(pool, quota.deserved(), Double::sum));
        }
      }
      deserved.forEach((pool, sum) -> {
        double cap = department.quota(pool);
        if (sum > cap + 1e-9) {
          findings.warning(PolicyRef.department(department.name()),
              "in node pool " + pool + " its projects deserve " + Findings.gpus(sum) + " GPUs together, more"
                  + " than its quota of " + Findings.gpus(cap) + "; they cannot all get their deserved GPUs"
                  + " at once: raise the quota or lower the projects' deservedGpus");
        }
      });
    }
  }
}
