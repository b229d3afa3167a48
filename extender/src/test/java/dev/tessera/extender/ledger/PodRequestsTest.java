package dev.tessera.extender.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PodKey;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import org.junit.jupiter.api.Test;

class PodRequestsTest {

  @Test
  void wholeGpusFromLimits() {
    assertEquals(GpuRequest.whole(2), PodRequests.of(Fixtures.pod("ns", "p").gpus(2).obj()));
  }

  @Test
  void requestsCountWhenLimitsLackTheGpu() {
    Container container =
        new ContainerBuilder()
            .withName("c")
            .withNewResources()
            .addToLimits("cpu", new Quantity("1"))
            .addToRequests(WellKnown.GPU_RESOURCE, new Quantity("3"))
            .endResources()
            .build();
    assertEquals(GpuRequest.whole(3), PodRequests.of(pod(container)));
  }

  @Test
  void fractionAndMemoryAnnotations() {
    assertEquals(GpuRequest.fraction(0.5, 1), PodRequests.of(Fixtures.pod("ns", "p").fraction("0.5").obj()));
    assertEquals(
        GpuRequest.memory(20000, 2),
        PodRequests.of(
            Fixtures.pod("ns", "p")
                .annotation(WellKnown.GPU_MEMORY, "20000")
                .annotation(WellKnown.GPU_FRACTION_NUM_DEVICES, "2")
                .obj()));
  }

  @Test
  void noGpuAtAll() {
    assertEquals(GpuRequest.NONE, PodRequests.of(Fixtures.pod("ns", "p").obj()));
    assertEquals(GpuRequest.NONE, PodRequests.of(new Pod()));
  }

  @Test
  void quantitiesArePassedAsWrittenSoSuffixesAreReported() {
    GpuRequest request = PodRequests.of(Fixtures.pod("ns", "p").gpus("1k").obj());
    assertEquals(GpuRequest.Kind.INVALID, request.kind());
    assertEquals("1k", PodRequests.gpuQuantity(Fixtures.pod("ns", "p").gpus("1k").obj().getSpec().getContainers().get(0)));
  }

  @Test
  void sidecarsCountWithAppContainersAndInitContainersByTheirMaximum() {
    Pod pod =
        new PodBuilder()
            .withNewMetadata().withNamespace("ns").withName("p").endMetadata()
            .withNewSpec()
            .addToContainers(gpuContainer("app", "1"))
            .addToInitContainers(gpuContainer("init", "4"))
            .addToInitContainers(new ContainerBuilder(gpuContainer("sidecar", "1")).withRestartPolicy("Always").build())
            .endSpec()
            .build();
    assertEquals(GpuRequest.whole(4), PodRequests.of(pod)); // max(init 4, app 1 + sidecar 1)

    Pod moreApps =
        new PodBuilder(pod).editSpec().addToContainers(gpuContainer("app2", "3")).endSpec().build();
    assertEquals(GpuRequest.whole(5), PodRequests.of(moreApps));
  }

  @Test
  void keyOfAPod() {
    Pod pod = Fixtures.pod("team", "train").uid("u-1").obj();
    assertEquals(new PodKey("team", "train", "u-1"), PodRequests.keyOf(pod));
  }

  @Test
  void containerWithoutResources() {
    assertNull(PodRequests.gpuQuantity(new ContainerBuilder().withName("c").build()));
  }

  private static Container gpuContainer(String name, String gpus) {
    return new ContainerBuilder()
        .withName(name)
        .withNewResources()
        .addToLimits(WellKnown.GPU_RESOURCE, new Quantity(gpus))
        .endResources()
        .build();
  }

  private static Pod pod(Container container) {
    return new PodBuilder()
        .withNewMetadata().withNamespace("ns").withName("p").endMetadata()
        .withNewSpec().addToContainers(container).endSpec()
        .build();
  }
}
