package dev.tessera.console.metrics;

import java.util.Objects;

/**
 * A pod of the workload whose metrics are asked for.
 *
 * @param namespace its namespace
 * @param name its name
 * @param uid its uid
 * @param node the node it runs or ran on, or null when it was never placed
 */
public record PodRef(String namespace, String name, String uid, String node) {
  public PodRef {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(uid, "uid");
  }
}
