package dev.tessera.extender.actions;

import dev.tessera.extender.model.PodKey;

/**
 * Tells a pod's owner what the extender did with it, as Kubernetes events on the pod
 * ({@code kubectl describe pod}). Implementations must not block the caller: filter and bind call
 * this on their hot paths.
 */
public interface PodEvents {
  /** Something is wrong with the pod that its owner should fix or know (type Warning). */
  void warn(PodKey pod, String reason, String message);

  /** Something the extender did with the pod (type Normal). */
  void normal(PodKey pod, String reason, String message);

  /** Records nothing: for tests and tools without an API server. */
  PodEvents NOOP =
      new PodEvents() {
        @Override
        public void warn(PodKey pod, String reason, String message) {}

        @Override
        public void normal(PodKey pod, String reason, String message) {}

        @Override
        public String toString() {
          return "PodEvents.NOOP";
        }
      };
}
