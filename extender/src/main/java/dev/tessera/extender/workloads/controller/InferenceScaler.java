package dev.tessera.extender.workloads.controller;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * How many replicas an Inference should run, from how busy its replicas' GPUs are: the replicas
 * that would bring the average to the target, between its minimum and maximum. Up at once (a
 * queue builds while one waits); down only after the lower figure has held for the scale-down
 * delay, so a lull between bursts does not throw warm replicas away. An idle inference (0 %)
 * therefore goes to its minimum once the delay has passed.
 *
 * <p>Owned by the controller's worker thread: it remembers since when each inference has wanted
 * fewer replicas.
 */
final class InferenceScaler {
  /** The replicas to run and why; {@code replicas} equals the current count when nothing changes. */
  record Decision(int replicas, String why) {}

  private final Map<String, Instant> lowerSince = new HashMap<>();

  /**
   * @param uid the inference's UID
   * @param busy each ready replica's busiest GPU, percent; a replica with no measure yet is empty,
   *     and then nothing is decided (a decision on part of the replicas would be a guess)
   * @param target the average utilisation, percent, to hold
   */
  Decision decide(String uid, int current, int min, int max, List<OptionalInt> busy, int target,
      Duration scaleDownAfter, Instant now) {
    if (current < min || current > max) {
      lowerSince.remove(uid);
      int bounded = Math.max(min, Math.min(max, current));
      return new Decision(bounded, "kept between minReplicas " + min + " and maxReplicas " + max);
    }
    if (busy.isEmpty() || busy.stream().anyMatch(OptionalInt::isEmpty)) {
      return new Decision(current, null);
    }
    double average = busy.stream().mapToInt(OptionalInt::getAsInt).average().orElse(0);
    // The load the ready replicas carry, spread so each is at the target. Replicas still starting
    // (or waiting for GPUs) carry none: counting them would add replicas for load already met. A
    // scale-down waits out the delay, by which time starting replicas are ready; the ReplicaSet
    // removes unready ones first.
    int wanted = (int) Math.ceil(busy.size() * average / target);
    wanted = Math.max(min, Math.min(max, wanted));

    String figures = "average GPU utilisation " + Math.round(average) + "% over " + busy.size()
        + " ready replica(s), target " + target + "%";
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
    return new Decision(wanted, figures + ", for " + scaleDownAfter.toMinutes() + " min or more");
  }

  /** Forgets an inference that is gone. */
  void forget(String uid) {
    lowerSince.remove(uid);
  }
}
