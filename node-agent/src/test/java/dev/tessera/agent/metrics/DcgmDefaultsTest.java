package dev.tessera.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.agent.AgentConfig;
import dev.tessera.agent.ContainerUsage;
import dev.tessera.agent.DevicePluginStarter;
import dev.tessera.agent.NodeAgent;
import dev.tessera.agent.gpu.SimulatedGpuBackend;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent's {@code /metrics}, fetched over HTTP from a running agent on simulated GPUs, against
 * the table of dcgm-exporter's default counters kept in {@code dcgm-exporter-defaults.csv}: every
 * counter the table says NVML gives is there with dcgm-exporter's name, type, help and labels; the
 * ones only DCGM can measure are not, and nothing else is named like a DCGM field.
 */
class DcgmDefaultsTest {
  /** dcgm-exporter's labels on every series, in its order; pod labels last, as in Kubernetes mode. */
  private static final List<String> DCGM_EXPORTER_LABELS =
      List.of(
          "gpu", "UUID", "pci_bus_id", "device", "modelName", "Hostname", "DCGM_FI_DRIVER_VERSION",
          "container", "namespace", "pod");

  private static final long GIB = 1024L * 1024 * 1024;

  private record Row(String field, String type, String help, String unit, String source) {}

  private SimulatedGpuBackend gpus;
  private NodeAgent agent;

  @BeforeEach
  void start() throws Exception {
    gpus = SimulatedGpuBackend.fromSpec("2xNVIDIA-H100-80GB-HBM3:81559", Clock.systemUTC(), 7);
    gpus.simulate(1, 20 * GIB, 80);
    String gpu1 = gpus.inventory().get(1).uuid();
    ContainerUsage owner = new ContainerUsage("team-a", "train-0", "uid-0", "main", gpu1, 20 * GIB, 0);
    AgentConfig config = new AgentConfig("node-a", Optional.empty(), 0, Duration.ofMillis(50), Duration.ofSeconds(5));
    agent = NodeAgent.start(config, gpus, () -> List.of(owner), DevicePluginStarter.NONE, Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    agent.close();
    gpus.close();
  }

  @Test
  void everyDefaultCounterNvmlGivesHasDcgmExportersNameTypeHelpAndLabels() throws Exception {
    String text = scrape();
    Exposition metrics = Exposition.parse(text);
    Map<String, String> types = comments(text, "# TYPE ");
    Map<String, String> helps = comments(text, "# HELP ");
    List<Row> table = table();
    assertEquals(30, table.size(), "the table has every default of dcgm-exporter");

    List<String> missing = new ArrayList<>();
    for (Row row : table) {
      if (row.type().equals("label") || !row.source().equals("nvml")) {
        continue;
      }
      List<Exposition.Series> series = metrics.named(row.field());
      if (series.isEmpty()) {
        missing.add(row.field());
        continue;
      }
      assertEquals(row.type(), types.get(row.field()), row.field() + "'s type");
      assertEquals(row.help(), helps.get(row.field()), row.field() + "'s help");
      assertEquals(2, series.size(), row.field() + ": one series per GPU");
      for (Exposition.Series s : series) {
        assertEquals(DCGM_EXPORTER_LABELS, List.copyOf(s.labels().keySet()), row.field() + "'s labels");
        assertEquals(SimulatedGpuBackend.DRIVER_VERSION, s.labels().get("DCGM_FI_DRIVER_VERSION"));
        assertEquals("node-a", s.labels().get("Hostname"));
        assertEquals("nvidia" + s.labels().get("gpu"), s.labels().get("device"));
        assertTrue(s.labels().get("pci_bus_id").matches("[0-9A-F]{8}:[0-9A-F]{2}:[0-9A-F]{2}\\.[0-7]"), s.toString());
        assertTrue(s.value() >= 0, s.toString());
      }
    }
    assertEquals(List.of(), missing, "default counters NVML gives but /metrics lacks");

    Set<String> known = new TreeSet<>();
    table.forEach(r -> known.add(r.field()));
    for (String name : metrics.names()) {
      if (name.startsWith("DCGM_")) {
        assertTrue(known.contains(name), name + " is not one of dcgm-exporter's defaults");
      }
    }
    for (Row row : table) {
      if (!row.source().equals("nvml")) {
        assertFalse(types.containsKey(row.field()), row.field() + " needs " + row.source() + "; the agent has no figure for it");
      }
    }
  }

  @Test
  void theGpuOfOneContainerSaysWhoseItIs() throws Exception {
    Exposition metrics = Exposition.parse(scrape());
    Exposition.Series owned = metrics.find(DcgmMetrics.GPU_UTIL, "gpu", "1");
    assertEquals("train-0", owned.labels().get("pod"));
    assertEquals("team-a", owned.labels().get("namespace"));
    assertEquals("main", owned.labels().get("container"));
    assertEquals(80.0, owned.value());
    assertEquals("", metrics.find(DcgmMetrics.GPU_UTIL, "gpu", "0").labels().get("pod"));
  }

  @Test
  void countersOnlyGrow() throws Exception {
    Exposition before = Exposition.parse(scrape());
    Thread.sleep(300);
    Exposition after = Exposition.parse(scrape());
    for (String name : List.of(DcgmMetrics.TOTAL_ENERGY, DcgmMetrics.NVLINK_BANDWIDTH)) {
      double was = before.find(name, "gpu", "1").value();
      double is = after.find(name, "gpu", "1").value();
      assertTrue(is > was, name + " grows under load: " + was + " then " + is);
    }
  }

  private String scrape() throws IOException, InterruptedException {
    HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.metricsPort() + "/metrics")).build();
    return HttpClient.newHttpClient().send(get, HttpResponse.BodyHandlers.ofString()).body();
  }

  /** "# TYPE name type" or "# HELP name text" lines, by name. */
  private static Map<String, String> comments(String text, String prefix) {
    Map<String, String> out = new HashMap<>();
    for (String line : text.split("\n")) {
      if (line.startsWith(prefix)) {
        String rest = line.substring(prefix.length());
        int space = rest.indexOf(' ');
        out.put(rest.substring(0, space), rest.substring(space + 1));
      }
    }
    return out;
  }

  private static List<Row> table() throws IOException {
    List<Row> rows = new ArrayList<>();
    try (InputStream in = DcgmDefaultsTest.class.getResourceAsStream("/dcgm-exporter-defaults.csv")) {
      String csv = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      boolean header = true;
      for (String line : csv.split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        if (header) {
          header = false; // the column names
          continue;
        }
        String[] f = line.split(",", -1);
        assertEquals(6, f.length, "six columns: " + line);
        rows.add(new Row(f[0].strip(), f[1].strip(), f[2].strip(), f[3].strip(), f[4].strip()));
      }
    }
    return rows;
  }
}
