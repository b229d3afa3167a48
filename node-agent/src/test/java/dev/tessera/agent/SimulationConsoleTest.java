package dev.tessera.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.agent.gpu.GpuSample;
import dev.tessera.agent.gpu.SimulatedGpuBackend;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class SimulationConsoleTest {
  private final SimulatedGpuBackend gpus =
      SimulatedGpuBackend.fromSpec("2xNVIDIA-A100-SXM4-80GB:81920", Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC), 7);
  private final SimulationConsole console = new SimulationConsole(gpus);

  private GpuSample gpu(int index) {
    return gpus.sample().get(index);
  }

  @Test
  void commandsChangeTheSimulatedGpus() {
    console.apply("load 1 40960 87");
    assertEquals(87, gpu(1).utilizationPercent());
    assertEquals(40960L * 1024 * 1024, gpu(1).memoryUsedBytes());

    console.apply("fail 1 no-permission");
    assertFalse(gpu(1).healthy());
    assertEquals("no permission", gpu(1).healthReason());
    console.apply("recover 1");
    assertTrue(gpu(1).healthy());

    console.apply("  IDLE   1 ");
    assertEquals(0, gpu(1).memoryUsedBytes());
  }

  @Test
  void badCommandsChangeNothingAndThrowNothing() {
    for (String bad : new String[] {"load 1 40960", "load x 1 1", "load 9 1 1", "load 0 1 101", "fail 0 melted", "reboot 0"}) {
      console.apply(bad);
    }
    assertEquals(0, gpu(0).memoryUsedBytes());
  }

  @Test
  void readsCommandsFromAStream() throws Exception {
    console.start(new ByteArrayInputStream("\nload 0 1024 50\n".getBytes(StandardCharsets.UTF_8)));
    Await.until(() -> gpu(0).utilizationPercent() == 50, "the command applied");
  }
}
