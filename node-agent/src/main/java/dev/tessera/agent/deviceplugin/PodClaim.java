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
 */
public record PodClaim(PodRef pod, String container, boolean exclusive, List<VisibleGpu> gpus) {
  public PodClaim {
    Objects.requireNonNull(pod, "pod");
    Objects.requireNonNull(container, "container");
    gpus = List.copyOf(gpus);
    if (gpus.isEmpty()) {
      throw new IllegalArgumentException("a claim holds at least one GPU");
    }
  }

  /** A claim whose container is not known (tests of what a container gets). */
  public PodClaim(PodRef pod, boolean exclusive, List<VisibleGpu> gpus) {
    this(pod, "", exclusive, gpus);
  }
}
