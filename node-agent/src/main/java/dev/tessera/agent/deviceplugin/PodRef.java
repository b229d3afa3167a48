package dev.tessera.agent.deviceplugin;

import java.util.Objects;

/** A pod by namespace, name and UID (the UID tells a pod from a later one of the same name). */
public record PodRef(String namespace, String name, String uid) {
  public PodRef {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(uid, "uid");
  }

  @Override
  public String toString() {
    return namespace + "/" + name;
  }
}
