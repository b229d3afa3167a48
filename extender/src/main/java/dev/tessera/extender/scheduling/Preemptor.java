package dev.tessera.extender.scheduling;

import dev.tessera.extender.model.PodKey;
import java.util.Objects;

/** The pending pod kube-scheduler wants to make room for by preemption. */
public record Preemptor(PodKey key, String project, int priority) {
  public Preemptor {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(project, "project");
  }
}
