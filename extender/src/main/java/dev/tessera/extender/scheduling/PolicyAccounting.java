package dev.tessera.extender.scheduling;

import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.model.Department;
import dev.tessera.extender.model.PoolQuota;
import dev.tessera.extender.model.Project;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Computes every project's figures in every pool from the policy, the GPU ledger and the pending
 * demand: what it deserves, holds and waits for, and its {@link FairShare} of the pool. Pure.
 *
 * <p>A pool's capacity for fair sharing is its healthy GPUs less what pods outside any project
 * hold: those GPUs are not there to share. Its idle GPUs are those free that no project below its
 * fair share is waiting for: only those may go to a project above its fair share.
 */
public final class PolicyAccounting {
  /** GPUs a pending pod asks for, counted in the pool it most prefers. */
  public record PendingDemand(String namespace, String pool, double gpus) {}

  private PolicyAccounting() {}

  /** From scratch; {@link #compute(Policy, LedgerTotals, Collection, long)} reuses earlier work. */
  public static PolicySnapshot compute(
      Policy policy, ClusterSnapshot cluster, Collection<PendingDemand> pending) {
    LedgerTotals totals = new LedgerTotals();
    totals.update(cluster);
    return compute(policy, totals, pending, cluster.version());
  }

  /**
   * @param totals what the ledger holds, already brought up to date with the snapshot whose
   *     version is {@code clusterVersion}
   */
  public static PolicySnapshot compute(
      Policy policy, LedgerTotals totals, Collection<PendingDemand> pending, long clusterVersion) {
    List<String> pools = policy.poolNames();
    Map<String, Integer> poolIndex = new HashMap<>();
    for (int i = 0; i < pools.size(); i++) {
      poolIndex.put(pools.get(i), i);
    }
    List<Project> projects = new ArrayList<>(policy.projects().values());
    projects.sort((a, b) -> a.name().compareTo(b.name()));
    Map<String, Integer> projectByNamespace = new HashMap<>();
    Map<String, Project> projectObjectByNamespace = new HashMap<>();
    for (int j = 0; j < projects.size(); j++) {
      for (String namespace : projects.get(j).namespaces()) {
        projectByNamespace.put(namespace, j);
        projectObjectByNamespace.put(namespace, projects.get(j));
      }
    }
    int poolCount = pools.size();
    double[] capacity = new double[poolCount];
    double[] unmanaged = new double[poolCount];
    double[][] allocated = new double[projects.size()][poolCount];
    double[][] waiting = new double[projects.size()][poolCount];

    for (int p = 0; p < poolCount; p++) {
      capacity[p] = totals.capacity(pools.get(p));
      for (Map.Entry<String, Long> held : totals.heldIn(pools.get(p)).entrySet()) {
        double gpus = LedgerTotals.gpus(held.getValue());
        Integer j = projectByNamespace.get(held.getKey());
        if (j == null) {
          unmanaged[p] += gpus;
        } else {
          allocated[j][p] += gpus;
        }
      }
    }
    for (PendingDemand demand : pending) {
      Integer j = projectByNamespace.get(demand.namespace());
      Integer p = poolIndex.get(demand.pool());
      if (j != null && p != null) {
        waiting[j][p] += demand.gpus();
      }
    }

    List<String> departmentNames = new ArrayList<>(policy.departments().keySet());
    departmentNames.sort(String::compareTo);
    Map<String, Integer> departmentIndex = new HashMap<>();
    for (int k = 0; k < departmentNames.size(); k++) {
      departmentIndex.put(departmentNames.get(k), k);
    }

    Map<String, Map<String, ProjectFigures>> figures = new HashMap<>();
    projects.forEach(project -> figures.put(project.name(), new HashMap<>()));
    Map<String, Double> capacityByPool = new HashMap<>();
    Map<String, Double> idleByPool = new HashMap<>();
    Map<String, Double> departmentRoom = new HashMap<>();
    FairShare.Claim[] claims = new FairShare.Claim[projects.size()];
    double[] departmentQuota = new double[departmentNames.size()];
    for (int p = 0; p < poolCount; p++) {
      String pool = pools.get(p);
      capacityByPool.put(pool, capacity[p]);
      for (int k = 0; k < departmentNames.size(); k++) {
        Department department = policy.departments().get(departmentNames.get(k));
        departmentQuota[k] = department.quota(pool);
      }
      for (int j = 0; j < projects.size(); j++) {
        Project project = projects.get(j);
        PoolQuota quota = project.quota(pool);
        Integer department = project.department() == null ? null : departmentIndex.get(project.department());
        claims[j] = new FairShare.Claim(
            quota.deserved(),
            quota.overQuotaWeight(),
            quota.limit(),
            project.overQuotaAllowed(),
            allocated[j][p] + waiting[j][p],
            department == null ? -1 : department);
      }
      double[] shares = FairShare.compute(Math.max(0, capacity[p] - unmanaged[p]), claims, departmentQuota);
      double held = unmanaged[p];
      double wantedWithinShare = 0;
      for (int j = 0; j < projects.size(); j++) {
        held += allocated[j][p];
        wantedWithinShare += Math.min(waiting[j][p], Math.max(0, shares[j] - allocated[j][p]));
      }
      idleByPool.put(pool, Math.max(0, capacity[p] - held - wantedWithinShare));
      double[] departmentHeld = new double[departmentNames.size()];
      for (int j = 0; j < projects.size(); j++) {
        Integer k = projects.get(j).department() == null ? null : departmentIndex.get(projects.get(j).department());
        if (k != null) {
          departmentHeld[k] += allocated[j][p];
        }
      }
      for (int k = 0; k < departmentNames.size(); k++) {
        if (departmentQuota[k] != PoolQuota.UNLIMITED) {
          departmentRoom.put(PolicySnapshot.departmentKey(departmentNames.get(k), pool), departmentQuota[k] - departmentHeld[k]);
        }
      }
      for (int j = 0; j < projects.size(); j++) {
        PoolQuota quota = projects.get(j).quota(pool);
        figures.get(projects.get(j).name()).put(
            pool, new ProjectFigures(quota.deserved(), quota.limit(), shares[j], allocated[j][p], waiting[j][p]));
      }
    }
    Map<String, Map<String, ProjectFigures>> frozen = new HashMap<>();
    figures.forEach((project, byPool) -> frozen.put(project, Map.copyOf(byPool)));
    return new PolicySnapshot(policy, projectObjectByNamespace, frozen, capacityByPool, idleByPool, departmentRoom, clusterVersion);
  }

  /** GPUs an allocation holds: each whole GPU counts 1, each share its fraction. */
  public static double gpusHeld(Allocation allocation) {
    if (allocation.assignment().exclusive()) {
      return allocation.assignment().shares().size();
    }
    double sum = 0;
    for (GpuShare share : allocation.assignment().shares()) {
      sum += share.fraction();
    }
    return sum;
  }
}
