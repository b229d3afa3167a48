package dev.tessera.extender.controllers;

import dev.tessera.extender.model.PodKey;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Pending GPU pods the last filter call found no node for, with when that was first so: the
 * candidates for reclaim. Filter writes it from the I/O threads; the reclaim loop reads it.
 */
public final class Unschedulable {
  /** A pod and why no node could take it. */
  public record Entry(PodKey pod, Instant since, String reason) {}

  private final Map<String, Entry> byUid = new ConcurrentHashMap<>();
  private final Clock clock;

  public Unschedulable(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public void failed(PodKey pod, String reason) {
    byUid.compute(pod.uid(), (uid, known) ->
        known == null ? new Entry(pod, clock.instant(), reason) : new Entry(pod, known.since(), reason));
  }

  /** A node was found for it, or it is gone. */
  public void cleared(String uid) {
    byUid.remove(uid);
  }

  public Map<String, Entry> all() {
    return Map.copyOf(byUid);
  }
}
