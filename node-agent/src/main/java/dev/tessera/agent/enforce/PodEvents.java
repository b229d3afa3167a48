package dev.tessera.agent.enforce;

import dev.tessera.agent.deviceplugin.ClaimRecord;

/** Where the agent tells a pod's owner what it did to the pod: Kubernetes events on the pod. */
@FunctionalInterface
public interface PodEvents {
  /** Records nothing: outside a cluster, and in tests that only read the log. */
  PodEvents NONE = (pod, reason, message) -> {};

  /** Records a Warning event on the pod. Must not block: called on the guard's thread. */
  void warning(ClaimRecord pod, String reason, String message);

  /**
   * Records a Normal event on the pod: something the agent did for it or its neighbours that its
   * owner may want to know of, not a problem. Must not block. Recorders that only keep warnings
   * (tests of warnings) drop these.
   */
  default void normal(ClaimRecord pod, String reason, String message) {}
}
