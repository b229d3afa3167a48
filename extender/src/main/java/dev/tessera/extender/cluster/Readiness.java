package dev.tessera.extender.cluster;

/**
 * Whether the extender may decide anything: set once nodes, pods and the scheduling-policy
 * resources have all been listed and the first project figures computed. Until then a full node
 * can look empty (node events arrive before the pods on it are listed) and an existing pod group
 * can look missing, so scheduling verbs wait for it instead of answering.
 */
public final class Readiness {
  private volatile boolean ready;

  public boolean ready() {
    return ready;
  }

  /** Marks the extender ready; it stays so. */
  public void markReady() {
    ready = true;
  }
}
