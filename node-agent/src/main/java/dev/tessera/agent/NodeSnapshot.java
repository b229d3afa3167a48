package dev.tessera.agent;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Everything the agent knows about its node at one moment. Immutable: the sampler builds a new one
 * each period and swaps it in, and metrics and reports read whichever is current without locks.
 *
 * @param takenAt when the sample was taken (reported as {@code sent_at})
 * @param gpus every GPU of the inventory, ordered by index
 * @param containers per-container use, one entry per (container, GPU)
 */
public record NodeSnapshot(Instant takenAt, List<GpuState> gpus, List<ContainerUsage> containers) {
  public NodeSnapshot {
    Objects.requireNonNull(takenAt, "takenAt");
    gpus = List.copyOf(gpus);
    containers = List.copyOf(containers);
  }

  /** Before the first sample: no GPUs known yet. */
  public static NodeSnapshot empty(Instant at) {
    return new NodeSnapshot(at, List.of(), List.of());
  }
}
