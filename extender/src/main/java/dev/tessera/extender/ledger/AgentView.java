package dev.tessera.extender.ledger;

import dev.tessera.extender.model.GpuDevice;
import dev.tessera.extender.model.ObservedGpu;
import java.util.List;

/**
 * A node as its agent last reported it: the GPUs it really has (UUIDs, exact memory) and what it
 * measured on each. While fresh, it replaces the inventory the node's labels suggest.
 *
 * @param swapMiB host memory the node lends to GPU memory swap, MiB; 0 when it does not
 */
public record AgentView(List<GpuDevice> gpus, List<ObservedGpu> observed, long swapMiB) {
  public AgentView {
    gpus = List.copyOf(gpus);
    observed = List.copyOf(observed);
    if (gpus.size() != observed.size()) {
      throw new IllegalArgumentException(gpus.size() + " GPUs but " + observed.size() + " observations");
    }
    if (swapMiB < 0) {
      throw new IllegalArgumentException("swap must be >= 0 MiB, was " + swapMiB);
    }
  }

  /** A node without GPU memory swap. */
  public AgentView(List<GpuDevice> gpus, List<ObservedGpu> observed) {
    this(gpus, observed, 0);
  }
}
