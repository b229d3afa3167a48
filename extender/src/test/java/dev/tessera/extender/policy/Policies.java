package dev.tessera.extender.policy;

import dev.tessera.api.policy.DepartmentResource;
import dev.tessera.api.policy.DepartmentSpec;
import dev.tessera.api.policy.NodePoolResource;
import dev.tessera.api.policy.NodePoolSpec;
import dev.tessera.api.policy.PodGroupResource;
import dev.tessera.api.policy.PodGroupSpec;
import dev.tessera.api.policy.ProjectResource;
import dev.tessera.api.policy.ProjectSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Policy objects for tests, built the way a user writes them (absent fields stay absent). */
public final class Policies {
  private Policies() {}

  public static NodePoolResource pool(String name, String... selector) {
    return placedPool(name, null, null, selector);
  }

  public static NodePoolResource placedPool(String name, String gpuPlacement, String cpuPlacement, String... selector) {
    Map<String, String> labels = new LinkedHashMap<>();
    for (int i = 0; i + 1 < selector.length; i += 2) {
      labels.put(selector[i], selector[i + 1]);
    }
    NodePoolResource r = new NodePoolResource();
    r.setMetadata(new ObjectMetaBuilder().withName(name).build());
    r.setSpec(new NodePoolSpec(labels, gpuPlacement, cpuPlacement));
    return r;
  }

  public static DepartmentResource department(String name, DepartmentSpec.Quota... quotas) {
    DepartmentResource r = new DepartmentResource();
    r.setMetadata(new ObjectMetaBuilder().withName(name).build());
    r.setSpec(new DepartmentSpec(List.of(quotas)));
    return r;
  }

  public static DepartmentSpec.Quota cap(String pool, Double gpus) {
    return new DepartmentSpec.Quota(pool, gpus);
  }

  public static ProjectSpec.Quota quota(String pool, Double deserved) {
    return new ProjectSpec.Quota(pool, deserved, null, null);
  }

  public static ProjectSpec.Quota quota(String pool, Double deserved, Double weight, Double limit) {
    return new ProjectSpec.Quota(pool, deserved, weight, limit);
  }

  public static MakeProject project(String name) {
    return new MakeProject(name);
  }

  public static PodGroupResource podGroup(String namespace, String name, Integer minMember, String project, Integer timeout) {
    PodGroupResource r = new PodGroupResource();
    r.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
    r.setSpec(new PodGroupSpec(minMember, project, null, timeout));
    return r;
  }

  /** A Project, field by field. */
  public static final class MakeProject {
    private final String name;
    private List<String> namespaces;
    private String department;
    private final List<ProjectSpec.Quota> quotas = new ArrayList<>();
    private Integer priority;
    private Boolean overQuotaAllowed;

    MakeProject(String name) {
      this.name = name;
    }

    public MakeProject namespaces(String... namespaces) {
      this.namespaces = Arrays.asList(namespaces);
      return this;
    }

    public MakeProject department(String department) {
      this.department = department;
      return this;
    }

    public MakeProject quota(ProjectSpec.Quota quota) {
      quotas.add(quota);
      return this;
    }

    public MakeProject priority(int priority) {
      this.priority = priority;
      return this;
    }

    public MakeProject overQuotaAllowed(boolean allowed) {
      this.overQuotaAllowed = allowed;
      return this;
    }

    public ProjectResource obj() {
      ProjectResource r = new ProjectResource();
      r.setMetadata(new ObjectMetaBuilder().withName(name).build());
      r.setSpec(new ProjectSpec(namespaces, department, quotas.isEmpty() ? null : List.copyOf(quotas), priority,
          overQuotaAllowed, null));
      return r;
    }
  }
}
