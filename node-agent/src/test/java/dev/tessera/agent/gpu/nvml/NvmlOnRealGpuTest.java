package dev.tessera.agent.gpu.nvml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.agent.gpu.GpuInfo;
import dev.tessera.agent.gpu.GpuSample;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The binding against the machine's own driver. Skipped where there is none, so it only proves
 * something on a GPU machine; there it prints what it saw, for the record.
 */
class NvmlOnRealGpuTest {

  @Test
  void readsTheRealGpus() {
    NvmlOpenResult result = NvmlGpuBackend.open();
    assumeTrue(result.loaded(), () -> "no NVIDIA driver on this machine: " + result.reason());

    try (NvmlGpuBackend backend = result.orElseThrow()) {
      List<GpuInfo> inventory = backend.inventory();
      List<GpuSample> samples = backend.sample();
      System.out.println(backend.description());
      inventory.forEach(gpu -> System.out.println("inventory: " + gpu));
      samples.forEach(sample -> System.out.println("sample:    " + sample));

      assertFalse(inventory.isEmpty(), "NVML loaded but counts no GPU");
      assertEquals(inventory.size(), samples.size());
      for (int i = 0; i < inventory.size(); i++) {
        GpuInfo gpu = inventory.get(i);
        GpuSample sample = samples.get(i);
        assertEquals(i, gpu.index());
        assertEquals(i, sample.index());
        assertTrue(sample.healthy(), "GPU " + i + ": " + sample.healthReason());
        assertTrue(gpu.uuid().startsWith("GPU-"), gpu.uuid());
        assertFalse(gpu.model().isBlank(), "GPU " + i + " has no name");
        assertTrue(gpu.memoryTotalBytes() > 0, gpu.toString());
        assertTrue(sample.memoryUsedBytes() >= 0, sample.toString());
        assertTrue(sample.memoryFreeBytes() >= 0, sample.toString());
        assertTrue(
            sample.memoryUsedBytes() + sample.memoryFreeBytes() <= gpu.memoryTotalBytes(),
            "used + free exceeds total: " + sample);
        int utilization = sample.utilizationPercent();
        assertTrue(
            utilization == GpuSample.UNKNOWN || (utilization >= 0 && utilization <= 100),
            "utilization " + utilization);
        assertTrue(
            sample.temperatureCelsius() == GpuSample.UNKNOWN
                || (sample.temperatureCelsius() > 0 && sample.temperatureCelsius() < 120),
            "temperature " + sample.temperatureCelsius());
        assertTrue(
            sample.powerMilliwatts() == GpuSample.UNKNOWN || sample.powerMilliwatts() > 0,
            "power " + sample.powerMilliwatts());
        sample.processes().forEach(process -> assertTrue(process.pid() > 0, process.toString()));
        // The further figures and labels: a wrong struct offset reads garbage, not an error.
        assertTrue(
            gpu.pciBusId().matches("[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\\.[0-7]"),
            "PCI bus id " + gpu.pciBusId());
        assertTrue(gpu.deviceName().matches("nvidia[0-9]+"), gpu.deviceName());
        assertFalse(backend.driverVersion().isBlank(), "driver version");
        var f = sample.figures();
        assertTrue(
            f.memoryClockMhz() == GpuSample.UNKNOWN || (f.memoryClockMhz() > 0 && f.memoryClockMhz() < 20_000),
            "memory clock " + f.memoryClockMhz());
        assertTrue(
            f.memoryTemperatureCelsius() == GpuSample.UNKNOWN
                || (f.memoryTemperatureCelsius() > 0 && f.memoryTemperatureCelsius() < 120),
            "memory temperature " + f.memoryTemperatureCelsius());
        assertTrue(
            f.memoryReservedBytes() == GpuSample.UNKNOWN
                || (f.memoryReservedBytes() >= 0 && f.memoryReservedBytes() < gpu.memoryTotalBytes()),
            "reserved " + f.memoryReservedBytes());
        assertTrue(f.rowRemapFailure() == GpuSample.UNKNOWN || f.rowRemapFailure() <= 1, f.toString());
        for (int percent : new int[] {f.memoryCopyUtilPercent(), f.encoderUtilPercent(), f.decoderUtilPercent()}) {
          assertTrue(percent == GpuSample.UNKNOWN || (percent >= 0 && percent <= 100), f.toString());
        }
      }
    }
  }
}
