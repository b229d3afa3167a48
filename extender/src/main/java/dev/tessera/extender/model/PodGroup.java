package dev.tessera.extender.model;

import java.time.Duration;
import java.util.Objects;

/**
 * A gang: pods that start together or not at all.
 *
 * @param minMember how many members must be placed for any of them to be
 * @param project the project whose quota the gang uses, or null to take it from the namespace
 * @param priorityClassName the members' priority class, or null
 * @param schedulingTimeout how long a partly placed gang may wait for the rest before its
 *     reservation is released and its bound members are evicted
 */
public record PodGroup(
    String namespace,
    String name,
    int minMember,
    String project,
    String priorityClassName,
    Duration schedulingTimeout) {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

  public PodGroup {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(schedulingTimeout, "schedulingTimeout");
    if (minMember < 1) {
      throw new IllegalArgumentException("pod group " + namespace + "/" + name + ": minMember must be >= 1, was " + minMember);
    }
    if (schedulingTimeout.isNegative() || schedulingTimeout.isZero()) {
      throw new IllegalArgumentException(
          "pod group " + namespace + "/" + name + ": scheduling timeout must be positive, was " + schedulingTimeout);
    }
  }

  /** The group a pod in no group forms by itself. */
  public static PodGroup single(String namespace, String podName) {
    return new PodGroup(namespace, podName, 1, null, null, DEFAULT_TIMEOUT);
  }

  public String key() {
    return namespace + "/" + name;
  }
}
