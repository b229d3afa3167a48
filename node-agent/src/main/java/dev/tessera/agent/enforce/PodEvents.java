package dev.tessera.agent.enforce;

import dev.tessera.agent.deviceplugin.ClaimRecord;

/** Where the agent tells a pod's owner what it did to the pod: Kubernetes events on the pod. */
@FunctionalInterface
public interface PodEvents {

  /** Records a Warning event on the pod. Must not block: called on the guard's thread. */
  void warning(ClaimRecord pod, String reason, String message);
}
