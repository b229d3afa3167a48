package dev.tessera.extender.cluster;

import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.model.WellKnown;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records {@link PodEvents} as core/v1 {@code Event}s on the pod, the way kube-scheduler records
 * {@code FailedScheduling}: involved object the pod (with its UID), source and reporting component
 * {@value WellKnown#EVENT_SOURCE}, timestamps from the injected clock.
 *
 * <p>Callers never block: events are created on the injected executor. The same (pod UID, type,
 * reason, message) is recorded once while remembered (at most {@code maxKeys} keys, the oldest
 * forgotten first), so a filter call repeated every second for the same invalid pod makes one
 * event, not thousands. At most {@value #MAX_PENDING} events wait for the executor; more are
 * dropped. Events are best effort: a failure to create one is logged at WARN once (then at DEBUG
 * until one succeeds again) and otherwise ignored.
 */
public final class KubernetesPodEvents implements PodEvents {
  private static final Logger log = LoggerFactory.getLogger(KubernetesPodEvents.class);

  public static final int DEFAULT_MAX_KEYS = 10_000;
  static final int MAX_PENDING = 1_000;
  /** What the extender was doing, in the events' {@code action} field. */
  static final String ACTION = "Scheduling";
  // Limits of the API server's event validation.
  static final int MAX_MESSAGE_BYTES = 1024;
  static final int MAX_REASON_CHARS = 128;
  private static final int MAX_NAME_CHARS = 253;

  private static final DateTimeFormatter MICRO_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  private final KubernetesClient client;
  private final Clock clock;
  private final Executor executor;
  private final String reportingInstance;
  private final RecentKeys recorded;
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicBoolean failing = new AtomicBoolean();
  private final AtomicLong lastStamp = new AtomicLong();

  /** Reporting instance from {@code $HOSTNAME} (the extender pod's name in a cluster). */
  public KubernetesPodEvents(KubernetesClient client, Clock clock, Executor executor) {
    this(client, clock, executor, defaultInstance(), DEFAULT_MAX_KEYS);
  }

  public KubernetesPodEvents(
      KubernetesClient client, Clock clock, Executor executor, String reportingInstance, int maxKeys) {
    this.client = Objects.requireNonNull(client, "client");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.reportingInstance = Objects.requireNonNull(reportingInstance, "reportingInstance");
    this.recorded = new RecentKeys(maxKeys);
  }

  @Override
  public void warn(PodKey pod, String reason, String message) {
    record(pod, "Warning", reason, message);
  }

  @Override
  public void normal(PodKey pod, String reason, String message) {
    record(pod, "Normal", reason, message);
  }

  private void record(PodKey pod, String type, String reason, String message) {
    String key = pod.uid() + "\n" + type + "\n" + reason + "\n" + message;
    if (!recorded.firstTime(key)) {
      return;
    }
    if (pending.incrementAndGet() > MAX_PENDING) {
      pending.decrementAndGet();
      recorded.forget(key);
      log.debug("dropped event {} on pod {}: {} events already wait to be written", reason, pod, MAX_PENDING);
      return;
    }
    Event event = build(pod, type, reason, message, clock.instant());
    try {
      executor.execute(
          () -> {
            try {
              create(pod, event);
            } finally {
              pending.decrementAndGet();
            }
          });
    } catch (RejectedExecutionException e) {
      pending.decrementAndGet();
      log.debug("dropped event {} on pod {}: the event writer is shut down", reason, pod);
    }
  }

  private void create(PodKey pod, Event event) {
    try {
      client.v1().events().inNamespace(pod.namespace()).resource(event).create();
      if (failing.getAndSet(false)) {
        log.info("recording pod events works again (event {} on pod {})", event.getReason(), pod);
      }
    } catch (RuntimeException e) {
      if (failing.compareAndSet(false, true)) {
        log.warn(
            "could not record event {} on pod {}: {}. Events are best effort and this is not"
                + " retried; check that the extender's service account may create events in"
                + " namespace {}. Further failures are logged at DEBUG until one succeeds.",
            event.getReason(), pod, e.getMessage(), pod.namespace());
      } else {
        log.debug("could not record event {} on pod {}: {}", event.getReason(), pod, e.getMessage());
      }
    }
  }

  Event build(PodKey pod, String type, String reason, String message, Instant now) {
    String timestamp = DateTimeFormatter.ISO_INSTANT.format(now.truncatedTo(ChronoUnit.SECONDS));
    return new EventBuilder()
        .withNewMetadata()
        .withName(eventName(pod.name(), now))
        .withNamespace(pod.namespace())
        .endMetadata()
        .withNewInvolvedObject()
        .withApiVersion("v1")
        .withKind("Pod")
        .withNamespace(pod.namespace())
        .withName(pod.name())
        .withUid(pod.uid())
        .endInvolvedObject()
        .withType(type)
        .withReason(truncateChars(reason, MAX_REASON_CHARS))
        .withMessage(truncateBytes(message, MAX_MESSAGE_BYTES))
        .withNewSource()
        .withComponent(WellKnown.EVENT_SOURCE)
        .endSource()
        .withReportingComponent(WellKnown.EVENT_SOURCE)
        .withReportingInstance(reportingInstance)
        .withAction(ACTION)
        .withCount(1)
        .withFirstTimestamp(timestamp)
        .withLastTimestamp(timestamp)
        .withEventTime(new MicroTime(MICRO_TIME.format(now)))
        .build();
  }

  /** {@code <pod>.<hex nanos>} as client-go names events, unique per instance even if the clock stands still. */
  private String eventName(String podName, Instant now) {
    long nanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    long stamp = lastStamp.updateAndGet(last -> Math.max(last + 1, nanos));
    String suffix = "." + Long.toHexString(stamp);
    String prefix = podName.length() + suffix.length() > MAX_NAME_CHARS
        ? podName.substring(0, MAX_NAME_CHARS - suffix.length())
        : podName;
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
