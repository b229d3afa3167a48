package dev.tessera.console.catalog;

import dev.tessera.api.WellKnown;
import dev.tessera.api.policy.NodePoolResource;
import dev.tessera.api.policy.ProjectResource;
import dev.tessera.api.policy.ProjectSpec;
import dev.tessera.api.policy.WorkloadPolicyResource;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.controller.workloads.policy.EffectivePolicy;
import dev.tessera.controller.workloads.policy.NamedPolicy;
import dev.tessera.controller.workloads.policy.WorkloadPolicies;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a new workload can be in and must keep to: the projects with their namespaces and node
 * pools, the cluster's node pools, and the workload policies, kept current from the informers'
 * events. As in {@link WorkloadCatalog}, one thread owns the objects and applies each event in
 * arrival order; after each it publishes an immutable {@link Snapshot}, so a request reads one
 * consistent view with a single volatile read and never waits for a lock.
 */
public final class ProjectDirectory implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProjectDirectory.class);

  private final ExecutorService owner =
      Executors.newSingleThreadExecutor(new DefaultThreadFactory("tessera-console-projects", true));

  // Owned by the directory's thread.
  private final Map<String, ProjectSpec> projects = new HashMap<>();
  private final Set<String> pools = new TreeSet<>();
  private final Map<String, NamedPolicy> policies = new HashMap<>();
  private WorkloadPolicies workloadPolicies = WorkloadPolicies.NONE;

  private volatile Snapshot snapshot = Snapshot.EMPTY;

  /**
   * The directory at one moment.
   *
   * @param projects every project, sorted by name
   * @param nodePools every node pool of the cluster, {@value WellKnown#DEFAULT_POOL} first (the
   *     nodes no NodePool selects), then the NodePools by name
   * @param projectOfNamespace the project owning each namespace; a namespace two projects claim is
   *     in neither, as the extender rejects both
   * @param policies the workload policies, validated as the controller validates them
   */
  public record Snapshot(List<ProjectEntry> projects, List<String> nodePools, Map<String, String> projectOfNamespace,
      WorkloadPolicies policies) {
    static final Snapshot EMPTY =
        new Snapshot(List.of(), List.of(WellKnown.DEFAULT_POOL), Map.of(), WorkloadPolicies.NONE);

    public Snapshot {
      projects = List.copyOf(projects);
      nodePools = List.copyOf(nodePools);
      projectOfNamespace = Map.copyOf(projectOfNamespace);
      Objects.requireNonNull(policies, "policies");
    }

    /** The project owning {@code namespace}, or null for none. */
    public String projectOf(String namespace) {
      return projectOfNamespace.get(namespace);
    }

    /**
     * The policy a workload of {@code kind} in {@code namespace} is admitted under: the
     * controller's own merge, for the namespace's project (only the global policies where the
     * namespace is in none).
     */
    public EffectivePolicy policy(WorkloadKind kind, String namespace) {
      return policies.effective(kind, projectOf(namespace));
    }
  }

  /** The directory as of the last event applied. */
  public Snapshot now() {
    return snapshot;
  }

  public void projectChanged(ProjectResource project) {
    String name = project.getMetadata().getName();
    apply("a project's change", () -> {
      boolean known = projects.containsKey(name);
      ProjectSpec before = projects.put(name, project.getSpec());
      return !known || !Objects.equals(before, project.getSpec());
    });
  }

  public void projectDeleted(ProjectResource project) {
    String name = project.getMetadata().getName();
    apply("a project's deletion", () -> {
      boolean known = projects.containsKey(name);
      projects.remove(name);
      return known;
    });
  }

  public void nodePoolChanged(NodePoolResource pool) {
    apply("a node pool's change", () -> pools.add(pool.getMetadata().getName()));
  }

  public void nodePoolDeleted(NodePoolResource pool) {
    apply("a node pool's deletion", () -> pools.remove(pool.getMetadata().getName()));
  }

  public void policyChanged(WorkloadPolicyResource policy) {
    String name = policy.getMetadata().getName();
    // As the controller reads them: a policy without a spec is no policy.
    NamedPolicy named = policy.getSpec() == null ? null : NamedPolicy.of(policy);
    apply("a workload policy's change", () -> {
      NamedPolicy before = named == null ? policies.remove(name) : policies.put(name, named);
      return !Objects.equals(before, named) && revalidate();
    });
  }

  public void policyDeleted(WorkloadPolicyResource policy) {
    apply("a workload policy's deletion", () -> policies.remove(policy.getMetadata().getName()) != null
        && revalidate());
  }

  /** Validates the policies again, as the controller does on every change of one; always true. */
  private boolean revalidate() {
    workloadPolicies = WorkloadPolicies.of(policies.values());
    return true;
  }

  /** Runs {@code task} on the directory's thread after every event handed over before it: for tests. */
  public void afterPending(Runnable task) {
    owner.execute(task);
  }

  /**
   * Applies a change on the directory's thread and publishes a new snapshot when it changed
   * anything: a resync's updates, which change nothing, cost a map lookup each.
   */
  private void apply(String what, BooleanSupplier change) {
    owner.execute(() -> {
      try {
        if (change.getAsBoolean()) {
          snapshot = snapshot();
        }
      } catch (RuntimeException e) {
        // One bad object must not stop the thread every later event waits on.
        log.error("could not apply {} to the projects' directory; the next event of that object tries again", what,
            e);
      }
    });
  }

  private Snapshot snapshot() {
    List<String> allPools = new ArrayList<>();
    allPools.add(WellKnown.DEFAULT_POOL);
    pools.stream().filter(pool -> !pool.equals(WellKnown.DEFAULT_POOL)).forEach(allPools::add);
    Map<String, Set<String>> claims = new HashMap<>();
    List<ProjectEntry> entries = new ArrayList<>();
    new TreeMap<>(projects).forEach((name, spec) -> {
      List<String> namespaces = spec == null || spec.namespaces() == null ? List.of()
          : spec.namespaces().stream().filter(Objects::nonNull).distinct().toList();
      namespaces.forEach(namespace -> claims.computeIfAbsent(namespace, k -> new TreeSet<>()).add(name));
      entries.add(new ProjectEntry(name, namespaces, spec == null ? null : spec.department(),
          poolsOf(spec, allPools)));
    });
    Map<String, String> projectOfNamespace = new HashMap<>();
    claims.forEach((namespace, owners) -> {
      if (owners.size() == 1) {
        projectOfNamespace.put(namespace, owners.iterator().next());
      }
    });
    return new Snapshot(entries, allPools, projectOfNamespace, workloadPolicies);
  }

  /**
   * The pools a project's workloads can name. The extender lets a pod name any pool that exists;
   * a project gets quota only in the pools its spec lists, so those are the ones it means its
   * workloads to use. A pool it lists that does not exist is left out (a pod naming it is refused).
   */
  private static List<String> poolsOf(ProjectSpec spec, List<String> allPools) {
    Set<String> named = new LinkedHashSet<>();
    if (spec != null && spec.quotas() != null) {
      for (ProjectSpec.Quota quota : spec.quotas()) {
        if (quota != null && quota.nodePool() != null && allPools.contains(quota.nodePool())) {
          named.add(quota.nodePool());
        }
      }
    }
    return named.isEmpty() ? allPools : List.copyOf(named);
  }

  @Override
  public void close() {
    owner.shutdownNow();
  }
}
