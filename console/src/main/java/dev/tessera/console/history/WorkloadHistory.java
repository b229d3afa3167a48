package dev.tessera.console.history;

import java.time.Instant;
import java.util.Collection;
import java.util.List;

/**
 * Where workloads' history and deleted workloads are kept beyond what the API server holds.
 * Scheduling never depends on it: a store that is down loses history, and says so in its
 * exceptions ({@link HistoryUnavailableException}), never anything else.
 *
 * <p>Implementations are safe for concurrent use.
 */
public interface WorkloadHistory extends AutoCloseable {

  /** Keeps the entries; ones whose {@link HistoryEvent#key()} is already kept are skipped. */
  void record(Collection<HistoryEvent> events);

  /** A workload's entries, newest first, filtered and paged as the query says. */
  EventPage events(EventQuery query);

  /** Keeps a deleted workload's last row (replacing one kept for the same uid). */
  void deleted(DeletedWorkload workload);

  /** Deleted workloads deleted at or after {@code since}, newest first. */
  List<DeletedWorkload> deletedSince(Instant since);

  /**
   * Drops entries older than {@code eventsBefore} and deleted workloads deleted before {@code
   * deletedBefore}.
   *
   * @return how many rows went, both kinds together
   */
  long prune(Instant eventsBefore, Instant deletedBefore);

  @Override
  void close();
}
