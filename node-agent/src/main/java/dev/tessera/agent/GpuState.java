package dev.tessera.agent;

import dev.tessera.agent.gpu.GpuInfo;
import dev.tessera.agent.gpu.GpuSample;
import java.util.Objects;

/** One GPU in a snapshot: what it is and how it was at sampling time. */
public record GpuState(GpuInfo info, GpuSample sample) {
  public GpuState {
    Objects.requireNonNull(info, "info");
    Objects.requireNonNull(sample, "sample");
    if (info.index() != sample.index()) {
      throw new IllegalArgumentException(
          "sample of GPU " + sample.index() + " paired with inventory of GPU " + info.index());
    }
  }
}
