package dev.tessera.agent.gpu.nvml;

import static dev.tessera.agent.gpu.nvml.FakeNvml.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.agent.gpu.GpuFigures;
import dev.tessera.agent.gpu.GpuSample;
import dev.tessera.agent.gpu.GpuSample.GpuProcess;
import dev.tessera.agent.gpu.XidErrors;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Drivers without the newer symbols: each function falls back on its own, strides unmixed. */
class NvmlFallbackTest {
  private static final List<GpuProcess> H100_PROCESSES =
      List.of(
          new GpuProcess(4100, 256 * MIB),
          new GpuProcess(4101, 512 * MIB),
          new GpuProcess(4102, 768 * MIB),
          new GpuProcess(4103, 1024 * MIB));

  @Test
  void anOldDriverIsReadThroughTheOldQueries() {
    Path library = FakeNvml.library(FakeNvml.Variant.OLD_DRIVER);
    try (NvmlGpuBackend backend = NvmlGpuBackend.open(library.toString()).orElseThrow()) {
      GpuSample h100 = backend.sample().get(0);

      assertTrue(h100.healthy(), h100.healthReason());
      assertEquals(
          FakeNvml.H100_RESERVED + FakeNvml.H100_USED,
          h100.memoryUsedBytes(),
          "the old struct counts reserved memory as used");
      assertEquals(
          FakeNvml.H100_TOTAL - FakeNvml.H100_RESERVED - FakeNvml.H100_USED,
          h100.memoryFreeBytes());
      assertEquals(H100_PROCESSES, h100.processes(), "16-byte entries read with a 16-byte stride");
      assertEquals("v1", FakeNvml.lastProcessFunction(library));
      assertEquals(FakeNvml.H100_TEMPERATURE_LEGACY, h100.temperatureCelsius());
      assertEquals(FakeNvml.H100_TOTAL, backend.inventory().get(0).memoryTotalBytes());
    }
  }

  @Test
  void aDriverWithoutTheFurtherQueriesLeavesThoseFiguresUnknownNeverMadeUp() {
    Path library = FakeNvml.library(FakeNvml.Variant.OLD_DRIVER);
    try (NvmlGpuBackend backend = NvmlGpuBackend.open(library.toString()).orElseThrow()) {
      GpuSample h100 = backend.sample().get(0);

      int u = GpuSample.UNKNOWN;
      assertEquals(
          new GpuFigures(u, u, u, u, u, FakeNvml.H100_MEMORY_PERCENT, u, u, u, u, u, u, u, u, u, u),
          h100.figures(),
          "only the memory copy figure, which comes with utilization, is known");
      assertEquals(XidErrors.NOT_OBSERVED, h100.xids(), "no event functions: no XIDs, not 0 of them");
      assertTrue(h100.healthy(), h100.healthReason());
      assertEquals("", backend.inventory().get(0).pciBusId());
      assertEquals(FakeNvml.DRIVER_VERSION, backend.driverVersion());
    }
  }

  @Test
  void withoutV3TheV2ProcessQueryIsReadWithItsOwn24ByteStride() {
    Path library = FakeNvml.library(FakeNvml.Variant.NO_PROCESSES_V3);
    try (NvmlGpuBackend backend = NvmlGpuBackend.open(library.toString()).orElseThrow()) {
      GpuSample h100 = backend.sample().get(0);

      assertEquals(H100_PROCESSES, h100.processes());
      assertEquals("v2", FakeNvml.lastProcessFunction(library));
      assertEquals(FakeNvml.H100_USED, h100.memoryUsedBytes(), "memory v2 is still there");
      assertEquals(FakeNvml.H100_TEMPERATURE_V, h100.temperatureCelsius());
    }
  }
}
