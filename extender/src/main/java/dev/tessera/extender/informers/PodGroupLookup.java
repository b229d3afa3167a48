package dev.tessera.extender.informers;

import dev.tessera.extender.model.PodGroup;

/**
 * Reads a pod group from the API server when the policy informers have not delivered it yet:
 * a gang's PodGroup and its pods are often created together, and the first member's filter call
 * may come before the group's watch event. Blocking; call it off the I/O threads.
 */
@FunctionalInterface
public interface PodGroupLookup {
  /** What the API server has under that name, judged by the pod group rules. */
  sealed interface Result {
    record Found(PodGroup group) implements Result {}

    /** It exists but the rules refuse it (its status says the same once the informer has it). */
    record Rejected(String reasons) implements Result {}

    record Missing() implements Result {}

    /** The API server could not be asked. */
    record Unknown(String why) implements Result {}
  }

  Result find(String namespace, String name);
}
