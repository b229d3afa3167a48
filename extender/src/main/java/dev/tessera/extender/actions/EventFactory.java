package dev.tessera.extender.actions;

import dev.tessera.api.WellKnown;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.ObjectReference;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Builds the core/v1 Events the extender records, on pods and on workloads alike, the way
 * kube-scheduler builds {@code FailedScheduling}: source and reporting component {@value
 * WellKnown#EVENT_SOURCE}, a name unique per instance ({@code <object>.<hex nanos>}, as client-go
 * names events, even when the clock stands still), and reason and message cut to what the API
 * server's validation accepts. Thread-safe.
 */
public final class EventFactory {
  // Limits of the API server's event validation.
  static final int MAX_MESSAGE_BYTES = 1024;
  static final int MAX_REASON_CHARS = 128;
  private static final int MAX_NAME_CHARS = 253;

  private static final DateTimeFormatter MICRO_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  private final String reportingInstance;
  private final AtomicLong lastStamp = new AtomicLong();

  /** Reporting instance from {@code $HOSTNAME} (the extender pod's name in a cluster). */
  public EventFactory() {
    this(defaultInstance());
  }

  public EventFactory(String reportingInstance) {
    this.reportingInstance = Objects.requireNonNull(reportingInstance, "reportingInstance");
  }

  /**
   * @param involved what the event is about; its namespace is the event's
   * @param action what the extender was doing ("Scheduling"); required, because {@code eventTime}
   *     makes the API server validate the event as a new-style one, which must say its action
   */
  public Event build(ObjectReference involved, String type, String reason, String message, String action, Instant now) {
    Objects.requireNonNull(action, "action");
    String timestamp = DateTimeFormatter.ISO_INSTANT.format(now.truncatedTo(ChronoUnit.SECONDS));
    return new EventBuilder()
        .withNewMetadata()
        .withName(eventName(involved.getName(), now))
        .withNamespace(involved.getNamespace())
        .endMetadata()
        .withInvolvedObject(involved)
        .withType(type)
        .withReason(truncateChars(reason, MAX_REASON_CHARS))
        .withMessage(truncateBytes(message, MAX_MESSAGE_BYTES))
        .withNewSource()
        .withComponent(WellKnown.EVENT_SOURCE)
        .endSource()
        .withReportingComponent(WellKnown.EVENT_SOURCE)
        .withReportingInstance(reportingInstance)
        .withAction(action)
        .withCount(1)
        .withFirstTimestamp(timestamp)
        .withLastTimestamp(timestamp)
        .withEventTime(new MicroTime(MICRO_TIME.format(now)))
        .build();
  }

  private String eventName(String objectName, Instant now) {
    long nanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    long stamp = lastStamp.updateAndGet(last -> Math.max(last + 1, nanos));
    String suffix = "." + Long.toHexString(stamp);
    String prefix = objectName.length() + suffix.length() > MAX_NAME_CHARS
        ? objectName.substring(0, MAX_NAME_CHARS - suffix.length())
        : objectName;
    return prefix + suffix;
  }

  private static String truncateChars(String text, int max) {
    return text.length() <= max ? text : text.substring(0, max);
  }

  private static String truncateBytes(String text, int maxBytes) {
    if (text.getBytes(StandardCharsets.UTF_8).length <= maxBytes) {
      return text;
    }
    String ellipsis = "...";
    int end = Math.min(text.length(), maxBytes);
    while (end > 0
        && text.substring(0, end).getBytes(StandardCharsets.UTF_8).length + ellipsis.length() > maxBytes) {
      end--;
    }
    if (end > 0 && Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(0, end) + ellipsis;
  }

  private static String defaultInstance() {
    String host = System.getenv("HOSTNAME");
    return host == null || host.isBlank() ? WellKnown.EVENT_SOURCE : host;
  }
}
