package dev.tessera.extender.scheduling;

import java.util.ArrayList;
import java.util.List;

/**
 * Filter's placement rules in order. Every rule that has something to say about the pod checks
 * each node; the verdict is the first unresolvable refusal if any rule gave one (preemption on the
 * node could not help, so kube-scheduler must not try it), else the first refusal in rule order.
 */
public final class NodeRules {
  private final List<NodeRule> rules;

  public NodeRules(List<NodeRule> rules) {
    this.rules = List.copyOf(rules);
  }

  /** The rules' checks for one pod: call once per filter call, then {@link Checks#check} per node. */
  public Checks forPod(NodeRule.Candidate pod) {
    List<NodeRule.NodeCheck> checks = new ArrayList<>(rules.size());
    for (NodeRule rule : rules) {
      NodeRule.NodeCheck check = rule.forPod(pod);
      if (check != null) {
        checks.add(check);
      }
    }
    return new Checks(checks.toArray(NodeRule.NodeCheck[]::new));
  }

  /** The prepared checks of one filter call. */
  public static final class Checks {
    private final NodeRule.NodeCheck[] checks;

    private Checks(NodeRule.NodeCheck[] checks) {
      this.checks = checks;
    }

    /** Null when every rule lets the node take the pod; otherwise the refusal that decides. */
    public Refusal check(NodeState node) {
      Refusal first = null;
      for (NodeRule.NodeCheck check : checks) {
        Refusal refusal = check.check(node);
        if (refusal != null) {
          if (refusal.unresolvable()) {
            return refusal;
          }
          if (first == null) {
            first = refusal;
          }
        }
      }
      return first;
    }
  }
}
