package dev.tessera.agent.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SimulatedGpuSpecTest {

  @Test
  void readsCountModelAndMemory() {
    SimulatedGpuSpec spec = SimulatedGpuSpec.parse("8xNVIDIA-A100-SXM4-80GB:81920");

    assertEquals(new SimulatedGpuSpec(8, "NVIDIA-A100-SXM4-80GB", 81920), spec);
    assertEquals(81920L * 1024 * 1024, spec.memoryBytes());
    assertEquals("8xNVIDIA-A100-SXM4-80GB:81920", spec.toString(), "round-trips");
  }

  @Test
  void aModelMayContainXs() {
    assertEquals(
        new SimulatedGpuSpec(2, "Radeon-RX-7900-XTX", 24576),
        SimulatedGpuSpec.parse(" 2XRadeon-RX-7900-XTX:24576 "));
  }

  @Test
  void readsSeveralGroups() {
    assertEquals(
        List.of(
            new SimulatedGpuSpec(4, "NVIDIA-A100-SXM4-80GB", 81920),
            new SimulatedGpuSpec(2, "NVIDIA-L4", 23034)),
        SimulatedGpuSpec.parseList("4xNVIDIA-A100-SXM4-80GB:81920, 2xNVIDIA-L4:23034"));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "\"\"|empty GPU spec; expected COUNTxMODEL:MiB, e.g. 8xNVIDIA-A100-SXM4-80GB:81920",
        "NVIDIA-A100:81920|GPU spec 'NVIDIA-A100:81920' has no 'x' between count and model;"
            + " expected COUNTxMODEL:MiB, e.g. 8xNVIDIA-A100-SXM4-80GB:81920",
        "8xNVIDIA-A100|GPU spec '8xNVIDIA-A100' has no ':MiB' after the model;"
            + " expected COUNTxMODEL:MiB, e.g. 8xNVIDIA-A100-SXM4-80GB:81920",
        "eightxA100:80|GPU count 'eight' in GPU spec 'eightxA100:80' is not a whole number;"
            + " expected COUNTxMODEL:MiB, e.g. 8xNVIDIA-A100-SXM4-80GB:81920",
        "8x:81920|GPU spec '8x:81920' has no model;"
            + " expected COUNTxMODEL:MiB, e.g. 8xNVIDIA-A100-SXM4-80GB:81920",
        "8xA100:80GB|GPU memory in MiB '80GB' in GPU spec '8xA100:80GB' is not a whole number;"
            + " expected COUNTxMODEL:MiB, e.g. 8xNVIDIA-A100-SXM4-80GB:81920",
        "0xA100:81920|GPU spec '0xA100:81920': GPU count must be between 1 and 256, was 0",
        "99999999999xA100:1|GPU spec '99999999999xA100:1': GPU count must be between 1 and 256,"
            + " was 99999999999",
        "8xA100:0|GPU spec '8xA100:0': GPU memory must be between 1 and 16777216 MiB, was 0",
      })
  void saysWhatIsWrongWithABadSpec(String spec, String message) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SimulatedGpuSpec.parse(spec));
    assertEquals(message, e.getMessage());
  }

  @Test
  void anEmptyGroupInAListIsAnError() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> SimulatedGpuSpec.parseList("1xA:1,,1xB:1"));
    assertEquals(
        "empty GPU spec; expected COUNTxMODEL:MiB, e.g. 8xNVIDIA-A100-SXM4-80GB:81920",
        e.getMessage());
  }
}
