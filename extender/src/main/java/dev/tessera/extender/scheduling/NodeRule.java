package dev.tessera.extender.scheduling;

import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.model.Project;

/**
 * One of filter's placement rules, as kube-scheduler's framework has one small plugin per
 * extension point: whether a node may take the pod. A rule is prepared once per filter call
 * ({@link #forPod}) and its check then runs for every node kube-scheduler sent, so the check must
 * not allocate on the passing path. {@link NodeRules} composes the rules in order.
 */
public interface NodeRule {
  /**
   * This rule's check of the nodes for one pod, or null when the rule has nothing to say about
   * this pod (then it costs nothing per node).
   */
  NodeCheck forPod(Candidate pod);

  /** The check of one node for the pod the rule was prepared for. */
  @FunctionalInterface
  interface NodeCheck {
    /** Null when the node passes this rule; otherwise why not. */
    Refusal check(NodeState node);
  }

  /**
   * What the rules may know of the pod being filtered, read once per call.
   *
   * @param project the project of the pod's namespace, null when it has none
   * @param memo the reasons already built for this request during this call (one per thread)
   */
  record Candidate(
      PodKey key, int priority, GpuRequest request, PodTraits traits, Project project, PolicySnapshot policy,
      FailureMemo memo) {}
}
