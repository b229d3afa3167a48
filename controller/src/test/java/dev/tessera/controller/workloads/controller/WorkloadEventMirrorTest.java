package dev.tessera.controller.workloads.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.actions.PodEvents;
import dev.tessera.extender.ledger.PodIndex;
import dev.tessera.extender.model.PodKey;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkloadEventMirrorTest {
  /** A training's GPU pod, bert-0 (UID u-1) of training bert in namespace ml. */
  static PodIndex indexWithBert() {
    PodIndex index = new PodIndex();
    index.upsert(new PodBuilder()
        .withNewMetadata().withNamespace("ml").withName("bert-0").withUid("u-1")
        .addToLabels(Blueprint.WORKLOAD_LABEL, "bert").addToLabels(WellKnown.WORKLOAD_KIND_LABEL, "training")
        .endMetadata()
        .withNewSpec().addNewContainer().withName("main").withNewResources()
        .addToLimits(WellKnown.GPU_RESOURCE, new io.fabric8.kubernetes.api.model.Quantity("1"))
        .endResources().endContainer().endSpec()
        .build());
    return index;
  }

  @Test
  void whatHappensToAWorkloadsPodIsToldOnTheWorkloadToo() {
    try (EmbeddedApiServer api = EmbeddedApiServer.start()) {
      WorkloadEventMirror mirror = new WorkloadEventMirror(
          PodEvents.NOOP, indexWithBert(), new WorkloadEvents(api.client(), Clock.systemUTC()), Runnable::run);
      PodKey pod = new PodKey("ml", "bert-0", "u-1");
      mirror.warn(pod, "Reclaimed", "evicted to give GPUs back to project team-a");
      mirror.warn(pod, "InvalidGpuRequest", "not mirrored: the pod's own business");
      List<Event> events = api.client().v1().events().inNamespace("ml").list().getItems();
      assertEquals(1, events.size());
      assertEquals("Training", events.get(0).getInvolvedObject().getKind());
      assertEquals("bert", events.get(0).getInvolvedObject().getName());
      assertEquals("pod bert-0: evicted to give GPUs back to project team-a", events.get(0).getMessage());
    }
  }

  @Test
  void theNodeAgentsGpuMemoryEventsAreToldOnTheWorkloadUnderTheirOwnReason() {
    try (EmbeddedApiServer api = EmbeddedApiServer.start()) {
      WorkloadEventMirror mirror = new WorkloadEventMirror(
          PodEvents.NOOP, indexWithBert(), new WorkloadEvents(api.client(), Clock.systemUTC()), Runnable::run);
      PodKey pod = new PodKey("ml", "bert-0", "u-1");
      mirror.recorded(pod, "Warning", WellKnown.GPU_OUT_OF_MEMORY_REASON,
          "process 4711 was refused 2048 MiB on GPU-0a1b: the container's limit is 8192 MiB");
      mirror.recorded(pod, "Warning", WellKnown.GPU_MEMORY_LOAN_RECLAIMED_REASON,
          "process 4712 had borrowed 4096 MiB on GPU-0a1b above its request of 8192 MiB; killed for another pod's request");
      mirror.recorded(pod, "Warning", "BackOff", "not mirrored: kubelet's");
      List<Event> events = api.client().v1().events().inNamespace("ml").list().getItems().stream()
          .sorted(Comparator.comparing(e -> e.getMetadata().getName()))
          .toList();
      assertEquals(List.of("GpuOutOfMemory", "GpuMemoryLoanReclaimed"), events.stream().map(Event::getReason).toList(),
          "the reason stays GpuOutOfMemory: what a user searching for an OOM on the GPU finds");
      assertEquals(List.of("Warning", "Warning"), events.stream().map(Event::getType).toList());
      assertEquals(List.of("Training/bert", "Training/bert"), events.stream()
          .map(e -> e.getInvolvedObject().getKind() + "/" + e.getInvolvedObject().getName()).toList());
      assertEquals("pod bert-0: process 4711 was refused 2048 MiB on GPU-0a1b: the container's limit is 8192 MiB",
          events.get(0).getMessage());
      assertEquals("pod bert-0: process 4712 had borrowed 4096 MiB on GPU-0a1b above its request of 8192 MiB;"
          + " killed for another pod's request", events.get(1).getMessage());
    }
  }
}
