package dev.tessera.agent.gpu.nvml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NvmlReturnTest {

  @Test
  void mapsTheCodesNvmlDocuments() {
    assertEquals(NvmlReturn.SUCCESS, NvmlReturn.of(0));
    assertEquals(NvmlReturn.NO_PERMISSION, NvmlReturn.of(4));
    assertEquals(NvmlReturn.INSUFFICIENT_SIZE, NvmlReturn.of(7));
    assertEquals(NvmlReturn.DRIVER_NOT_LOADED, NvmlReturn.of(9));
    assertEquals(NvmlReturn.LIBRARY_NOT_FOUND, NvmlReturn.of(12));
    assertEquals(NvmlReturn.FUNCTION_NOT_FOUND, NvmlReturn.of(13));
    assertEquals(NvmlReturn.GPU_IS_LOST, NvmlReturn.of(15));
    assertEquals(NvmlReturn.ARGUMENT_VERSION_MISMATCH, NvmlReturn.of(25));
    assertEquals(NvmlReturn.UNKNOWN, NvmlReturn.of(999));
    assertEquals(NvmlReturn.UNKNOWN, NvmlReturn.of(4242), "a code newer than this binding");
  }

  @Test
  void namesCodesAsTheHeaderDoes() {
    assertEquals("NVML_SUCCESS", NvmlReturn.SUCCESS.constantName());
    assertEquals("NVML_ERROR_GPU_IS_LOST", NvmlReturn.GPU_IS_LOST.constantName());
  }

  @Test
  void onlyCodesThatEndTheGpuMakeItUnhealthy() {
    assertTrue(NvmlReturn.GPU_IS_LOST.makesGpuUnhealthy());
    assertTrue(NvmlReturn.NO_PERMISSION.makesGpuUnhealthy());
    assertFalse(NvmlReturn.NOT_SUPPORTED.makesGpuUnhealthy());
    assertFalse(NvmlReturn.FUNCTION_NOT_FOUND.makesGpuUnhealthy());
  }

  @Test
  void anUnknownCodeKeepsItsNumberInTheMessage() {
    assertEquals(
        "Something new (nvmlDeviceGetPowerUsage returned NVML return code 4242)",
        new NvmlException("nvmlDeviceGetPowerUsage", 4242, "Something new").getMessage());
    assertEquals(
        "Unknown Error (nvmlDeviceGetPowerUsage returned NVML_ERROR_UNKNOWN)",
        new NvmlException("nvmlDeviceGetPowerUsage", 999, "Unknown Error").getMessage());
  }
}
