package dev.tessera.extender.ledger;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.model.PodGroup;
import dev.tessera.extender.model.Project;
import dev.tessera.extender.scheduling.Allocation;
import dev.tessera.extender.scheduling.ClusterSnapshot;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.scheduling.PolicyAccounting;
import dev.tessera.extender.scheduling.PolicySnapshot;
import dev.tessera.extender.scheduling.ProjectFigures;
import dev.tessera.extender.scheduling.RunningPod;
import dev.tessera.extender.scheduling.Standing;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Bound pods as victim choice sees them ({@link RunningPod}), from the pod index, the ledger and
 * the policy: GPUs held come from the ledger, the pool from the node, the project from the
 * namespace ("" when none owns it).
 */
public final class RunningPods {
  private final Map<String, List<RunningPod>> byNode = new HashMap<>();
  private final Map<String, List<RunningPod>> byGang = new HashMap<>();
  private final Map<String, RunningPod> byUid = new HashMap<>();

  private RunningPods() {}

  public static RunningPods of(PodIndex pods, ClusterSnapshot cluster, PolicySnapshot policy) {
    RunningPods running = new RunningPods();
    for (PodIndex.IndexedPod pod : pods.all()) {
      RunningPod view = view(pod, cluster, policy);
      if (view == null) {
        continue;
      }
      running.byUid.put(view.uid(), view);
      running.byNode.computeIfAbsent(view.node(), n -> new ArrayList<>()).add(view);
      if (view.gang() != null) {
        running.byGang.computeIfAbsent(view.gang(), g -> new ArrayList<>()).add(view);
      }
    }
    return running;
  }

  /** The pod as a victim, or null when it is not bound and running. */
  static RunningPod view(PodIndex.IndexedPod pod, ClusterSnapshot cluster, PolicySnapshot policy) {
    if (pod.pending() || pod.finished()) {
      return null;
    }
    NodeState node = cluster.node(pod.node());
    String pool = node == null ? WellKnown.DEFAULT_POOL : node.node().pool();
    Allocation held = node == null ? null : node.allocations().get(pod.key().uid());
    double gpus = held != null ? PolicyAccounting.gpusHeld(held) : 0;
    Project project = policy.projectOf(pod.key().namespace());
    PodGroup group = pod.traits().gang() == null ? null : policy.podGroup(pod.traits().gang());
    return new RunningPod(
        pod.key(),
        pod.node(),
        project == null ? "" : project.name(),
        pool,
        gpus,
        pod.priority(project == null ? 0 : project.defaultPriority()),
        pod.traits().preemptible(),
        pod.traits().gang(),
        pod.created(),
        pod.traits().elastic(),
        group == null ? 0 : group.minMember());
  }

  public Map<String, List<RunningPod>> byNode() {
    return byNode;
  }

  public Map<String, List<RunningPod>> byGang() {
    return byGang;
  }

  public java.util.Collection<RunningPod> all() {
    return byUid.values();
  }

  public RunningPod get(String uid) {
    return byUid.get(uid);
  }

  /** Every project's standing in the pool. */
  public static Map<String, Standing> standings(PolicySnapshot policy, String pool) {
    Map<String, Standing> standings = new HashMap<>();
    for (String project : policy.policy().projects().keySet()) {
      ProjectFigures figures = policy.figures(project, pool);
      standings.put(project, new Standing(figures.deserved(), figures.fairShare(), figures.allocated()));
    }
    return standings;
  }
}
