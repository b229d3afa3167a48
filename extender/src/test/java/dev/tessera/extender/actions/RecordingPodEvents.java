package dev.tessera.extender.actions;

import dev.tessera.extender.model.PodKey;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps every event it is given, for assertions. */
public final class RecordingPodEvents implements PodEvents {
  public record Recorded(PodKey pod, String type, String reason, String message) {}

  public final List<Recorded> events = new CopyOnWriteArrayList<>();

  @Override
  public void warn(PodKey pod, String reason, String message) {
    events.add(new Recorded(pod, "Warning", reason, message));
  }

  @Override
  public void normal(PodKey pod, String reason, String message) {
    events.add(new Recorded(pod, "Normal", reason, message));
  }

  public List<Recorded> withReason(String reason) {
    return events.stream().filter(e -> e.reason().equals(reason)).toList();
  }
}
