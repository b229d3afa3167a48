package dev.tessera.extender.cluster;

import dev.tessera.extender.model.PodKey;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps every event it is given, for assertions. */
final class RecordingPodEvents implements PodEvents {
  record Recorded(PodKey pod, String type, String reason, String message) {}

  final List<Recorded> events = new CopyOnWriteArrayList<>();

  @Override
  public void warn(PodKey pod, String reason, String message) {
    events.add(new Recorded(pod, "Warning", reason, message));
  }

  @Override
  public void normal(PodKey pod, String reason, String message) {
    events.add(new Recorded(pod, "Normal", reason, message));
  }

  List<Recorded> withReason(String reason) {
    return events.stream().filter(e -> e.reason().equals(reason)).toList();
  }
}
