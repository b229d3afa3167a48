package dev.tessera.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.agent.ContainerUsage;
import dev.tessera.agent.GpuState;
import dev.tessera.agent.NodeSnapshot;
import dev.tessera.agent.gpu.GpuInfo;
import dev.tessera.agent.gpu.GpuSample;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AgentMetricsTest {
  private static final long MIB = 1024L * 1024;
  private static final long GIB = 1024 * MIB;
  private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
  private static final String MODEL = "NVIDIA A100-SXM4-80GB";
  private static final Set<String> DCGM_LABELS =
      Set.of(
          "gpu", "UUID", "pci_bus_id", "device", "modelName", "Hostname", "DCGM_FI_DRIVER_VERSION",
          "pod", "namespace", "container");

  private final PrometheusMeterRegistry registry = AgentMetrics.newRegistry();
  private final DcgmMetrics dcgm = new DcgmMetrics("node-a", "550.54.15");
  /** What the sampler would hold: the snapshot scrapes read. */
  private NodeSnapshot latest = NodeSnapshot.empty(T0);

  private SnapshotGauges register(NodeSnapshot s) {
    latest = s;
    return AgentMetrics.register(registry, "node-a", s);
  }

  private void publish(SnapshotGauges gauges, NodeSnapshot s) {
    latest = s;
    gauges.accept(s);
  }

  private static GpuState gpu(int index, GpuSample sample) {
    return new GpuState(new GpuInfo(index, "GPU-" + index, MODEL, 80 * GIB, false), sample);
  }

  private static GpuSample busy(int index) {
    // 20 GiB + 0.5 MiB used: dcgm-exporter reports whole MiB.
    return new GpuSample(index, true, "", 20 * GIB + MIB / 2, 60 * GIB - MIB / 2, 87, 312_456, 61, 1_410, List.of());
  }

  private static ContainerUsage container(String pod, String gpu, long used, long limit) {
    return new ContainerUsage("team-a", pod, pod + "-uid", "main", gpu, used, limit);
  }

  private Exposition scrape() {
    return Exposition.parse(AgentMetrics.scrape(registry, dcgm, latest));
  }

  @Test
  void exposesDcgmExportersExactNamesLabelsAndUnits() {
    NodeSnapshot s =
        new NodeSnapshot(
            T0,
            List.of(gpu(0, busy(0)), gpu(1, busy(1))),
            List.of(container("train-0", "GPU-1", 10 * GIB, 0)));
    register(s);

    Exposition e = scrape();
    for (String name :
        List.of(
            DcgmMetrics.GPU_UTIL, DcgmMetrics.FB_USED, DcgmMetrics.FB_FREE,
            DcgmMetrics.GPU_TEMP, DcgmMetrics.POWER_USAGE, DcgmMetrics.SM_CLOCK)) {
      assertTrue(e.text().contains("# TYPE " + name + " gauge\n"), name + " is a gauge:\n" + e.text());
      assertEquals(2, e.named(name).size(), name + " has one series per GPU");
      for (Exposition.Series series : e.named(name)) {
        assertEquals(DCGM_LABELS, series.labels().keySet(), name + " labels");
      }
    }
    assertTrue(e.text().contains("# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).\n"), e.text());

    Exposition.Series util0 = e.find(DcgmMetrics.GPU_UTIL, "gpu", "0");
    assertEquals(
        List.of(
            "gpu=0", "UUID=GPU-0", "pci_bus_id=", "device=", "modelName=" + MODEL, "Hostname=node-a",
            "DCGM_FI_DRIVER_VERSION=550.54.15", "container=", "namespace=", "pod="),
        util0.labels().entrySet().stream().map(x -> x.getKey() + "=" + x.getValue()).toList(),
        "dcgm-exporter's labels in its order");
    assertEquals(87.0, util0.value());
    assertTrue(e.text().contains("DCGM_FI_DEV_GPU_UTIL{gpu=\"0\",") && e.text().contains("} 87\n"), "whole numbers as dcgm-exporter writes them");
    assertEquals(20 * 1024.0, e.find(DcgmMetrics.FB_USED, "gpu", "0").value(), "MiB, whole");
    assertEquals(60 * 1024.0 - 1, e.find(DcgmMetrics.FB_FREE, "gpu", "0").value(), "MiB, whole");
    assertEquals(312.456, e.find(DcgmMetrics.POWER_USAGE, "gpu", "0").value(), 1e-9, "watts from milliwatts");
    assertEquals(61.0, e.find(DcgmMetrics.GPU_TEMP, "gpu", "0").value());
    assertEquals(1410.0, e.find(DcgmMetrics.SM_CLOCK, "gpu", "0").value());

    // GPU 1 is one container's: the DCGM series say whose.
    Map<String, String> owned = e.find(DcgmMetrics.GPU_UTIL, "gpu", "1").labels();
    assertEquals("train-0", owned.get("pod"));
    assertEquals("team-a", owned.get("namespace"));
    assertEquals("main", owned.get("container"));
  }

  @Test
  void unknownFiguresHaveNoSeriesRatherThanMinusOne() {
    GpuSample mig =
        new GpuSample(1, true, "", 4 * GIB, 76 * GIB, GpuSample.UNKNOWN, GpuSample.UNKNOWN, 50, GpuSample.UNKNOWN, List.of());
    NodeSnapshot s =
        new NodeSnapshot(T0, List.of(gpu(0, busy(0)), gpu(1, mig), gpu(2, GpuSample.unhealthy(2, "GPU is lost"))), List.of());
    register(s);

    Exposition e = scrape();
    assertNull(e.find(DcgmMetrics.GPU_UTIL, "gpu", "1"), "utilization unknown under MIG");
    assertNull(e.find(DcgmMetrics.POWER_USAGE, "gpu", "1"));
    assertNull(e.find(DcgmMetrics.SM_CLOCK, "gpu", "1"));
    assertNotNull(e.find(DcgmMetrics.GPU_TEMP, "gpu", "1"), "known figures of the same GPU stay");
    assertNotNull(e.find(DcgmMetrics.FB_USED, "gpu", "1"));
    for (String name : e.names()) {
      if (!name.equals(DcgmMetrics.GPU_HEALTHY)) {
        assertNull(e.find(name, "gpu", "2"), "the lost GPU has no " + name);
      }
    }
    assertEquals("GPU is lost", e.find(DcgmMetrics.GPU_HEALTHY, "gpu", "2").labels().get("reason"));
    assertEquals(0.0, e.find(DcgmMetrics.GPU_HEALTHY, "gpu", "2").value());
    assertEquals(1.0, e.find(DcgmMetrics.GPU_HEALTHY, "gpu", "1").value());
    assertTrue(e.series().stream().noneMatch(x -> x.value() < 0 || Double.isNaN(x.value())), e.text());
  }

  @Test
  void seriesFollowTheSnapshots() {
    NodeSnapshot first =
        new NodeSnapshot(T0, List.of(gpu(0, busy(0))), List.of(container("a", "GPU-0", GIB, 8 * GIB)));
    SnapshotGauges gauges = register(first);
    assertEquals("a", scrape().find(DcgmMetrics.GPU_UTIL, "gpu", "0").labels().get("pod"));

    // A second container shares the GPU: it is no longer one container's.
    publish(gauges,
        new NodeSnapshot(
            T0.plusSeconds(1),
            List.of(gpu(0, busy(0))),
            List.of(container("a", "GPU-0", GIB, 8 * GIB), container("b", "GPU-0", GIB, 8 * GIB))));
    Exposition shared = scrape();
    assertEquals(1, shared.named(DcgmMetrics.GPU_UTIL).size(), "the old series is gone, not duplicated");
    assertEquals("", shared.find(DcgmMetrics.GPU_UTIL, "gpu", "0").labels().get("pod"));
    assertEquals(2, shared.named(ContainerMetrics.MEMORY_USED).size());

    // The GPU is lost and the containers gone: only its health remains, saying why.
    publish(gauges, new NodeSnapshot(T0.plusSeconds(2), List.of(gpu(0, GpuSample.unhealthy(0, "GPU is lost"))), List.of()));
    assertEquals(List.of(DcgmMetrics.GPU_HEALTHY), scrape().series().stream().map(Exposition.Series::name).toList(), scrape().text());

    // And it comes back.
    publish(gauges, new NodeSnapshot(T0.plusSeconds(3), List.of(gpu(0, busy(0))), List.of()));
    assertEquals(87.0, scrape().find(DcgmMetrics.GPU_UTIL, "gpu", "0").value());
  }

  @Test
  void valuesAreReadFromTheLatestSnapshotWhenScraped() {
    SnapshotGauges gauges = register(new NodeSnapshot(T0, List.of(gpu(0, busy(0))), List.of()));
    GpuSample idle = new GpuSample(0, true, "", GIB, 79 * GIB, 3, 55_000, 35, 210, List.of());
    publish(gauges, new NodeSnapshot(T0.plusSeconds(1), List.of(gpu(0, idle)), List.of()));
    Exposition e = scrape();
    assertEquals(3.0, e.find(DcgmMetrics.GPU_UTIL, "gpu", "0").value());
    assertEquals(210.0, e.find(DcgmMetrics.SM_CLOCK, "gpu", "0").value());
  }

  @Test
  void containerGaugesCarryUsageLimitAndFraction() {
    NodeSnapshot s =
        new NodeSnapshot(
            T0,
            List.of(gpu(0, busy(0)), gpu(1, busy(1))),
            List.of(
                container("half", "GPU-0", 12 * GIB, 40 * GIB),
                container("whole", "GPU-1", 70 * GIB, 0),
                // Two processes of one container are one series.
                container("half", "GPU-0", 2 * GIB, 40 * GIB)));
    register(s);
    Exposition e = scrape();

    Exposition.Series used = e.find(ContainerMetrics.MEMORY_USED, "pod", "half");
    assertEquals(
        Map.of("pod", "half", "namespace", "team-a", "container", "main", "UUID", "GPU-0"), used.labels());
    assertEquals(14.0 * GIB, used.value());
    assertEquals(40.0 * GIB, e.find(ContainerMetrics.MEMORY_LIMIT, "pod", "half").value());
    assertEquals(0.5, e.find(ContainerMetrics.FRACTION, "pod", "half").value(), 1e-12);

    assertNull(e.find(ContainerMetrics.MEMORY_LIMIT, "pod", "whole"), "no limit: no series, not 0");
    assertEquals(1.0, e.find(ContainerMetrics.FRACTION, "pod", "whole").value());
    assertTrue(e.text().contains("# TYPE tessera_container_gpu_memory_used_bytes gauge\n"), e.text());
  }

  @Test
  void aDynamicFractionShowsItsRequestAndWhatItBorrows() {
    NodeSnapshot s =
        new NodeSnapshot(
            T0,
            List.of(gpu(0, busy(0))),
            List.of(
                new ContainerUsage("team-a", "borrower", "uid-b", "main", "GPU-0", 30 * GIB, 60 * GIB, 20 * GIB),
                new ContainerUsage("team-a", "modest", "uid-m", "main", "GPU-0", 5 * GIB, 60 * GIB, 20 * GIB)));
    register(s);
    Exposition e = scrape();

    assertEquals(20.0 * GIB, e.find(ContainerMetrics.MEMORY_REQUEST, "pod", "borrower").value());
    assertEquals(10.0 * GIB, e.find(ContainerMetrics.MEMORY_BORROWED, "pod", "borrower").value());
    assertEquals(0.0, e.find(ContainerMetrics.MEMORY_BORROWED, "pod", "modest").value());
  }

  @Test
  void dottedMicrometerNamesStillGetThePrometheusConvention() {
    io.micrometer.core.instrument.Gauge.builder("tessera.agent.example", () -> 1.0)
        .baseUnit("bytes")
        .register(registry);
    assertTrue(scrape().names().contains("tessera_agent_example_bytes"), scrape().text());
    assertFalse(scrape().text().contains("DCGM_FI_DEV_GPU_UTIL_"), "DCGM names get no suffix");
  }

  @Test
  void reportFreshnessIsTheAgentsStartUntilAReportIsAccepted() {
    PrometheusMeterRegistry registry = AgentMetrics.newRegistry();
    java.util.concurrent.atomic.AtomicReference<java.util.Optional<Instant>> accepted =
        new java.util.concurrent.atomic.AtomicReference<>(java.util.Optional.empty());
    AgentMetrics.registerReportFreshness(registry, accepted::get, T0);

    // Rejected reports only: the age, time() - gauge, grows from the start, so an age alert fires.
    Exposition before = Exposition.parse(registry.scrape());
    assertEquals(T0.getEpochSecond(), before.named(AgentMetrics.ACCEPTED_SAMPLE_TIME).get(0).value());

    accepted.set(java.util.Optional.of(T0.plusSeconds(30)));
    Exposition after = Exposition.parse(registry.scrape());
    assertEquals(T0.getEpochSecond() + 30, after.named(AgentMetrics.ACCEPTED_SAMPLE_TIME).get(0).value());
  }

  @Test
  void reportFreshnessSurvivesGarbageCollection() {
    PrometheusMeterRegistry registry = AgentMetrics.newRegistry();
    java.time.Instant taken = java.time.Instant.parse("2026-01-02T03:04:05.678Z");
    AgentMetrics.registerReportFreshness(registry, () -> java.util.Optional.of(taken), T0);
    System.gc(); // Micrometer holds gauge state weakly unless told otherwise

    String scrape = registry.scrape();

    org.junit.jupiter.api.Assertions.assertTrue(
        scrape.contains(AgentMetrics.ACCEPTED_SAMPLE_TIME + " " + taken.toEpochMilli() / 1000.0),
        scrape);
  }
}
