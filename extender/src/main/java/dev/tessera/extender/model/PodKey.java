package dev.tessera.extender.model;

import java.util.Objects;

/** Identity of a pod: UID for bookkeeping, namespace/name for people and the API. */
public record PodKey(String namespace, String name, String uid) {
  public PodKey {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(uid, "uid");
  }

  @Override
  public String toString() {
    return namespace + "/" + name;
  }
}
