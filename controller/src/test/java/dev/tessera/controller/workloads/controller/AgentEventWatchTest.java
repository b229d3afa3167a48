package dev.tessera.controller.workloads.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.actions.PodEvents;
import dev.tessera.extender.testing.Await;
import dev.tessera.extender.testing.MutableClock;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The node agent's GPU memory events, recorded on the pod through the API server as the agent
 * does, reach the pod's workload: each new one once, each repeat the agent counts again, none
 * from before the watch started.
 */
class AgentEventWatchTest {
  private final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));

  /** An event on pod bert-0 as the node agent records it. */
  private Event agentEvent(String name, String reason, String message, Instant when) {
    return new EventBuilder()
        .withNewMetadata().withNamespace("ml").withName(name).endMetadata()
        .withNewInvolvedObject().withApiVersion("v1").withKind("Pod").withNamespace("ml").withName("bert-0")
        .withUid("u-1").endInvolvedObject()
        .withType("Warning").withReason(reason).withMessage(message)
        .withNewSource().withComponent("tessera-node-agent").withHost("gpu-1").endSource()
        .withCount(1).withFirstTimestamp(when.toString()).withLastTimestamp(when.toString())
        .build();
  }

  private static List<Event> onTheWorkload(KubernetesClient client) {
    return client.v1().events().inNamespace("ml").list().getItems().stream()
        .filter(e -> "Training".equals(e.getInvolvedObject().getKind()))
        .sorted(Comparator.comparing(e -> e.getMetadata().getName()))
        .toList();
  }

  @Test
  void eachNewGpuMemoryOrPreemptionEventOfAPodIsCopiedOntoItsWorkloadOnce() throws Exception {
    try (EmbeddedApiServer api = EmbeddedApiServer.start()) {
      KubernetesClient client = api.client();
      // Recorded an hour before the extender (re)started: its previous run copied it.
      client.resource(agentEvent("bert-0.old", WellKnown.GPU_OUT_OF_MEMORY_REASON, "process 1 was refused 1 MiB",
          clock.instant().minus(Duration.ofHours(1)))).create();
      WorkloadEventMirror mirror = new WorkloadEventMirror(PodEvents.NOOP, WorkloadEventMirrorTest.indexWithBert(),
          new WorkloadEvents(client, clock), Runnable::run);
      // The mock API server answers no event to the watch's field selectors: this watch takes all
      // events (the copies on the workload included) and must sort out the agent's own.
      try (AgentEventWatch watch = new AgentEventWatch(clock, mirror,
          reason -> client.v1().events().inAnyNamespace().runnableInformer(0))) {
        watch.start(Duration.ofSeconds(10));

        client.resource(agentEvent("bert-0.oom", WellKnown.GPU_OUT_OF_MEMORY_REASON,
            "process 4711 was refused 2048 MiB on GPU-0a1b: the container's limit is 8192 MiB", clock.instant())).create();
        client.resource(agentEvent("bert-0.loan", WellKnown.GPU_MEMORY_LOAN_RECLAIMED_REASON,
            "process 4712 was killed to give back 4096 MiB on loan on GPU-0a1b", clock.instant())).create();
        // kube-scheduler's, on a pod it evicted for a higher-priority one.
        client.resource(agentEvent("bert-0.preempted", WellKnown.PREEMPTED_REASON,
            "Preempted by pod 7c1e0f3a-5b2d-4e8f-9a61-0d3c2b1a4f5e on node gpu-3", clock.instant())).create();
        Await.await(() -> "three copies on the workload: " + onTheWorkload(client),
            () -> onTheWorkload(client).size() == 3, Duration.ofSeconds(10));

        client.v1().events().inNamespace("ml").withName("bert-0.oom").edit(e -> {
          e.getMetadata().setAnnotations(java.util.Map.of("touched", "yes")); // changed, not happened again
          return e;
        });
        clock.advance(Duration.ofSeconds(30));
        client.v1().events().inNamespace("ml").withName("bert-0.oom").edit(e -> {
          e.setCount(e.getCount() + 1); // the agent saw the same refusal again
          e.setLastTimestamp(clock.instant().toString());
          return e;
        });
        // One informer hands over a reason's events in order: once this one is copied, so is all before.
        client.resource(agentEvent("bert-0.last", WellKnown.GPU_OUT_OF_MEMORY_REASON, "process 4713 was refused 1 MiB",
            clock.instant())).create();
        Await.await(() -> "the last one copied: " + onTheWorkload(client),
            () -> onTheWorkload(client).stream().anyMatch(e -> e.getMessage().contains("4713")), Duration.ofSeconds(10));
      }
      List<Event> copies = onTheWorkload(client);
      // The reasons' informers run apart: their copies may come in any order.
      assertEquals(List.of(
              "Warning GpuMemoryLoanReclaimed pod bert-0: process 4712 was killed to give back 4096 MiB on loan on GPU-0a1b",
              "Warning GpuOutOfMemory pod bert-0: process 4711 was refused 2048 MiB on GPU-0a1b: the container's limit is 8192 MiB",
              "Warning GpuOutOfMemory pod bert-0: process 4711 was refused 2048 MiB on GPU-0a1b: the container's limit is 8192 MiB",
              "Warning GpuOutOfMemory pod bert-0: process 4713 was refused 1 MiB",
              "Warning Preempted pod bert-0: Preempted by pod 7c1e0f3a-5b2d-4e8f-9a61-0d3c2b1a4f5e on node gpu-3"),
          copies.stream().map(e -> e.getType() + " " + e.getReason() + " " + e.getMessage()).sorted().toList(),
          "once each, again for the repeat; not the event from before the watch, nor a copy, nor a touch");
      assertEquals(List.of("bert"), copies.stream().map(e -> e.getInvolvedObject().getName()).distinct().toList());
    }
  }
}
