package dev.tessera.extender.actions;

import dev.tessera.extender.model.PodKey;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records {@link PodEvents} as core/v1 {@code Event}s on the pod ({@link EventFactory} builds them),
 * involved object the pod with its UID, timestamps from the injected clock.
 *
 * <p>Callers never block: events are created on the injected executor (in the extender a
 * {@link PacedWriter}, so a burst of binds does not double the API server's writes). The same (pod UID, type,
 * reason, message) is recorded once while remembered (at most {@code maxKeys} keys, the oldest
 * forgotten first), so a filter call repeated every second for the same invalid pod makes one
 * event, not thousands. At most {@value #MAX_PENDING} events wait for the executor; more are
 * dropped. Events are best effort: a failure to create one is logged at WARN once (then at DEBUG
 * until one succeeds again) and otherwise ignored.
 */
public final class KubernetesPodEvents implements PodEvents {
  private static final Logger log = LoggerFactory.getLogger(KubernetesPodEvents.class);

  public static final int DEFAULT_MAX_KEYS = 10_000;
  static final int MAX_PENDING = 5_000;
  /** What the extender was doing, in the events' {@code action} field. */
  static final String ACTION = "Scheduling";

  private final KubernetesClient client;
  private final Clock clock;
  private final Executor executor;
  private final EventFactory factory;
  private final RecentKeys recorded;
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicBoolean failing = new AtomicBoolean();

  /** Reporting instance from {@code $HOSTNAME} (the extender pod's name in a cluster). */
  public KubernetesPodEvents(KubernetesClient client, Clock clock, Executor executor) {
    this(client, clock, executor, new EventFactory(), DEFAULT_MAX_KEYS);
  }

  public KubernetesPodEvents(
      KubernetesClient client, Clock clock, Executor executor, EventFactory factory, int maxKeys) {
    this.client = Objects.requireNonNull(client, "client");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.factory = Objects.requireNonNull(factory, "factory");
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
    ObjectReference involved = new ObjectReferenceBuilder()
        .withApiVersion("v1").withKind("Pod").withNamespace(pod.namespace()).withName(pod.name()).withUid(pod.uid())
        .build();
    return factory.build(involved, type, reason, message, ACTION, now);
  }
}
