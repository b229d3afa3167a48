package dev.tessera.api.policy;

import dev.tessera.api.conditions.Condition;
import dev.tessera.api.conditions.Conditioned;
import io.fabric8.kubernetes.client.CustomResource;

/**
 * What the four policy kinds share: a status with conditions. The base class lets one
 * status writer set the {@value Condition#ACCEPTED} condition on any of them, including objects
 * that have no status yet.
 */
public abstract class PolicyResource<S, T extends Conditioned<T>> extends CustomResource<S, T> {
  /** The status to start from when the object has none. */
  protected abstract T emptyStatus();

  /** The object's status, or an empty one; never null. */
  public final T statusOrEmpty() {
    T status = getStatus();
    return status == null ? emptyStatus() : status;
  }
}
