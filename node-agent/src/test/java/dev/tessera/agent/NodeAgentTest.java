package dev.tessera.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.agent.report.TestExtender;
import dev.tessera.proto.agent.v1.NodeReport;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The whole agent on a fake backend: metrics over HTTP, reports over gRPC, plugin lifecycle. */
class NodeAgentTest {
  private final HttpClient http = HttpClient.newHttpClient();

  private String scrape(int port) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString())
        .body();
  }

  @Test
  void samplesServesReportsAndStopsInOrder() throws Exception {
    FakeGpuBackend gpus = new FakeGpuBackend(2, "NVIDIA H100 80GB HBM3", 80 * FakeGpuBackend.GIB);
    ContainerUsage c = new ContainerUsage("team-a", "train-0", "uid-0", "main", FakeGpuBackend.uuid(1), FakeGpuBackend.GIB, 0);
    AtomicInteger pluginStarted = new AtomicInteger();
    AtomicInteger pluginStopped = new AtomicInteger();
    DevicePluginStarter plugin =
        (backend, scheduler, registry) -> {
          pluginStarted.incrementAndGet();
          return pluginStopped::incrementAndGet;
        };

    try (TestExtender extender = TestExtender.start(0)) {
      AgentConfig config =
          new AgentConfig(
              "node-a", Optional.of(new HostPort("127.0.0.1", extender.port())), 0, Duration.ofMillis(50), Duration.ofMillis(100));
      NodeAgent agent = NodeAgent.start(config, gpus, () -> List.of(c), plugin, Clock.systemUTC());
      int port = agent.metricsPort();
      try {
        assertEquals(1, pluginStarted.get());
        String text = scrape(port);
        assertTrue(
            text.contains("DCGM_FI_DEV_GPU_UTIL{gpu=\"1\",UUID=\"" + FakeGpuBackend.uuid(1)
                + "\",pci_bus_id=\"\",device=\"\",modelName=\"NVIDIA H100 80GB HBM3\",Hostname=\"node-a\","
                + "DCGM_FI_DRIVER_VERSION=\"\",container=\"main\",namespace=\"team-a\",pod=\"train-0\"} 10\n"),
            text);
        assertTrue(text.contains("tessera_container_gpu_memory_used_bytes{"), text);

        NodeReport report = extender.reports.poll(10, TimeUnit.SECONDS);
        assertEquals("node-a", report.getNodeName());
        assertEquals(2, report.getGpusCount());
        assertEquals("train-0", report.getContainers(0).getPod());

        // A change on the GPU reaches /metrics within a few sample periods.
        gpus.update(0, s -> FakeGpuBackend.withUtilization(s, 64));
        Await.until(() -> scrapeQuietly(port).contains("DCGM_FI_DRIVER_VERSION=\"\",container=\"\",namespace=\"\",pod=\"\"} 64\n"), "the change on /metrics");
      } finally {
        agent.close();
      }
      assertEquals(1, pluginStopped.get());
      assertThrows(ConnectException.class, () -> scrape(port), "metrics stopped");
      Await.until(() -> extender.halfClosed.get() == 1, "the report stream ended cleanly");
    }
  }

  @Test
  void aDevicePluginThatCannotStartStopsTheRestAgain() throws Exception {
    FakeGpuBackend gpus = new FakeGpuBackend(1, "NVIDIA L4", 24 * FakeGpuBackend.GIB);
    AgentConfig config = new AgentConfig("node-a", Optional.empty(), 0, Duration.ofMillis(50), Duration.ofSeconds(5));
    DevicePluginStarter broken =
        (backend, scheduler, registry) -> {
          throw new IllegalStateException("kubelet socket missing");
        };
    assertThrows(IllegalStateException.class, () -> NodeAgent.start(config, gpus, ContainerUsageSource.NONE, broken, Clock.systemUTC()));
    int calls = gpus.sampleCalls();
    Thread.sleep(200); // four sample periods: a leaked sampler would have sampled again
    assertEquals(calls, gpus.sampleCalls(), "the sampler was stopped");
  }

  private String scrapeQuietly(int port) {
    try {
      return scrape(port);
    } catch (Exception e) {
      return "";
    }
  }
}
