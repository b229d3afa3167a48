package dev.tessera.console.testing;

import dev.tessera.console.history.DeletedWorkload;
import dev.tessera.console.history.EventPage;
import dev.tessera.console.history.EventQuery;
import dev.tessera.console.history.HistoryEvent;
import dev.tessera.console.history.WorkloadHistory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the catalog handed the store, for tests of the catalog alone: the store itself is tested on
 * a real PostgreSQL.
 */
public final class MemoryHistory implements WorkloadHistory {
  public final Map<String, HistoryEvent> events = new ConcurrentHashMap<>();
  public final Map<String, DeletedWorkload> deleted = new ConcurrentHashMap<>();

  @Override
  public void record(Collection<HistoryEvent> batch) {
    batch.forEach(event -> events.putIfAbsent(event.key(), event));
  }

  @Override
  public EventPage events(EventQuery query) {
    List<HistoryEvent> items = new ArrayList<>(events.values().stream()
        .filter(event -> event.workloadUid().equals(query.workloadUid()))
        .sorted(Comparator.comparing(HistoryEvent::time).reversed()).toList());
    return new EventPage(items.subList(0, Math.min(items.size(), query.limit())), null);
  }

  @Override
  public void deleted(DeletedWorkload workload) {
    deleted.put(workload.uid(), workload);
  }

  @Override
  public List<DeletedWorkload> deletedSince(Instant since) {
    return deleted.values().stream().filter(gone -> !gone.deletedAt().isBefore(since)).toList();
  }

  @Override
  public long prune(Instant eventsBefore, Instant deletedBefore) {
    return 0;
  }

  @Override
  public void close() {}
}
