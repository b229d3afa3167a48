package dev.tessera.extender.workloads.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.extender.cluster.PodEvents;
import dev.tessera.extender.cluster.PodIndex;
import dev.tessera.extender.embedded.EmbeddedApiServer;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.model.WellKnown;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkloadEventMirrorTest {
  @Test
  void whatHappensToAWorkloadsPodIsToldOnTheWorkloadToo() {
    try (EmbeddedApiServer api = EmbeddedApiServer.start()) {
      PodIndex index = new PodIndex();
      index.upsert(new PodBuilder()
          .withNewMetadata().withNamespace("ml").withName("bert-0").withUid("u-1")
          .addToLabels(Blueprint.WORKLOAD_LABEL, "bert").addToLabels(WellKnown.WORKLOAD_KIND_LABEL, "training")
          .endMetadata()
          .withNewSpec().addNewContainer().withName("main").withNewResources()
          .addToLimits(WellKnown.GPU_RESOURCE, new io.fabric8.kubernetes.api.model.Quantity("1"))
          .endResources().endContainer().endSpec()
          .build());
      WorkloadEventMirror mirror = new WorkloadEventMirror(
          PodEvents.NOOP, index, new WorkloadEvents(api.client(), Clock.systemUTC()), Runnable::run);
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
}
