package dev.tessera.agent;

import java.util.Objects;

/**
 * One container's use of one GPU, as the injected native library measures it. A container on N
 * GPUs appears N times, once per GPU (as in {@code tessera.agent.v1.ContainerUsage}).
 *
 * @param memoryLimitBytes the limit the native library enforces; 0 when the container has none
 *     (it holds the whole GPU)
 */
public record ContainerUsage(
    String namespace,
    String pod,
    String podUid,
    String container,
    String gpuUuid,
    long memoryUsedBytes,
    long memoryLimitBytes) {
  public ContainerUsage {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(pod, "pod");
    Objects.requireNonNull(podUid, "podUid");
    Objects.requireNonNull(container, "container");
    Objects.requireNonNull(gpuUuid, "gpuUuid");
    if (memoryUsedBytes < 0 || memoryLimitBytes < 0) {
      throw new IllegalArgumentException(
          "container memory figures must be >= 0, were used=" + memoryUsedBytes + " limit=" + memoryLimitBytes);
    }
  }

  /** True when this and {@code other} are the same container (on any GPU). */
  public boolean sameContainer(ContainerUsage other) {
    return namespace.equals(other.namespace) && pod.equals(other.pod) && container.equals(other.container);
  }
}
