package dev.tessera.agent.gpu.nvml;

import static dev.tessera.agent.gpu.nvml.FakeNvml.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.agent.gpu.GpuFigures;
import dev.tessera.agent.gpu.GpuInfo;
import dev.tessera.agent.gpu.GpuSample;
import dev.tessera.agent.gpu.GpuSample.GpuProcess;
import dev.tessera.agent.gpu.XidErrors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The backend through real JNA against the fake library with every current symbol. */
class NvmlGpuBackendTest {
  private Path library;
  private NvmlGpuBackend backend;

  @BeforeEach
  void open() {
    library = FakeNvml.library(FakeNvml.Variant.CURRENT);
    NvmlOpenResult result = NvmlGpuBackend.open(library.toString());
    assertTrue(result.loaded(), result.reason());
    backend = result.orElseThrow();
  }

  @AfterEach
  void close() {
    if (backend != null) {
      backend.close();
    }
  }

  @Test
  void describesNvmlAndDriverVersions() {
    assertEquals("NVML 99.999.88.7, driver 999.88.7", backend.description());
  }

  @Test
  void listsEveryGpuAndKeepsTheOneItMayNotOpen() {
    assertEquals(
        List.of(
            new GpuInfo(
                0, FakeNvml.H100_UUID, FakeNvml.H100_NAME, FakeNvml.H100_TOTAL, false,
                FakeNvml.H100_PCI_BUS_ID, FakeNvml.H100_MINOR),
            new GpuInfo(1, "", "", 0, false),
            new GpuInfo(2, FakeNvml.MIG_UUID, FakeNvml.MIG_NAME, FakeNvml.MIG_TOTAL, true),
            new GpuInfo(
                3, FakeNvml.LOST_UUID, "Fake lost GPU", FakeNvml.LOST_TOTAL, false,
                "00000000:86:00.0", 3)),
        backend.inventory());
  }

  @Test
  void readsEveryFigureOfAHealthyGpu() {
    GpuSample h100 = backend.sample().get(0);

    assertTrue(h100.healthy(), h100.healthReason());
    assertEquals(FakeNvml.H100_UTILIZATION, h100.utilizationPercent());
    assertEquals(FakeNvml.H100_POWER_MW, h100.powerMilliwatts());
    assertEquals(FakeNvml.H100_TEMPERATURE_V, h100.temperatureCelsius(), "the versioned query");
    assertEquals(FakeNvml.H100_SM_CLOCK, h100.smClockMhz());
  }

  @Test
  void readsWhereEachGpuSitsForTheDcgmLabels() {
    GpuInfo h100 = backend.inventory().get(0);

    assertEquals(FakeNvml.H100_PCI_BUS_ID, h100.pciBusId(), "the 32-byte busId, not the legacy one");
    assertEquals("nvidia" + FakeNvml.H100_MINOR, h100.deviceName(), "the device node, not the index");
    assertEquals(FakeNvml.DRIVER_VERSION, backend.driverVersion());
    GpuInfo mig = backend.inventory().get(2);
    assertEquals("", mig.pciBusId(), "not supported: empty, never made up");
    assertEquals("", mig.deviceName());
  }

  @Test
  void readsEveryFurtherFigureDcgmExporterExportsByDefault() {
    GpuFigures f = backend.sample().get(0).figures();

    assertEquals(
        new GpuFigures(
            FakeNvml.H100_RESERVED,
            FakeNvml.H100_MEM_CLOCK,
            FakeNvml.H100_MEMORY_TEMP,
            FakeNvml.H100_ENERGY_MJ,
            FakeNvml.H100_PCIE_REPLAYS,
            FakeNvml.H100_MEMORY_PERCENT,
            FakeNvml.H100_ENC,
            FakeNvml.H100_DEC,
            FakeNvml.H100_NVLINK_KIB,
            FakeNvml.H100_REMAPPED_CORRECTABLE,
            FakeNvml.H100_REMAPPED_UNCORRECTABLE,
            0,
            FakeNvml.H100_PCIE_TX_KBS,
            FakeNvml.H100_PCIE_RX_KBS,
            FakeNvml.H100_RETIRED_SBE,
            FakeNvml.H100_RETIRED_DBE),
        f);
  }

  @Test
  void furtherFiguresAGpuDoesNotSupportAreUnknownAndTheGpuStaysHealthy() {
    GpuSample mig = backend.sample().get(2);

    assertTrue(mig.healthy(), mig.healthReason());
    GpuFigures f = mig.figures();
    // Memory v2 is refused on this GPU, so the reserved memory is not known either.
    assertEquals(GpuFigures.NONE, f, "every further figure unknown, each on its own");
    assertEquals(XidErrors.NOT_OBSERVED, mig.xids(), "it cannot register for XID events");
  }

  @Test
  void countsXidsAndACriticalOneMakesTheGpuUnhealthy() {
    assertEquals(XidErrors.NONE, backend.sample().get(0).xids(), "watched, none yet");
    assertTrue(FakeNvml.injectXid(library, 0, 13));
    assertTrue(FakeNvml.injectXid(library, 0, 13));

    GpuSample afterApplicationXids = backend.sample().get(0);
    assertTrue(afterApplicationXids.healthy(), "an application's XID leaves the GPU healthy");
    assertEquals(new XidErrors(true, 13, java.util.Map.of(13, 2L)), afterApplicationXids.xids());

    assertTrue(FakeNvml.injectXid(library, 0, 79));
    GpuSample afterCritical = backend.sample().get(0);
    assertFalse(afterCritical.healthy());
    assertEquals(XidErrors.reason(79), afterCritical.healthReason());
    assertEquals(new XidErrors(true, 79, java.util.Map.of(13, 2L, 79, 1L)), afterCritical.xids());
    assertEquals(FakeNvml.H100_USED, afterCritical.memoryUsedBytes(), "it still answers: figures stay");
    assertFalse(backend.sample().get(0).healthy(), "until the agent restarts");
    assertTrue(backend.sample().get(2).healthy(), "the other GPUs go on");
  }

  @Test
  void memoryV2FieldsLandWhereTheyBelong() {
    GpuSample h100 = backend.sample().get(0);

    // With the 4 bytes of padding after the version missed, "used" would read "free" and so on.
    assertEquals(FakeNvml.H100_USED, h100.memoryUsedBytes(), "used, without the reserved memory");
    assertEquals(
        FakeNvml.H100_TOTAL - FakeNvml.H100_RESERVED - FakeNvml.H100_USED,
        h100.memoryFreeBytes());
  }

  @Test
  void readsAProcessListThatGrowsWhileBeingRead() {
    GpuSample h100 = backend.sample().get(0);

    List<GpuProcess> expected = new ArrayList<>();
    for (int i = 0; i < FakeNvml.H100_PROCESSES; i++) {
      expected.add(new GpuProcess(4100 + i, (i + 1) * 256 * MIB));
    }
    assertEquals(expected, h100.processes(), "24-byte entries read with a 24-byte stride");
    // Sized at 0 (2 listed), asked with 2 (3 listed), with 3 (4 listed), then filled with 4.
    assertEquals(4, FakeNvml.processCalls(library, 0));
    assertEquals("v3", FakeNvml.lastProcessFunction(library));
  }

  @Test
  void aGpuItMayNotOpenIsUnhealthyWithTheDriversReason() {
    GpuSample refused = backend.sample().get(1);

    assertFalse(refused.healthy());
    assertEquals(
        "Fake: Insufficient Permissions (nvmlDeviceGetHandleByIndex_v2 returned"
            + " NVML_ERROR_NO_PERMISSION)",
        refused.healthReason());
    assertEquals(GpuSample.UNKNOWN, refused.memoryUsedBytes());
  }

  @Test
  void aLostGpuIsUnhealthyAndTheOthersGoOn() {
    List<GpuSample> samples = backend.sample();

    assertEquals(List.of(0, 1, 2, 3), samples.stream().map(GpuSample::index).toList());
    assertEquals(
        GpuSample.unhealthy(
            3,
            "Fake: GPU is lost (nvmlDeviceGetUtilizationRates returned NVML_ERROR_GPU_IS_LOST)",
            XidErrors.NONE),
        samples.get(3));
    assertTrue(samples.get(0).healthy());
    assertTrue(samples.get(2).healthy());
  }

  @Test
  void figuresNotSupportedInMigModeAreUnknown() {
    GpuSample mig = backend.sample().get(2);

    assertTrue(mig.healthy(), mig.healthReason());
    assertEquals(GpuSample.UNKNOWN, mig.utilizationPercent());
    assertEquals(GpuSample.UNKNOWN, mig.powerMilliwatts());
    assertEquals(FakeNvml.MIG_TEMPERATURE_V, mig.temperatureCelsius());
    assertEquals(FakeNvml.MIG_SM_CLOCK, mig.smClockMhz());
    assertEquals(List.of(), mig.processes());
  }

  @Test
  void fallsBackToTheOldMemoryQueryWhenTheDriverRejectsV2sVersion() {
    GpuSample mig = backend.sample().get(2);

    // The old struct has no reserved field; the fake reserves nothing on this GPU.
    assertEquals(FakeNvml.MIG_USED, mig.memoryUsedBytes());
    assertEquals(FakeNvml.MIG_TOTAL - FakeNvml.MIG_USED, mig.memoryFreeBytes());
  }

  @Test
  void samplesAgreeAcrossThreads() throws Exception {
    List<GpuSample> first = backend.sample();
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try {
      List<Future<List<GpuSample>>> samples = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        samples.add(threads.submit(backend::sample));
      }
      for (Future<List<GpuSample>> sample : samples) {
        assertEquals(first, sample.get());
      }
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void closeShutsNvmlDownOnce() {
    assertEquals(1, FakeNvml.initCount(library));

    backend.close();
    backend.close();

    assertEquals(0, FakeNvml.initCount(library));
    IllegalStateException closed = assertThrows(IllegalStateException.class, backend::sample);
    assertEquals("the NVML backend is closed", closed.getMessage());
    assertThrows(IllegalStateException.class, backend::inventory);
  }

  @Test
  void errorsCarryTheDriversText() {
    backend.close();
    Nvml nvml = new Nvml(NvmlLibrary.load(library.toString()));

    assertEquals("Fake: GPU is lost", nvml.errorString(NvmlReturn.GPU_IS_LOST.code()));
    NvmlException uninitialised = assertThrows(NvmlException.class, nvml::deviceCount);
    assertEquals(NvmlReturn.UNINITIALIZED, uninitialised.error());
    assertEquals("nvmlDeviceGetCount_v2", uninitialised.function());
    assertEquals(
        "Fake: Uninitialized (nvmlDeviceGetCount_v2 returned NVML_ERROR_UNINITIALIZED)",
        uninitialised.getMessage());
  }
}
