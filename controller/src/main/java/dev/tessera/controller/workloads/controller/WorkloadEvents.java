package dev.tessera.controller.workloads.controller;

import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.extender.actions.EventFactory;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records events on a workload ({@code kubectl describe training x} lists them in order): every
 * phase change and what the controller did. Best effort: a failure is logged, never thrown.
 */
public final class WorkloadEvents {
  private static final Logger log = LoggerFactory.getLogger(WorkloadEvents.class);
  /** The events' {@code action}: the API server refuses a timed event without one. */
  static final String ACTION = "Reconciling";

  private final KubernetesClient client;
  private final Clock clock;
  private final EventFactory factory = new EventFactory();

  public WorkloadEvents(KubernetesClient client, Clock clock) {
    this.client = Objects.requireNonNull(client, "client");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public void normal(WorkloadResource<?> workload, String reason, String message) {
    record(workload, "Normal", reason, message);
  }

  public void warn(WorkloadResource<?> workload, String reason, String message) {
    record(workload, "Warning", reason, message);
  }

  private void record(WorkloadResource<?> workload, String type, String reason, String message) {
    record(workload.getKind(), workload.getMetadata().getNamespace(), workload.getMetadata().getName(),
        workload.getMetadata().getUid(), type, reason, message);
  }

  /** An event on the workload of this kind, namespace and name ({@code uid} may be null). */
  void record(String kind, String namespace, String name, String uid, String type, String reason, String message) {
    ObjectReference involved = new ObjectReferenceBuilder()
        .withApiVersion(Blueprint.API_VERSION).withKind(kind).withNamespace(namespace).withName(name).withUid(uid)
        .build();
    Event event = factory.build(involved, type, reason, message, ACTION, clock.instant());
    try {
      client.v1().events().inNamespace(namespace).resource(event).create();
    } catch (KubernetesClientException e) {
      log.warn("could not record event {} on {} {}/{}: {}", reason, kind, namespace, name, e.getMessage());
    }
  }
}
