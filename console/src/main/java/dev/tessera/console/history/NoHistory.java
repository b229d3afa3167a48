package dev.tessera.console.history;

import java.time.Instant;
import java.util.Collection;
import java.util.List;

/**
 * The history of a console told to run without one ({@code --no-history}): events go nowhere, and
 * asking for history says why there is none.
 */
public final class NoHistory implements WorkloadHistory {
  private static final String WHY = "this console runs without a history store (--no-history)";

  @Override
  public void record(Collection<HistoryEvent> events) {}

  @Override
  public EventPage events(EventQuery query) {
    throw new HistoryUnavailableException(WHY, null);
  }

  @Override
  public void deleted(DeletedWorkload workload) {}

  @Override
  public List<DeletedWorkload> deletedSince(Instant since) {
    throw new HistoryUnavailableException(WHY, null);
  }

  @Override
  public long prune(Instant eventsBefore, Instant deletedBefore) {
    return 0;
  }

  @Override
  public void close() {}
}
