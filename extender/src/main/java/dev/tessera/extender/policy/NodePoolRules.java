package dev.tessera.extender.policy;

import dev.tessera.api.WellKnown;
import dev.tessera.api.policy.NodePoolResource;
import dev.tessera.api.policy.NodePoolSpec;
import dev.tessera.api.policy.PolicyRef;
import dev.tessera.extender.model.NodePool;
import dev.tessera.extender.model.PlacementStrategy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Node pools: each spec on its own, then the pools against each other. Two pools whose selectors
 * could both match one node are both rejected, naming each other: the node's pool, and so the quota
 * its GPUs count against, would otherwise depend on which pool is looked at first.
 */
final class NodePoolRules {
  /** Nodes named in one overlap message at most; the rest are counted. */
  static final int NODES_NAMED = 3;

  private NodePoolRules() {}

  /** Validates the pools and returns the accepted ones, by name. */
  static List<NodePool> check(
      List<NodePoolResource> resources, Map<String, Map<String, String>> nodeLabels, Findings findings) {
    // Pools whose selector is usable take part in the overlap checks, even when rejected for
    // something else: the overlap is real and fixing the other problem would not remove it.
    Map<String, NodePool> candidates = new TreeMap<>();
    for (NodePoolResource resource : resources) {
      String name = resource.getMetadata().getName();
      PolicyRef ref = PolicyRef.nodePool(name);
      findings.saw(ref);
      NodePool pool = read(ref, resource.getSpec(), findings);
      if (WellKnown.DEFAULT_POOL.equals(name)) {
        findings.problem(ref, "the name '" + WellKnown.DEFAULT_POOL + "' is reserved for the nodes no pool"
            + " selects; give this pool another name");
      }
      if (pool != null) {
        candidates.put(name, pool);
      }
    }
    checkSelectorOverlaps(candidates, findings);
    checkNodeOverlaps(candidates, nodeLabels, findings);

    List<NodePool> accepted = new ArrayList<>();
    for (NodePool pool : candidates.values()) {
      if (!findings.rejected(PolicyRef.nodePool(pool.name()))) {
        accepted.add(pool);
      }
    }
    return accepted;
  }

  /** The pool the spec describes (placement defaulted where invalid), or null without a usable selector. */
  private static NodePool read(PolicyRef ref, NodePoolSpec spec, Findings findings) {
    if (spec == null) {
      findings.problem(ref, "spec is missing: a node pool needs spec.nodeSelector");
      return null;
    }
    PlacementStrategy gpu = placement(ref, "gpuPlacement", spec.gpuPlacement(), PlacementStrategy.BINPACK, findings);
    PlacementStrategy cpu = placement(ref, "cpuPlacement", spec.cpuPlacement(), PlacementStrategy.SPREAD, findings);
    Map<String, String> selector = spec.nodeSelector();
    if (selector == null || selector.isEmpty()) {
      findings.problem(ref, "nodeSelector is empty: a pool must select its nodes by at least one label"
          + " (an empty selector would take every node)");
      return null;
    }
    boolean usable = true;
    for (Map.Entry<String, String> e : selector.entrySet()) {
      if (e.getKey() == null || e.getKey().isBlank()) {
        findings.problem(ref, "nodeSelector has an empty label name");
        usable = false;
      } else if (e.getValue() == null) {
        findings.problem(ref, "nodeSelector label " + e.getKey() + " has no value");
        usable = false;
      }
    }
    return usable ? new NodePool(ref.name(), selector, gpu, cpu) : null;
  }

  private static PlacementStrategy placement(
      PolicyRef ref, String field, String value, PlacementStrategy otherwise, Findings findings) {
    if (value == null) {
      return otherwise;
    }
    try {
      return PlacementStrategy.parse(value);
    } catch (IllegalArgumentException e) {
      findings.problem(ref, field + " '" + value + "' is not binpack or spread");
      return otherwise;
    }
  }

  private static void checkSelectorOverlaps(Map<String, NodePool> pools, Findings findings) {
    List<NodePool> list = new ArrayList<>(pools.values());
    for (int i = 0; i < list.size(); i++) {
      for (int j = i + 1; j < list.size(); j++) {
        NodePool a = list.get(i);
        NodePool b = list.get(j);
        if (a.overlaps(b)) {
          findings.problem(PolicyRef.nodePool(a.name()), selectorOverlap(a, b));
          findings.problem(PolicyRef.nodePool(b.name()), selectorOverlap(b, a));
        }
      }
    }
  }

  private static String selectorOverlap(NodePool self, NodePool other) {
    return "nodeSelector " + new TreeMap<>(self.nodeSelector()) + " overlaps node pool " + other.name()
        + "'s " + new TreeMap<>(other.nodeSelector()) + ": a node with both sets of labels would be in"
        + " both pools; make the selectors ask for different values of one label";
  }

  private static void checkNodeOverlaps(
      Map<String, NodePool> pools, Map<String, Map<String, String>> nodeLabels, Findings findings) {
    if (pools.size() < 2 || nodeLabels.isEmpty()) {
      return;
    }
    // pool name -> other pool name -> nodes both select
    Map<String, Map<String, TreeSet<String>>> shared = new TreeMap<>();
    List<String> matching = new ArrayList<>();
    for (Map.Entry<String, Map<String, String>> node : nodeLabels.entrySet()) {
      Map<String, String> labels = node.getValue() == null ? Map.of() : node.getValue();
      matching.clear();
      for (NodePool pool : pools.values()) {
        if (pool.selects(labels)) {
          matching.add(pool.name());
        }
      }
      for (String a : matching) {
        for (String b : matching) {
          if (!a.equals(b)) {
            shared.computeIfAbsent(a, k -> new TreeMap<>()).computeIfAbsent(b, k -> new TreeSet<>()).add(node.getKey());
          }
        }
      }
    }
    shared.forEach((pool, others) -> others.forEach((other, nodes) ->
        findings.problem(PolicyRef.nodePool(pool), (nodes.size() == 1 ? "node " : "nodes ") + named(nodes)
            + (nodes.size() == 1 ? " matches" : " match") + " both this pool and node pool " + other + "; a node must be in one pool only")));
  }

  private static String named(TreeSet<String> nodes) {
    List<String> first = new ArrayList<>();
    for (String node : nodes) {
      if (first.size() == NODES_NAMED) {
        break;
      }
      first.add(node);
    }
    String text = String.join(", ", first);
    return nodes.size() > NODES_NAMED ? text + " and " + (nodes.size() - NODES_NAMED) + " more" : text;
  }
}
