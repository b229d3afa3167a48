package dev.tessera.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.agent.gpu.GpuInfo;
import dev.tessera.agent.gpu.SimulatedFault;
import dev.tessera.agent.gpu.SimulatedGpuBackend;
import dev.tessera.agent.gpu.XidErrors;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Simulated faults, a lost GPU and XIDs, seen where an operator looks: the health gauge and the XID
 * counter on {@code /metrics}, an event on the Node, and a line in the log.
 */
class GpuFaultsTest {
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final ByteArrayOutputStream log = new ByteArrayOutputStream();
  private PrintStream stderr;
  private SimulatedGpuBackend gpus;
  private NodeAgent agent;

  /** Records the events as "reason gpu detail". */
  private final NodeEvents recording =
      new NodeEvents() {
        @Override
        public void gpuUnhealthy(GpuInfo gpu, String reason) {
          events.add("GpuUnhealthy " + gpu.index() + " " + reason);
        }

        @Override
        public void gpuHealthy(GpuInfo gpu) {
          events.add("GpuHealthy " + gpu.index());
        }

        @Override
        public void gpuXid(GpuInfo gpu, int xid, boolean critical) {
          events.add("GpuXidError " + gpu.index() + " " + xid + (critical ? " critical" : ""));
        }
      };

  @BeforeEach
  void start() throws Exception {
    // slf4j-simple writes to whatever System.err is at the time of each line.
    stderr = System.err;
    System.setErr(new PrintStream(new TeeStream(stderr, log), true, StandardCharsets.UTF_8));
    gpus = SimulatedGpuBackend.fromSpec("2xNVIDIA-A100-SXM4-80GB:81920", Clock.systemUTC(), 3);
    AgentConfig config = new AgentConfig("node-a", Optional.empty(), 0, Duration.ofMillis(50), Duration.ofSeconds(5));
    agent = NodeAgent.start(config, gpus, ContainerUsageSource.NONE, DevicePluginStarter.NONE, recording, Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    agent.close();
    gpus.close();
    System.setErr(stderr);
  }

  @Test
  void aCriticalXidMakesTheGpuUnhealthyUntilItRecovers() throws Exception {
    assertTrue(scrape().contains("tessera_gpu_healthy{gpu=\"1\",UUID=\"" + uuid(1) + "\""), scrape());
    assertEquals("1", healthOf(1));

    gpus.xid(1, 79);

    Await.until(() -> "0".equals(healthOf(1)), "GPU 1 unhealthy on /metrics");
    String text = scrape();
    assertTrue(text.contains("reason=\"" + XidErrors.reason(79) + "\"} 0\n"), text);
    assertTrue(text.contains("xid=\"79\"} 1\n"), "the XID counter: " + text);
    assertTrue(text.contains("# TYPE tessera_gpu_xid_errors_total counter\n"), text);
    assertTrue(line(text, "DCGM_FI_DEV_XID_ERRORS{gpu=\"1\"").endsWith(" 79"), text);
    Await.until(() -> events.contains("GpuUnhealthy 1 " + XidErrors.reason(79)), "the unhealthy event: " + events);
    assertTrue(events.contains("GpuXidError 1 79 critical"), events.toString());
    assertTrue(logged("GPU 1 (" + uuid(1) + ") reported XID 79"), log.toString());
    assertTrue(logged("GPU 1 (" + uuid(1) + ") is unhealthy: XID 79"), log.toString());

    gpus.recover(1);

    Await.until(() -> "1".equals(healthOf(1)), "GPU 1 healthy again");
    Await.until(() -> events.contains("GpuHealthy 1"), "the recovered event: " + events);
    assertTrue(logged("GPU 1 (" + uuid(1) + ") is healthy again"), log.toString());
    assertTrue(scrape().contains("xid=\"79\"} 1\n"), "a counter never goes back");
  }

  @Test
  void anApplicationsXidIsCountedAndTheGpuStaysHealthy() throws Exception {
    gpus.xid(0, 13);
    gpus.xid(0, 13);

    Await.until(() -> scrapeQuietly().contains("xid=\"13\"} 2\n"), "two XID 13 counted");
    assertEquals("1", healthOf(0));
    Await.until(() -> events.stream().anyMatch(e -> e.startsWith("GpuXidError 0 13")), "the XID event");
    assertTrue(events.stream().noneMatch(e -> e.startsWith("GpuUnhealthy")), events.toString());
  }

  @Test
  void aLostGpuIsUnhealthyWithTheReasonAndKeepsItsXidSeries() throws Exception {
    gpus.xid(0, 31);
    Await.until(() -> scrapeQuietly().contains("xid=\"31\"} 1\n"), "the XID counted");

    gpus.fail(0, SimulatedFault.LOST);

    Await.until(() -> "0".equals(healthOf(0)), "GPU 0 unhealthy");
    String text = scrape();
    assertTrue(text.contains("reason=\"GPU is lost\"} 0\n"), text);
    assertEquals("", line(text, "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\""), "a lost GPU has no figures");
    assertTrue(text.contains("xid=\"31\"} 1\n"), "its counter stays: " + text);
    assertTrue(line(text, "DCGM_FI_DEV_XID_ERRORS{gpu=\"0\"").endsWith(" 31"), text);
    Await.until(() -> events.contains("GpuUnhealthy 0 GPU is lost"), "the event: " + events);
    assertTrue(logged("GPU 0 (" + uuid(0) + ") is unhealthy: GPU is lost"), log.toString());
  }

  private String uuid(int index) {
    return gpus.inventory().get(index).uuid();
  }

  /** The value of GPU {@code index}'s health gauge, or null without one. */
  private String healthOf(int index) {
    String l = line(scrapeQuietly(), "tessera_gpu_healthy{gpu=\"" + index + "\"");
    return l.isEmpty() ? null : l.substring(l.lastIndexOf(' ') + 1);
  }

  private static String line(String text, String prefix) {
    for (String l : text.split("\n")) {
      if (l.startsWith(prefix)) {
        return l;
      }
    }
    return "";
  }

  private boolean logged(String text) {
    return log.toString(StandardCharsets.UTF_8).contains(text);
  }

  private String scrapeQuietly() {
    try {
      return scrape();
    } catch (Exception e) {
      return "";
    }
  }

  private String scrape() throws Exception {
    HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.metricsPort() + "/metrics")).build();
    return HttpClient.newHttpClient().send(get, HttpResponse.BodyHandlers.ofString()).body();
  }

  /** Writes to both, so the test's own output still shows the log. */
  private static final class TeeStream extends java.io.OutputStream {
    private final java.io.OutputStream a;
    private final java.io.OutputStream b;

    TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public synchronized void write(int c) throws java.io.IOException {
      a.write(c);
      b.write(c);
    }

    @Override
    public synchronized void write(byte[] bytes, int off, int len) throws java.io.IOException {
      a.write(bytes, off, len);
      b.write(bytes, off, len);
    }
  }
}
