package dev.tessera.extender.workloads;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Policy objects for tests, built the way a user writes them (absent fields stay absent). */
final class Policies {
  private Policies() {}

  static NodePoolResource pool(String name, String... selector) {
    return placedPool(name, null, null, selector);
  }

  static NodePoolResource placedPool(String name, String gpuPlacement, String cpuPlacement, String... selector) {
    Map<String, String> labels = new LinkedHashMap<>();
    for (int i = 0; i + 1 < selector.length; i += 2) {
      labels.put(selector[i], selector[i + 1]);
    }
    NodePoolResource r = new NodePoolResource();
    r.setMetadata(new ObjectMetaBuilder().withName(name).build());
    r.setSpec(new NodePoolSpec(labels, gpuPlacement, cpuPlacement));
    return r;
  }

  static DepartmentResource department(String name, DepartmentSpec.Quota... quotas) {
    DepartmentResource r = new DepartmentResource();
    r.setMetadata(new ObjectMetaBuilder().withName(name).build());
    r.setSpec(new DepartmentSpec(List.of(quotas)));
    return r;
  }

  static DepartmentSpec.Quota cap(String pool, Double gpus) {
    return new DepartmentSpec.Quota(pool, gpus);
  }

  static ProjectSpec.Quota quota(String pool, Double deserved) {
    return new ProjectSpec.Quota(pool, deserved, null, null);
  }

  static ProjectSpec.Quota quota(String pool, Double deserved, Double weight, Double limit) {
    return new ProjectSpec.Quota(pool, deserved, weight, limit);
  }

  static MakeProject project(String name) {
    return new MakeProject(name);
  }

  static PodGroupResource podGroup(String namespace, String name, Integer minMember, String project, Integer timeout) {
    PodGroupResource r = new PodGroupResource();
    r.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
    r.setSpec(new PodGroupSpec(minMember, project, null, timeout));
    return r;
  }

  /** A Project, field by field. */
  static final class MakeProject {
    private final String name;
    private List<String> namespaces;
    private String department;
    private final List<ProjectSpec.Quota> quotas = new ArrayList<>();
    private Integer priority;
    private Boolean overQuotaAllowed;

    MakeProject(String name) {
      this.name = name;
    }

    MakeProject namespaces(String... namespaces) {
      this.namespaces = Arrays.asList(namespaces);
      return this;
    }

    MakeProject department(String department) {
      this.department = department;
      return this;
    }

    MakeProject quota(ProjectSpec.Quota quota) {
      quotas.add(quota);
      return this;
    }

    MakeProject priority(int priority) {
      this.priority = priority;
      return this;
    }

    MakeProject overQuotaAllowed(boolean allowed) {
      this.overQuotaAllowed = allowed;
      return this;
    }

    ProjectResource obj() {
      ProjectResource r = new ProjectResource();
      r.setMetadata(new ObjectMetaBuilder().withName(name).build());
      r.setSpec(new ProjectSpec(namespaces, department, quotas.isEmpty() ? null : List.copyOf(quotas), priority,
          overQuotaAllowed));
      return r;
    }
  }
}
