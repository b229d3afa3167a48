package dev.tessera.extender.scheduling;

import dev.tessera.extender.model.PodKey;
import java.time.Instant;
import java.util.Objects;

/**
 * A pod holding GPUs, as victim choice sees it: enough to judge whether evicting it is allowed
 * (preemptible, its project's standing) and how much harm it does (priority, age, gang).
 *
 * @param node the node the pod runs on
 * @param pool the node pool of that node
 * @param gpus GPUs it holds, as quota counts them: a fraction counts as its fraction (0.5)
 * @param preemptible false for interactive and workspace pods and pods marked so: they are never
 *     victims
 * @param gang the pod group key "namespace/name", or null for a pod in no group
 * @param created when the pod was created; among equals the newest goes first (least work lost)
 * @param elastic its gang can do without it while the gang keeps {@code gangMinimum} running
 * @param gangMinimum its gang's minMember; 0 for a pod in no gang or a gang not known
 */
public record RunningPod(
    PodKey key,
    String node,
    String project,
    String pool,
    double gpus,
    int priority,
    boolean preemptible,
    String gang,
    Instant created,
    boolean elastic,
    int gangMinimum) {
  public RunningPod {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(project, "project");
    Objects.requireNonNull(pool, "pool");
    Objects.requireNonNull(created, "created");
    if (!(gpus >= 0) || Double.isInfinite(gpus)) {
      throw new IllegalArgumentException("pod " + key + ": GPUs must be a finite number >= 0, was " + gpus);
    }
  }

  public String uid() {
    return key.uid();
  }
}
