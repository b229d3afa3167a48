package dev.tessera.extender.controllers;

import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.scheduling.ReasonClass;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Pending GPU pods the last filter call found no node for, with when that was first so: the
 * candidates for reclaim, and the unschedulable pods the metrics count by {@link ReasonClass}.
 * Filter writes it from the I/O threads; the reclaim loop and the metrics read it, without locks.
 */
public final class Unschedulable {
  /** A pod and why no node could take it. */
  public record Entry(PodKey pod, Instant since, String reason, ReasonClass reasonClass) {
    public Entry {
      Objects.requireNonNull(reasonClass, "reasonClass");
    }
  }

  private final Map<String, Entry> byUid = new ConcurrentHashMap<>();
  private final Clock clock;

  public Unschedulable(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public void failed(PodKey pod, String reason) {
    failed(pod, reason, ReasonClass.OTHER);
  }

  public void failed(PodKey pod, String reason, ReasonClass reasonClass) {
    byUid.compute(pod.uid(), (uid, known) -> known == null
        ? new Entry(pod, clock.instant(), reason, reasonClass)
        : new Entry(pod, known.since(), reason, reasonClass));
  }

  /** A node was found for it, or it is gone. */
  public void cleared(String uid) {
    byUid.remove(uid);
  }

  /** The pod's entry, or null when filter did not refuse it last. Never blocks. */
  public Entry get(String uid) {
    return byUid.get(uid);
  }

  public Map<String, Entry> all() {
    return Map.copyOf(byUid);
  }

  /** The entries as they are now, without a copy (weakly consistent), for the metrics. */
  public Collection<Entry> entries() {
    return java.util.Collections.unmodifiableCollection(byUid.values());
  }
}
