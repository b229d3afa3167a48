package dev.tessera.agent.deviceplugin;

import java.util.List;
import java.util.Objects;

/**
 * The pod an {@code Allocate} was matched to, with the GPUs its assignment names.
 *
 * @param container the pod's container that asks for the GPUs ("" when the spec names none)
 * @param exclusive whole GPUs (no limits to enforce) or shared ones
 * @param gpus by NVML index, which is PCI bus order: the order CUDA numbers them in with
 *     {@code CUDA_DEVICE_ORDER=PCI_BUS_ID}
 * @param annotationProblems what was wrong with the pod's annotations and how the claim works
 *     around it (a bad {@code tessera.dev/compute-share}): told to the pod's owner as an event
 */
public record PodClaim(
    PodRef pod, String container, boolean exclusive, List<VisibleGpu> gpus, List<String> annotationProblems) {
  public PodClaim {
    Objects.requireNonNull(pod, "pod");
    Objects.requireNonNull(container, "container");
    gpus = List.copyOf(gpus);
    annotationProblems = List.copyOf(annotationProblems);
    if (gpus.isEmpty()) {
      throw new IllegalArgumentException("a claim holds at least one GPU");
    }
  }

  /** A claim whose pod's annotations were all fine. */
  public PodClaim(PodRef pod, String container, boolean exclusive, List<VisibleGpu> gpus) {
    this(pod, container, exclusive, gpus, List.of());
  }

  /** A claim whose container is not known (tests of what a container gets). */
  public PodClaim(PodRef pod, boolean exclusive, List<VisibleGpu> gpus) {
    this(pod, "", exclusive, gpus);
  }

  /** The claim as the agent's usage readers and events name the pod. */
  public ClaimRecord record() {
    return new ClaimRecord(pod.namespace(), pod.name(), pod.uid(), container, gpus.stream().map(VisibleGpu::uuid).toList());
  }
}
