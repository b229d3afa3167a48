package dev.tessera.extender.policy;

import dev.tessera.api.policy.PodGroupResource;
import dev.tessera.api.policy.PodGroupSpec;
import dev.tessera.api.policy.PolicyRef;
import dev.tessera.extender.model.PodGroup;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Pod groups: a gang of at least one, a positive timeout, and, if a project is named, one that
 * exists and owns the group's namespace (quota follows the namespace; a group cannot move its pods
 * to another project's quota).
 */
final class PodGroupRules {
  private PodGroupRules() {}

  /** Validates the pod groups and returns the accepted ones by {@code namespace/name}. */
  static Map<String, PodGroup> check(
      List<PodGroupResource> resources,
      References projects,
      Map<String, String> projectByNamespace,
      Findings findings) {
    Map<String, PodGroup> accepted = new TreeMap<>();
    for (PodGroupResource resource : resources) {
      String namespace = resource.getMetadata().getNamespace();
      String name = resource.getMetadata().getName();
      if (namespace == null || namespace.isBlank()) {
        continue; // cannot exist in the API; nothing to write a status to either
      }
      PolicyRef ref = PolicyRef.podGroup(namespace, name);
      findings.saw(ref);
      PodGroupSpec spec = resource.getSpec();
      if (spec == null) {
        findings.problem(ref, "spec is missing: a pod group needs spec.minMember");
        continue;
      }
      if (spec.minMember() == null) {
        findings.problem(ref, "minMember is required");
      } else if (spec.minMember() < 1) {
        findings.problem(ref, "minMember must be at least 1, was " + spec.minMember());
      }
      int timeout = spec.schedulingTimeoutSeconds() == null
          ? PodGroupSpec.DEFAULT_TIMEOUT_SECONDS
          : spec.schedulingTimeoutSeconds();
      if (timeout <= 0) {
        findings.problem(ref, "schedulingTimeoutSeconds must be positive, was " + timeout);
      }
      String project = spec.project();
      if (project != null) {
        if (project.isBlank()) {
          findings.problem(ref, "project is empty; leave it out to take the project from the namespace");
        } else {
          projects.check(ref, null, project);
          String owner = projectByNamespace.get(namespace);
          if (!findings.rejected(ref) && !project.equals(owner)) {
            findings.problem(ref, "project " + project + " does not own namespace " + namespace
                + (owner == null ? " (no project does)" : " (project " + owner + " does)")
                + "; a pod group's pods count against the project of their namespace: name that one or leave project out");
          }
        }
      }
      if (!findings.rejected(ref)) {
        PodGroup group = new PodGroup(namespace, name, spec.minMember(), project,
            spec.priorityClassName(), Duration.ofSeconds(timeout));
        accepted.put(group.key(), group);
      }
    }
    return accepted;
  }
}
