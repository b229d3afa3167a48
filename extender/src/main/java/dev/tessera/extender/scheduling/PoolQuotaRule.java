package dev.tessera.extender.scheduling;

/**
 * The pod's node pools (annotation {@code tessera.dev/node-pools}) and its project's quota in the
 * node's pool ({@link QuotaAdmission}). Both are unresolvable: preempting pods on the node changes
 * neither. A node's verdict is its pool's, so it is decided once per pool per call.
 */
public final class PoolQuotaRule implements NodeRule {
  @Override
  public NodeCheck forPod(Candidate pod) {
    if (pod.project() == null && pod.traits().pools().isEmpty()) {
      return null;
    }
    return new PerPool(pod)::refusal;
  }

  /** The verdicts of one call, by pool. Pools are few: a short list compared by identity beats a map. */
  private static final class PerPool {
    private final Candidate pod;
    private final String[] pools = new String[8];
    private final Refusal[] verdicts = new Refusal[8];
    private int known;

    PerPool(Candidate pod) {
      this.pod = pod;
    }

    Refusal refusal(NodeState node) {
      String pool = node.node().pool();
      for (int k = 0; k < known; k++) {
        if (pools[k] == pool) {
          return verdicts[k];
        }
      }
      Refusal verdict = decide(pool, node);
      if (known < pools.length) {
        pools[known] = pool;
        verdicts[known++] = verdict;
      }
      return verdict;
    }

    private Refusal decide(String pool, NodeState node) {
      if (!pod.traits().pools().isEmpty() && !pod.traits().pools().contains(pool)) {
        return new Refusal(
            "node is in pool " + pool + "; the pod may use pools " + String.join(", ", pod.traits().pools()), true,
            ReasonClass.NODE_POOL);
      }
      if (pod.project() == null) {
        return null;
      }
      double gpus = pod.request().gpus(node.uniformMemoryMiB());
      String refusal = QuotaAdmission.refusal(pod.project(), pool, pod.policy(), gpus);
      return refusal == null ? null : new Refusal(refusal, true, ReasonClass.OVER_QUOTA);
    }
  }
}
