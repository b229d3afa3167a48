package dev.tessera.extender.gangs;

import dev.tessera.extender.model.Project;
import dev.tessera.extender.scheduling.GangPlanner;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.scheduling.PolicySnapshot;
import dev.tessera.extender.scheduling.QuotaAdmission;
import java.util.Collections;
import java.util.List;
import java.util.function.Predicate;

/**
 * Where a gang may go, as {@link GangCoordinator} plans it and {@link GangPreemptionController}
 * makes room for it: one pool at a time (a gang of a project stays in one pool, where its quota is
 * counted), within its project's quota there, and never on a node held for a gang of higher
 * priority.
 */
final class GangPools {
  private GangPools() {}

  /**
   * The pools to try, in order: the pod's own (most preferred first), else every pool for a gang
   * of a project, else one null that stands for any node.
   */
  static List<String> candidates(List<String> podPools, Project project, PolicySnapshot policy) {
    if (!podPools.isEmpty()) {
      return podPools;
    }
    return project != null ? policy.poolNames() : Collections.singletonList(null);
  }

  /** Why the project's quota in the pool keeps these members out, or null (always null outside a project or pool). */
  static String quotaRefusal(Project project, String pool, PolicySnapshot policy, List<GangPlanner.Member> members) {
    if (project == null || pool == null) {
      return null;
    }
    double gpus = 0;
    for (GangPlanner.Member member : members) {
      gpus += member.request().gpus(0);
    }
    return QuotaAdmission.refusal(project, pool, policy, gpus);
  }

  /** The nodes a gang of {@code priority} may use in the pool (any pool when null). */
  static Predicate<NodeState> nodes(String pool, int priority, PreemptionClaims claims) {
    return node -> (pool == null || node.node().pool().equals(pool)) && claims.refusal(node.name(), priority) == null;
  }
}
