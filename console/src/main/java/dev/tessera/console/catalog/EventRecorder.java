package dev.tessera.console.catalog;

import dev.tessera.console.history.HistoryEvent;
import dev.tessera.console.history.WorkloadHistory;
import dev.tessera.console.table.WorkloadRow;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectReference;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;

/**
 * Keeps the notable Kubernetes events of workloads and their pods in the history store, beyond the
 * API server's one-hour event lifetime. An event on a pod is filed under the pod's workload, found
 * on the catalog's thread so it follows the pod events handed over before it.
 */
public final class EventRecorder {
  private final WorkloadCatalog catalog;
  private final WorkloadHistory history;

  public EventRecorder(WorkloadCatalog catalog, WorkloadHistory history) {
    this.catalog = catalog;
    this.history = history;
  }

  /** An event was created or updated (its count went up). */
  public void eventChanged(Event event) {
    ObjectReference about = event.getInvolvedObject();
    if (about == null || about.getUid() == null || about.getKind() == null || event.getMetadata() == null) {
      return;
    }
    HistoryEvent.Category category = EventCategories.of(event.getReason());
    if (WorkloadKey.kindOf(about.getKind()) != null) {
      if (EventCategories.notable(category, event.getType(), true)) {
        history.record(List.of(entry(event, about.getUid(), about.getNamespace(), about.getKind(), about.getName(),
            category, null)));
      }
      return;
    }
    if (!"Pod".equals(about.getKind()) || !EventCategories.notable(category, event.getType(), false)) {
      return;
    }
    catalog.afterPending(() -> {
      Optional<WorkloadRow> owner = catalog.workloadOfPod(about.getUid());
      owner.ifPresent(row -> history.record(List.of(entry(event, row.uid(), row.namespace(),
          kindOf(row), row.name(), category, about.getName()))));
    });
  }

  private static String kindOf(WorkloadRow row) {
    var kind = WorkloadKey.kindOf(row.type());
    return kind == null ? row.type() : kind.kind();
  }

  private static HistoryEvent entry(Event event, String workloadUid, String namespace, String kind, String name,
      HistoryEvent.Category category, String pod) {
    int count = event.getCount() == null ? 1 : event.getCount();
    return new HistoryEvent(
        event.getMetadata().getUid() + "/" + count,
        workloadUid,
        namespace,
        kind,
        name,
        timeOf(event),
        category,
        event.getType() == null ? "Normal" : event.getType(),
        event.getReason() == null ? "Unknown" : event.getReason(),
        event.getMessage(),
        pod);
  }

  private static Instant timeOf(Event event) {
    for (String text : new String[] {event.getLastTimestamp(), event.getFirstTimestamp(),
        event.getEventTime() == null ? null : event.getEventTime().getTime(),
        event.getMetadata().getCreationTimestamp()}) {
      if (text != null && !text.isEmpty()) {
        try {
          return Instant.parse(text);
        } catch (DateTimeParseException e) {
          // The next field may hold it.
        }
      }
    }
    return Instant.EPOCH;
  }
}
