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
 *
 * <p>A pod the extender is binding, or has bound before the informer showed it, runs on the node of
 * its hold: otherwise a gang whose newest member was just bound looks smaller than it is, and victim
 * choice breaks it below its minimum to free GPUs an elastic member could have given.
 */
public final class RunningPods {
  private final Map<String, List<RunningPod>> byNode = new HashMap<>();
  private final Map<String, List<RunningPod>> byGang = new HashMap<>();
  private final Map<String, RunningPod> byUid = new HashMap<>();

  private RunningPods() {}

  public static RunningPods of(PodIndex pods, ClusterCache cache, ClusterSnapshot cluster, PolicySnapshot policy) {
    RunningPods running = new RunningPods();
    for (PodIndex.IndexedPod pod : pods.all()) {
      RunningPod view = view(pod, nodeOf(pod, cache), cluster, policy);
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

  /**
   * The node the pod runs on: the informer's, or for a pod it still shows pending, the node of a
   * bind under way or done; null when it is not bound.
   */
  private static String nodeOf(PodIndex.IndexedPod pod, ClusterCache cache) {
    if (!pod.pending()) {
      return pod.node();
    }
    ClusterCache.Stage stage = cache.stage(pod.key().uid());
    if (stage != ClusterCache.Stage.BINDING && stage != ClusterCache.Stage.BOUND) {
      return null;
    }
    Allocation hold = cache.allocation(pod.key().uid());
    return hold == null ? null : hold.node();
  }

  /** The pod as a victim on {@code nodeName}, or null when it is not bound ({@code nodeName} null) or finished. */
  private static RunningPod view(PodIndex.IndexedPod pod, String nodeName, ClusterSnapshot cluster, PolicySnapshot policy) {
    if (nodeName == null || pod.finished()) {
      return null;
    }
    NodeState node = cluster.node(nodeName);
    String pool = node == null ? WellKnown.DEFAULT_POOL : node.node().pool();
    Allocation held = node == null ? null : node.allocations().get(pod.key().uid());
    double gpus = held != null ? PolicyAccounting.gpusHeld(held) : 0;
    Project project = policy.projectOf(pod.key().namespace());
    PodGroup group = pod.traits().gang() == null ? null : policy.podGroup(pod.traits().gang());
    return new RunningPod(
        pod.key(),
        nodeName,
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
