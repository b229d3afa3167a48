package dev.tessera.agent.gpu.nvml;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.jna.Memory;
import dev.tessera.agent.gpu.GpuSample;
import dev.tessera.agent.gpu.GpuSample.GpuProcess;
import org.junit.jupiter.api.Test;

/** The layouts as nvml.h defines them on 64-bit Linux; no library needed. */
class NvmlStructsTest {

  @Test
  void versionedStructsCarryTheirSizeAndVersion() {
    assertEquals(0x02000028, NvmlStructs.MEMORY_V2_VERSION);
    assertEquals(0x0100000C, NvmlStructs.TEMPERATURE_V1_VERSION);

    Memory memory = NvmlStructs.newMemoryV2();
    assertEquals(40, memory.size());
    assertEquals(0x02000028, memory.getInt(0));
    Memory temperature = NvmlStructs.newTemperatureV1();
    assertEquals(0x0100000C, temperature.getInt(0));
    assertEquals(0, temperature.getInt(4), "NVML_TEMPERATURE_GPU");
  }

  @Test
  void memoryV2HasPaddingAfterTheVersion() {
    Memory memory = NvmlStructs.newMemoryV2();
    memory.setInt(4, 0x7777); // padding: must not show up anywhere
    memory.setLong(8, 100);
    memory.setLong(16, 10);
    memory.setLong(24, 60);
    memory.setLong(32, 30);

    assertEquals(new NvmlMemory(100, 10, 60, 30), NvmlStructs.readMemoryV2(memory));
  }

  @Test
  void memoryV1HasNoReservedField() {
    Memory memory = NvmlStructs.zeroed(NvmlStructs.MEMORY_V1_SIZE);
    memory.setLong(0, 100);
    memory.setLong(8, 60);
    memory.setLong(16, 40);

    assertEquals(new NvmlMemory(100, -1, 60, 40), NvmlStructs.readMemoryV1(memory));
  }

  @Test
  void processEntriesAreReadWithTheirVersionsStride() {
    Memory v3 = NvmlStructs.zeroed(2 * 24);
    v3.setInt(24, 42);
    v3.setLong(32, 1 << 20);
    Memory v1 = NvmlStructs.zeroed(2 * 16);
    v1.setInt(16, 43);
    v1.setLong(24, 2 << 20);

    assertEquals(new GpuProcess(42, 1 << 20), NvmlProcessVersion.V3.read(v3, 1));
    assertEquals(new GpuProcess(42, 1 << 20), NvmlProcessVersion.V2.read(v3, 1));
    assertEquals(new GpuProcess(43, 2 << 20), NvmlProcessVersion.V1.read(v1, 1));
  }

  @Test
  void memoryNvmlCannotAttributeReadsAsUnknown() {
    Memory v1 = NvmlStructs.zeroed(16);
    v1.setInt(0, 7);
    v1.setLong(8, -1L); // NVML_VALUE_NOT_AVAILABLE

    assertEquals(GpuSample.UNKNOWN, NvmlProcessVersion.V1.read(v1, 0).usedMemoryBytes());
  }

  @Test
  void unsignedValuesStayPositive() {
    assertEquals(4_000_000_000L, NvmlStructs.unsigned((int) 4_000_000_000L));
  }
}
