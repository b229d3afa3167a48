package dev.tessera.extender.policy;

import dev.tessera.api.policy.PolicyRef;
import dev.tessera.api.policy.ProjectResource;
import dev.tessera.api.policy.ProjectSpec;
import dev.tessera.extender.model.PoolQuota;
import dev.tessera.extender.model.Project;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Projects: quotas that are numbers and make sense together, references to known pools and
 * departments, and namespaces that belong to one project only. A namespace two projects claim
 * rejects both, naming each other: which one owns its pods cannot be guessed.
 */
final class ProjectRules {
  static final String ZERO_WEIGHT =
      "overQuotaWeight is 0 but overQuotaAllowed is true: the project could never use idle GPUs; set a"
          + " weight > 0 or overQuotaAllowed: false";

  private ProjectRules() {}

  /** Validates the projects and returns the accepted ones, by name. */
  static Map<String, Project> check(
      List<ProjectResource> resources, References pools, References departments, Findings findings) {
    Map<String, Project> candidates = new TreeMap<>();
    Map<String, Set<String>> claims = new TreeMap<>(); // namespace -> projects naming it
    for (ProjectResource resource : resources) {
      String name = resource.getMetadata().getName();
      PolicyRef ref = PolicyRef.project(name);
      findings.saw(ref);
      ProjectSpec spec = resource.getSpec();
      if (spec == null) {
        findings.problem(ref, "spec is missing");
        continue;
      }
      Set<String> namespaces = namespaces(ref, spec.namespaces(), findings);
      namespaces.forEach(ns -> claims.computeIfAbsent(ns, k -> new TreeSet<>()).add(name));

      String department = spec.department();
      if (department != null) {
        if (department.isBlank()) {
          findings.problem(ref, "department is empty; leave it out for a project in no department");
        } else {
          departments.check(ref, null, department);
        }
      }
      boolean overQuotaAllowed = spec.overQuotaAllowed() == null || spec.overQuotaAllowed();
      Map<String, PoolQuota> quotas = quotas(ref, spec.quotas(), overQuotaAllowed, pools, findings);
      int priority = spec.defaultPriority() == null ? ProjectSpec.DEFAULT_PRIORITY : spec.defaultPriority();
      if (!findings.rejected(ref)) {
        candidates.put(name,
            new Project(name, List.copyOf(namespaces), department, quotas, priority, overQuotaAllowed));
      }
    }
    claims.forEach((namespace, owners) -> {
      if (owners.size() > 1) {
        for (String owner : owners) {
          Set<String> others = new TreeSet<>(owners);
          others.remove(owner);
          findings.problem(PolicyRef.project(owner), "namespace " + namespace + " is also claimed by project"
              + (others.size() == 1 ? " " : "s ") + String.join(", ", others)
              + "; a namespace belongs to one project: remove it from all but one");
        }
      }
    });
    candidates.keySet().removeIf(name -> findings.rejected(PolicyRef.project(name)));
    return candidates;
  }

  private static Set<String> namespaces(PolicyRef ref, List<String> listed, Findings findings) {
    Set<String> namespaces = new LinkedHashSet<>();
    if (listed == null) {
      return namespaces;
    }
    for (int i = 0; i < listed.size(); i++) {
      String ns = listed.get(i);
      if (ns == null || ns.isBlank()) {
        findings.problem(ref, "namespaces[" + i + "] is empty");
      } else {
        namespaces.add(ns);
      }
    }
    return namespaces;
  }

  private static Map<String, PoolQuota> quotas(
      PolicyRef ref, List<ProjectSpec.Quota> listed, boolean overQuotaAllowed, References pools, Findings findings) {
    Map<String, PoolQuota> quotas = new HashMap<>();
    if (listed == null) {
      return quotas;
    }
    Set<String> named = new HashSet<>();
    for (int i = 0; i < listed.size(); i++) {
      ProjectSpec.Quota quota = listed.get(i);
      if (quota == null || quota.nodePool() == null || quota.nodePool().isBlank()) {
        findings.problem(ref, "quotas[" + i + "].nodePool is required");
        continue;
      }
      String pool = quota.nodePool();
      String where = "quota for node pool " + pool;
      if (!named.add(pool)) {
        findings.problem(ref, "node pool " + pool + " is listed more than once in quotas; give each pool one"
            + " entry");
        continue;
      }
      boolean ok = pools.check(ref, "quotas", pool);
      ok &= findings.checkGpus(ref, where + ": deservedGpus", quota.deservedGpus(), true);
      ok &= findings.checkGpus(ref, where + ": overQuotaWeight", quota.overQuotaWeight(), false);
      ok &= findings.checkGpus(ref, where + ": limitGpus", quota.limitGpus(), false);
      if (!ok) {
        continue;
      }
      double deserved = quota.deservedGpus();
      double weight =
          quota.overQuotaWeight() == null ? ProjectSpec.DEFAULT_OVER_QUOTA_WEIGHT : quota.overQuotaWeight();
      double limit = quota.limitGpus() == null ? PoolQuota.UNLIMITED : quota.limitGpus();
      if (limit < deserved) {
        findings.problem(ref, where + ": limitGpus (" + Findings.gpus(limit) + ") is below deservedGpus ("
            + Findings.gpus(deserved) + "); the limit must be at least what the project deserves");
        continue;
      }
      if (weight == 0 && overQuotaAllowed) {
        findings.problem(ref, where + ": " + ZERO_WEIGHT);
        continue;
      }
      quotas.put(pool, new PoolQuota(deserved, weight, limit));
    }
    return quotas;
  }
}
