package dev.tessera.controller.workloads.controller;

import dev.tessera.api.syntax.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How many replicas an Inference should run, from the load its ready replicas carry: the replicas
 * that would each carry the target, the load over the target rounded up, between its minimum and
 * maximum. The load is the metric's ({@link ScalingMetric}): GPU utilisation, requests in flight or
 * requests per second, summed over the ready replicas. Up at once (a queue builds while one
 * waits); down only after the lower figure has held for the scale-down delay, so a lull between
 * bursts does not throw warm replicas away. An idle inference (no load) therefore goes to its
 * minimum once the delay has passed.
 *
 * <p>It remembers since when each inference has wanted fewer replicas. The controller decides for
 * one inference at a time but for different inferences on parallel threads: the map is concurrent,
 * and each inference's entry is only touched by its own decisions.
 */
final class InferenceScaler {
  /** The replicas to run and why; {@code replicas} equals the current count when nothing changes. */
  record Decision(int replicas, String why) {}

  /** Below this, a load over the target that should be whole is taken as whole (37.5 / 12.5 is 3, not 3.0000001). */
  private static final double ROUNDING = 1e-9;

  private final Map<String, Instant> lowerSince = new ConcurrentHashMap<>();

  /**
   * @param uid the inference's UID
   * @param metric what {@code load} measures
   * @param load each ready replica's load (for GPUs, its busiest GPU's percent); a replica with no
   *     measure yet is empty, and then nothing is decided (a decision on part of the replicas would
   *     be a guess)
   * @param target the load per replica to hold (for GPUs, the average percent)
   */
  Decision decide(String uid, int current, int min, int max, ScalingMetric metric, List<OptionalDouble> load,
      int target, Duration scaleDownAfter, Instant now) {
    if (current < min || current > max) {
      lowerSince.remove(uid);
      int bounded = Math.max(min, Math.min(max, current));
      return new Decision(bounded, "kept between minReplicas " + min + " and maxReplicas " + max);
    }
    if (load.isEmpty() || load.stream().anyMatch(OptionalDouble::isEmpty)) {
      return new Decision(current, null);
    }
    double total = Math.max(0, load.stream().mapToDouble(OptionalDouble::getAsDouble).sum());
    // The load the ready replicas carry, spread so each is at the target. Replicas still starting
    // (or waiting for GPUs) carry none: counting them would add replicas for load already met. A
    // scale-down waits out the delay, by which time starting replicas are ready; the ReplicaSet
    // removes unready ones first.
    int wanted = (int) Math.ceil(total / target - ROUNDING);
    wanted = Math.max(min, Math.min(max, wanted));

    String figures = metric.figures(total, load.size(), target);
    if (wanted > current) {
      lowerSince.remove(uid);
      return new Decision(wanted, figures);
    }
    if (wanted == current) {
      lowerSince.remove(uid);
      return new Decision(current, null);
    }
    Instant since = lowerSince.computeIfAbsent(uid, u -> now);
    if (Duration.between(since, now).compareTo(scaleDownAfter) < 0) {
      return new Decision(current, null);
    }
    lowerSince.remove(uid);
    return new Decision(wanted, figures + ", for " + Durations.format(scaleDownAfter) + " or more");
  }

  /** Forgets an inference that is gone. */
  void forget(String uid) {
    lowerSince.remove(uid);
  }
}
