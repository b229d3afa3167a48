package dev.tessera.extender.informers;

import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * An informer handler for watchers that only need to know an object changed: add, update and
 * delete all hand the object (its latest state) to one action.
 */
public final class OnEveryChange<T> implements ResourceEventHandler<T> {
  private final Consumer<T> changed;

  public OnEveryChange(Consumer<T> changed) {
    this.changed = Objects.requireNonNull(changed, "changed");
  }

  @Override
  public void onAdd(T obj) {
    changed.accept(obj);
  }

  @Override
  public void onUpdate(T oldObj, T newObj) {
    changed.accept(newObj);
  }

  @Override
  public void onDelete(T obj, boolean deletedFinalStateUnknown) {
    changed.accept(obj);
  }
}
