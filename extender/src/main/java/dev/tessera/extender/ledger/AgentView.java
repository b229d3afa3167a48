package dev.tessera.extender.ledger;

import dev.tessera.extender.model.GpuDevice;
import dev.tessera.extender.model.ObservedGpu;
import java.util.List;

/**
 * A node as its agent last reported it: the GPUs it really has (UUIDs, exact memory) and what it
 * measured on each. While fresh, it replaces the inventory the node's labels suggest.
 */
public record AgentView(List<GpuDevice> gpus, List<ObservedGpu> observed) {
  public AgentView {
    gpus = List.copyOf(gpus);
    observed = List.copyOf(observed);
    if (gpus.size() != observed.size()) {
      throw new IllegalArgumentException(gpus.size() + " GPUs but " + observed.size() + " observations");
    }
  }
}
