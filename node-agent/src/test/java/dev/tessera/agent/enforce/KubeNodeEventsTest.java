package dev.tessera.agent.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.agent.Await;
import dev.tessera.agent.gpu.GpuInfo;
import dev.tessera.agent.gpu.TestClock;
import dev.tessera.agent.kube.KubeApi;
import dev.tessera.agent.kube.KubeConfig;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.net.URI;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** GPU health events reach a real HTTP API on the Node, where kubectl describe node shows them. */
class KubeNodeEventsTest {
  private KubernetesMockServer server;
  private KubernetesClient client;

  @BeforeEach
  void start() {
    server = new KubernetesMockServer(
        new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    client = server.createClient();
  }

  @AfterEach
  void stop() {
    client.close();
    server.destroy();
  }

  @Test
  void recordsUnhealthyXidAndRecoveredOnTheNode() {
    KubeApi api = new KubeApi(new KubeConfig(URI.create(server.url("/")), () -> "token", null));
    KubeNodeEvents events = new KubeNodeEvents(api, "gpu-node-1", new TestClock(Instant.parse("2026-11-23T10:00:00Z")));
    GpuInfo gpu = new GpuInfo(1, "GPU-1", "NVIDIA H100 80GB HBM3", 80L << 30, false, "00000000:3B:00.0", 1);

    events.gpuXid(gpu, 79, true);
    events.gpuUnhealthy(gpu, "GPU is lost");
    events.gpuHealthy(gpu);

    Await.until(() -> client.v1().events().inNamespace("default").list().getItems().size() == 3, "three events");
    List<Event> recorded =
        client.v1().events().inNamespace("default").list().getItems().stream()
            .sorted(Comparator.comparing(Event::getReason))
            .toList();
    assertEquals(List.of("GpuHealthy", "GpuUnhealthy", "GpuXidError"), recorded.stream().map(Event::getReason).toList());
    for (Event e : recorded) {
      assertEquals("Node", e.getInvolvedObject().getKind());
      assertEquals("gpu-node-1", e.getInvolvedObject().getName());
      assertEquals("tessera-node-agent", e.getSource().getComponent());
    }
    assertEquals("Normal", recorded.get(0).getType());
    assertEquals("GPU 1 (GPU-1, 00000000:3B:00.0) is healthy again", recorded.get(0).getMessage());
    assertEquals("Warning", recorded.get(1).getType());
    assertEquals("GPU 1 (GPU-1, 00000000:3B:00.0) is unhealthy: GPU is lost", recorded.get(1).getMessage());
    assertEquals("Warning", recorded.get(2).getType());
    assertEquals(
        "GPU 1 (GPU-1, 00000000:3B:00.0) reported XID 79: XID 79 reported by the driver; the GPU needs a reset"
            + " or the node a reboot",
        recorded.get(2).getMessage());
  }
}
