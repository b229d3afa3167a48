package dev.tessera.agent.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.agent.ContainerUsage;
import dev.tessera.agent.GpuState;
import dev.tessera.agent.NodeSnapshot;
import dev.tessera.agent.enforce.ComputeShareState;
import dev.tessera.agent.gpu.GpuInfo;
import dev.tessera.agent.gpu.GpuSample;
import dev.tessera.proto.agent.v1.ComputeShares;
import dev.tessera.proto.agent.v1.Gpu;
import dev.tessera.proto.agent.v1.NodeReport;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReportBuilderTest {
  private static final long GIB = 1024L * 1024 * 1024;

  @Test
  void carriesInventorySampleAndContainers() {
    Instant at = Instant.parse("2025-03-04T05:06:07.123456789Z");
    NodeSnapshot s =
        new NodeSnapshot(
            at,
            List.of(
                new GpuState(
                    new GpuInfo(0, "GPU-a", "NVIDIA H100 80GB HBM3", 80 * GIB, false),
                    new GpuSample(0, true, "", 30 * GIB, 50 * GIB, 77, 4_000_000_000L, 66, 1_980, List.of())),
                new GpuState(
                    new GpuInfo(1, "GPU-b", "NVIDIA H100 80GB HBM3", 80 * GIB, true),
                    GpuSample.unhealthy(1, "GPU is lost"))),
            List.of(new ContainerUsage("ns", "pod", "uid-1", "main", "GPU-a", 10 * GIB, 20 * GIB, 8 * GIB)));

    NodeReport r = new ReportBuilder("node-a", "0.1.0").build(s);

    assertEquals("node-a", r.getNodeName());
    assertEquals("0.1.0", r.getAgentVersion());
    assertEquals(at.getEpochSecond(), r.getSentAt().getSeconds());
    assertEquals(at.getNano(), r.getSentAt().getNanos());

    Gpu g0 = r.getGpus(0);
    assertEquals(0, g0.getIndex());
    assertEquals("GPU-a", g0.getUuid());
    assertEquals("NVIDIA H100 80GB HBM3", g0.getModel());
    assertEquals(80 * GIB, g0.getMemoryTotalBytes());
    assertEquals(30 * GIB, g0.getMemoryUsedBytes());
    assertEquals(77, g0.getUtilizationPercent());
    assertEquals(66, g0.getTemperatureCelsius());
    assertEquals(4_000_000_000L, Integer.toUnsignedLong(g0.getPowerMilliwatts()), "uint32 milliwatts");
    assertEquals(1_980, g0.getSmClockMhz());
    assertTrue(g0.getHealthy());
    assertFalse(g0.getMigEnabled());

    Gpu g1 = r.getGpus(1);
    assertFalse(g1.getHealthy());
    assertEquals("GPU is lost", g1.getHealthReason());
    assertTrue(g1.getMigEnabled());
    assertEquals(0, g1.getUtilizationPercent(), "unknown is sent as 0, never -1");
    assertEquals(0, g1.getMemoryUsedBytes());
    assertEquals(0, g1.getTemperatureCelsius());
    assertEquals(80 * GIB, g1.getMemoryTotalBytes(), "inventory still known");

    assertEquals(1, r.getContainersCount());
    var c = r.getContainers(0);
    assertEquals("ns", c.getNamespace());
    assertEquals("pod", c.getPod());
    assertEquals("uid-1", c.getPodUid());
    assertEquals("main", c.getContainer());
    assertEquals("GPU-a", c.getGpuUuid());
    assertEquals(10 * GIB, c.getMemoryUsedBytes());
    assertEquals(20 * GIB, c.getMemoryLimitBytes());
    assertEquals(8 * GIB, c.getMemoryRequestBytes(), "what the pod was placed by: the rest of its use is on loan");
    assertFalse(g0.hasComputeShares(), "no compute scheduler: no compute share state");
    assertEquals(0, r.getSwapHostBytes());
  }

  @Test
  void carriesTheComputeSchedulersStatePerGpuAndTheSwapTheNodeLends() {
    NodeSnapshot s = new NodeSnapshot(Instant.EPOCH, List.of(
        new GpuState(new GpuInfo(0, "GPU-a", "L4", 24 * GIB, false),
            new GpuSample(0, true, "", 0, 24 * GIB, 90, 0, 40, 0, List.of())),
        new GpuState(new GpuInfo(1, "GPU-b", "L4", 24 * GIB, false),
            new GpuSample(1, true, "", 0, 24 * GIB, 0, 0, 40, 0, List.of()))), List.of());
    ComputeShareState shares = new ComputeShareState(Instant.EPOCH,
        List.of(new ComputeShareState.GpuShares("GPU-a", 70, 25, 35, 2)), List.of());

    NodeReport r = new ReportBuilder("node-a", "0.1.0", 64 * GIB, () -> shares).build(s);

    assertEquals(64 * GIB, r.getSwapHostBytes());
    assertEquals(ComputeShares.newBuilder().setGuaranteedPercent(70).setLentPercent(25).setIdlePercent(35).setTenants(2)
        .build(), r.getGpus(0).getComputeShares());
    assertFalse(r.getGpus(1).hasComputeShares(), "no paced tenant there");
  }
}
