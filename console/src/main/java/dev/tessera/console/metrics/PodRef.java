package dev.tessera.console.metrics;

import java.util.Objects;

/**
 * A pod of the workload whose metrics are asked for.
 *
 * @param namespace its namespace
 * @param name its name
 * @param uid its uid
 * @param node the node it runs or ran on, or null when it was never placed
 * @param cpuRequestMillis its containers' CPU requests added up, in millicores (0 when none): what
 *     CPU utilization is a percentage of
 * @param memoryLimitBytes its containers' memory limits added up (their requests where a container
 *     has no limit; 0 when neither): what memory utilization is a percentage of
 */
public record PodRef(String namespace, String name, String uid, String node, long cpuRequestMillis,
    long memoryLimitBytes) {
  public PodRef {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(uid, "uid");
  }
}
