package dev.tessera.controller.workloads.controller;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.informers.InformerSync;
import dev.tessera.extender.model.PodKey;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Copies pod events others record onto the pods' workloads: the node agent's (a process refused
 * GPU memory at its container's limit, a process killed to take back GPU memory it had on loan)
 * and kube-scheduler's preemption of a pod for a higher-priority one. The extender's own pod events
 * reach {@link WorkloadEventMirror} as it records them; these reach the extender only through the
 * API server, so they are watched there, one informer per reason
 * narrowed by field selectors (the extender caches these events, not every event of the cluster).
 *
 * <p>An event is copied when it appears and again each time the agent counts a repeat of it. One
 * that happened before the watch started is not: the extender's previous run copied it, and the
 * informer's first listing after a restart must not tell the workload twice.
 */
public final class AgentEventWatch implements AutoCloseable {
  /** The pod event reasons copied onto workloads. */
  static final List<String> REASONS = List.of(
      WellKnown.GPU_OUT_OF_MEMORY_REASON, WellKnown.GPU_MEMORY_LOAN_RECLAIMED_REASON, WellKnown.PREEMPTED_REASON);

  private final WorkloadEventMirror mirror;
  /** Events carry whole seconds: one of the second the watch started in is copied. */
  private final Instant since;
  private final List<SharedIndexInformer<Event>> informers = new ArrayList<>();

  public AgentEventWatch(KubernetesClient client, Clock clock, WorkloadEventMirror mirror) {
    this(clock, mirror, reason -> client.v1().events().inAnyNamespace()
        .withField("involvedObject.kind", "Pod")
        .withField("reason", reason)
        .runnableInformer(0));
  }

  /**
   * @param informerOf the (not started) informer on one reason's events: fabric8's mock API server
   *     answers no event to these field selectors, so tests watch all events
   */
  AgentEventWatch(Clock clock, WorkloadEventMirror mirror, Function<String, SharedIndexInformer<Event>> informerOf) {
    this.mirror = Objects.requireNonNull(mirror, "mirror");
    this.since = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    for (String reason : REASONS) {
      SharedIndexInformer<Event> informer = informerOf.apply(reason);
      informer.addEventHandler(new ReasonHandler(reason));
      informers.add(informer);
    }
  }

  public void start(Duration syncTimeout) {
    Map<String, SharedIndexInformer<Event>> named = new LinkedHashMap<>();
    for (int i = 0; i < REASONS.size(); i++) {
      named.put(REASONS.get(i) + " events", informers.get(i));
    }
    InformerSync.startAll("the pod event informers", named, syncTimeout,
        "Check that the extender may list and watch events (deploy/10-extender-rbac.yaml)",
        "May the extender list and watch events (deploy/10-extender-rbac.yaml)?");
  }

  @Override
  public void close() {
    InformerSync.stopAll(informers);
  }

  private void copy(Event event) {
    ObjectReference pod = event.getInvolvedObject();
    String namespace = pod.getNamespace() != null ? pod.getNamespace() : event.getMetadata().getNamespace();
    if (pod.getUid() == null || pod.getName() == null || namespace == null) {
      return; // the mirror finds the workload by the pod's UID
    }
    mirror.recorded(new PodKey(namespace, pod.getName(), pod.getUid()),
        event.getType() == null ? "Warning" : event.getType(), event.getReason(), event.getMessage());
  }

  /** When it last happened, by its newest timestamp; null when it has none that reads. */
  private static Instant occurred(Event event) {
    String time = event.getLastTimestamp() != null ? event.getLastTimestamp()
        : event.getEventTime() != null && event.getEventTime().getTime() != null ? event.getEventTime().getTime()
        : event.getFirstTimestamp() != null ? event.getFirstTimestamp()
        : event.getMetadata().getCreationTimestamp();
    if (time == null) {
      return null;
    }
    try {
      return Instant.parse(time);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static int count(Event event) {
    return event.getCount() == null ? 1 : event.getCount();
  }

  /** One reason's events; checks the selectors again, as a test's informer does not apply them. */
  private final class ReasonHandler implements ResourceEventHandler<Event> {
    private final String reason;

    ReasonHandler(String reason) {
      this.reason = reason;
    }

    private boolean matches(Event event) {
      return reason.equals(event.getReason()) && event.getInvolvedObject() != null
          && "Pod".equals(event.getInvolvedObject().getKind());
    }

    @Override
    public void onAdd(Event event) {
      Instant occurred = occurred(event);
      if (matches(event) && (occurred == null || !occurred.isBefore(since))) {
        copy(event);
      }
    }

    @Override
    public void onUpdate(Event before, Event event) {
      if (matches(event) && count(event) > count(before)) {
        copy(event);
      }
    }

    @Override
    public void onDelete(Event event, boolean finalStateUnknown) {
      // events expire; the workload keeps its copy until its own expire
    }
  }
}
