package dev.tessera.extender.telemetry;

import java.util.Objects;

/**
 * One container's memory on one GPU, as its node agent reported it ({@code
 * tessera.agent.v1.ContainerUsage}), with the GPU resolved to its index on the node.
 *
 * @param usedBytes what the container's processes hold on the GPU
 * @param limitBytes the most the native library lets it hold; 0 when it has no limit
 * @param requestBytes what the agent believes the pod was placed by; 0 from agents older than
 *     dynamic fractions, which enforce the request as the limit
 */
record ContainerMemory(
    String namespace,
    String pod,
    String podUid,
    String container,
    int gpu,
    long usedBytes,
    long limitBytes,
    long requestBytes) {
  ContainerMemory {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(pod, "pod");
    Objects.requireNonNull(podUid, "podUid");
    Objects.requireNonNull(container, "container");
    if (gpu < 0 || usedBytes < 0 || limitBytes < 0 || requestBytes < 0) {
      throw new IllegalArgumentException("GPU index and memory figures must be >= 0: " + gpu + ", "
          + usedBytes + ", " + limitBytes + ", " + requestBytes);
    }
  }

  /**
   * The memory the agent guarantees the container: its request, or for an older agent that sends
   * none its limit (such an agent enforces the request as the limit); 0 when it has neither.
   */
  long guaranteedBytes() {
    return requestBytes > 0 ? requestBytes : limitBytes;
  }

  /** What the container uses above its guarantee: on loan. Nothing for a container without one. */
  long borrowedBytes() {
    long guaranteed = guaranteedBytes();
    return guaranteed > 0 ? Math.max(0, usedBytes - guaranteed) : 0;
  }
}
