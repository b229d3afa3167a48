package dev.tessera.extender.scheduling;

import dev.tessera.extender.model.NodePool;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.model.PodGroup;
import dev.tessera.extender.model.PoolQuota;
import dev.tessera.extender.model.Project;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The policy and every project's figures per pool at one moment: what quota admission, reclaim
 * and the metrics read. Immutable; a new one is published after every recomputation.
 */
public final class PolicySnapshot {
  public static final PolicySnapshot EMPTY =
      new PolicySnapshot(Policy.EMPTY, Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), 0);

  private final Policy policy;
  private final Map<String, Project> projectsByNamespace;
  /** Project name to pool name to figures; every project has every pool. */
  private final Map<String, Map<String, ProjectFigures>> figures;
  private final Map<String, Double> capacity;
  private final Map<String, Double> idle;
  /** "department\npool" to GPUs its quota still allows there; absent when not capped. */
  private final Map<String, Double> departmentRoom;
  private final long clusterVersion;

  PolicySnapshot(
      Policy policy,
      Map<String, Project> projectsByNamespace,
      Map<String, Map<String, ProjectFigures>> figures,
      Map<String, Double> capacity,
      Map<String, Double> idle,
      Map<String, Double> departmentRoom,
      long clusterVersion) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.projectsByNamespace = Map.copyOf(projectsByNamespace);
    this.figures = Map.copyOf(figures);
    this.capacity = Map.copyOf(capacity);
    this.idle = Map.copyOf(idle);
    this.departmentRoom = Map.copyOf(departmentRoom);
    this.clusterVersion = clusterVersion;
  }

  public Policy policy() {
    return policy;
  }

  /** The project owning the namespace, or null when none does (its pods are outside quotas). */
  public Project projectOf(String namespace) {
    return projectsByNamespace.get(namespace);
  }

  /** The project's figures in the pool; zeros with its quota when it has none computed yet. */
  public ProjectFigures figures(String project, String pool) {
    Map<String, ProjectFigures> byPool = figures.get(project);
    ProjectFigures known = byPool == null ? null : byPool.get(pool);
    if (known != null) {
      return known;
    }
    Project p = policy.projects().get(project);
    PoolQuota quota = p == null ? PoolQuota.NONE : p.quota(pool);
    return new ProjectFigures(quota.deserved(), quota.limit(), 0, 0, 0);
  }

  /** Every project's figures, by project then pool. */
  public Map<String, Map<String, ProjectFigures>> allFigures() {
    return figures;
  }

  /** Healthy GPUs per pool. */
  public Map<String, Double> capacity() {
    return capacity;
  }

  /**
   * GPUs of the pool that are free and that no project below its fair share is waiting for: what
   * projects above their fair share may use. Unlimited for a pool not computed (no projects).
   */
  public double idleGpus(String pool) {
    Double known = idle.get(pool);
    return known == null ? Double.POSITIVE_INFINITY : known;
  }

  /**
   * GPUs the department's quota in the pool still allows its projects together; unlimited when
   * the department does not cap the pool (or does not exist).
   */
  public double departmentRoom(String department, String pool) {
    Double room = department == null ? null : departmentRoom.get(departmentKey(department, pool));
    return room == null ? Double.POSITIVE_INFINITY : room;
  }

  static String departmentKey(String department, String pool) {
    return department + "\n" + pool;
  }

  /** How the pool places pods without GPUs; null for the default pool (no strategy of its own). */
  public PlacementStrategy cpuStrategy(String pool) {
    for (NodePool candidate : policy.pools()) {
      if (candidate.name().equals(pool)) {
        return candidate.cpuStrategy();
      }
    }
    return null;
  }

  public List<String> poolNames() {
    return policy.poolNames();
  }

  public PodGroup podGroup(String namespace, String name) {
    return policy.podGroups().get(namespace + "/" + name);
  }

  public PodGroup podGroup(String key) {
    return policy.podGroups().get(key);
  }

  /** The cluster snapshot version the allocations were read from. */
  public long clusterVersion() {
    return clusterVersion;
  }
}
