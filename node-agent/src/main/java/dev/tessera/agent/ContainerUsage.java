package dev.tessera.agent;

import java.util.Objects;

/**
 * One container's use of one GPU, as the injected native library measures it. A container on N
 * GPUs appears N times, once per GPU (as in {@code tessera.agent.v1.ContainerUsage}).
 *
 * @param memoryLimitBytes the limit the native library enforces; 0 when the container has none
 *     (it holds the whole GPU)
 * @param memoryRequestBytes the memory the pod was placed by: equal to the limit except for a
 *     dynamic fraction, whose use above it is on loan; 0 when the container has no limit
 */
public record ContainerUsage(
    String namespace,
    String pod,
    String podUid,
    String container,
    String gpuUuid,
    long memoryUsedBytes,
    long memoryLimitBytes,
    long memoryRequestBytes) {
  public ContainerUsage {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(pod, "pod");
    Objects.requireNonNull(podUid, "podUid");
    Objects.requireNonNull(container, "container");
    Objects.requireNonNull(gpuUuid, "gpuUuid");
    if (memoryUsedBytes < 0 || memoryLimitBytes < 0 || memoryRequestBytes < 0 || memoryRequestBytes > memoryLimitBytes) {
      throw new IllegalArgumentException(
          "container memory figures must be >= 0 with request <= limit, were used=" + memoryUsedBytes
              + " limit=" + memoryLimitBytes + " request=" + memoryRequestBytes);
    }
  }

  /** A container with nothing on loan: its request is its limit. */
  public ContainerUsage(
      String namespace, String pod, String podUid, String container, String gpuUuid, long memoryUsedBytes,
      long memoryLimitBytes) {
    this(namespace, pod, podUid, container, gpuUuid, memoryUsedBytes, memoryLimitBytes, memoryLimitBytes);
  }

  /** Bytes used above the request: on loan, taken back when another tenant needs its own request. */
  public long memoryBorrowedBytes() {
    return memoryLimitBytes == 0 ? 0 : Math.max(0, memoryUsedBytes - memoryRequestBytes);
  }

  /** True when this and {@code other} are the same container (on any GPU). */
  public boolean sameContainer(ContainerUsage other) {
    return namespace.equals(other.namespace) && pod.equals(other.pod) && container.equals(other.container);
  }
}
