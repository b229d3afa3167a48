package dev.tessera.extender.scheduling;

/**
 * A project's figures in one node pool, in GPUs (fractions count as their fraction). Victim choice
 * compares what a project holds with what it is guaranteed (deserved) and with its share of the
 * pool under current demand (fair share); the fair-share calculation that produces it lives apart.
 *
 * @param deserved GPUs the project is guaranteed: preemption and reclaim never take it below this
 * @param fairShare GPUs it should hold now: reclaim takes only from projects above this
 * @param allocated GPUs its pods hold now
 */
public record Standing(double deserved, double fairShare, double allocated) {
  public Standing {
    requireFinite("deserved", deserved);
    requireFinite("fair share", fairShare);
    requireFinite("allocated", allocated);
  }

  private static void requireFinite(String what, double gpus) {
    if (!(gpus >= 0) || Double.isInfinite(gpus)) {
      throw new IllegalArgumentException(what + " GPUs must be a finite number >= 0, was " + gpus);
    }
  }
}
