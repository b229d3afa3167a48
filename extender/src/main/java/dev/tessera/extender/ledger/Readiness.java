package dev.tessera.extender.ledger;

/**
 * Whether the extender may decide anything: set once nodes, pods and the scheduling-policy
 * resources have all been listed and the first project figures computed. Until then a full node
 * can look empty (node events arrive before the pods on it are listed) and an existing pod group
 * can look missing, so scheduling verbs wait for it instead of answering.
 */
public final class Readiness {
  private volatile boolean ready;
  private volatile boolean synced;

  public boolean ready() {
    return ready;
  }

  /** The cache is filled: this replica could decide, if it were the leader. */
  public boolean synced() {
    return synced;
  }

  /** Marks the cache filled; it stays so. */
  public void markSynced() {
    synced = true;
  }

  /** Marks the extender ready; it stays so. */
  public void markReady() {
    ready = true;
  }
}
