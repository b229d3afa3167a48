package dev.tessera.console.history;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * Which history entries of one workload to return, newest first.
 *
 * @param workloadUid the workload's uid
 * @param categories only these; empty for all
 * @param types only these ("Normal", "Warning"); empty for all
 * @param text only entries whose reason or message contains it (case-insensitive); null for all
 * @param since only entries at or after it; null for no bound
 * @param until only entries before it; null for no bound
 * @param before the page after this cursor (an {@link EventPage#next()}), or null for the first
 * @param limit at most this many, 1 to {@link #MAX_LIMIT}
 */
public record EventQuery(
    String workloadUid,
    Set<HistoryEvent.Category> categories,
    Set<String> types,
    String text,
    Instant since,
    Instant until,
    String before,
    int limit) {

  public static final int MAX_LIMIT = 1000;

  public EventQuery {
    Objects.requireNonNull(workloadUid, "workloadUid");
    categories = categories == null ? Set.of() : Set.copyOf(categories);
    types = types == null ? Set.of() : Set.copyOf(types);
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", not " + limit);
    }
  }

  /** The newest {@code limit} entries of a workload, unfiltered. */
  public static EventQuery latest(String workloadUid, int limit) {
    return new EventQuery(workloadUid, Set.of(), Set.of(), null, null, null, null, limit);
  }
}
