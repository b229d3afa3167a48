package dev.tessera.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.tessera.agent.gpu.nvml.NvmlGpuBackend;
import dev.tessera.agent.gpu.nvml.NvmlOpenResult;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  @Test
  void helpListsEveryOption() {
    assertEquals(0, run("--help"));
    for (String option :
        new String[] {"--node-name", "--extender", "--metrics-port", "--sample-period", "--simulate", "--device-plugin-dir", "--state-dir", "--[no-]device-plugin", "--compute-share-interval", "--swap-host-memory"}) {
      assertTrue(out.toString().contains(option), option + " in:\n" + out);
    }
    assertTrue(out.toString().contains("9400, dcgm-exporter's"), out.toString());
  }

  @Test
  void badOptionsAreUsageErrorsThatSayWhy() {
    assertEquals(2, run("--node-name", "n", "--simulate", "eightxA100:80"));
    assertTrue(err.toString().contains("--simulate"), err.toString());
    assertEquals(2, run("--node-name", "n", "--extender", "extender"));
    assertTrue(err.toString().contains("host:port"), err.toString());
    assertEquals(2, run("--node-name", "n", "--sample-period", "10ms", "--simulate", "1xL4:1"));
    assertTrue(err.toString().contains("sample period"), err.toString());
    assertEquals(2, run("--node-name", "n", "--compute-share-interval", "10ms", "--simulate", "1xL4:1"));
    assertTrue(err.toString().contains("compute share interval must be at least 50ms"), err.toString());
    assertEquals(2, run("--node-name", "n", "--swap-host-memory", "64GB", "--simulate", "1xL4:1"));
    assertTrue(err.toString().contains("'64GB' is not a byte count; write it as 68719476736, 64Gi"), err.toString());
  }

  @Test
  void lendingTurnsOffWithAZeroInterval() {
    assertEquals(java.time.Duration.ZERO, new dev.tessera.api.syntax.DurationOption().convert("0s"));
  }

  @Test
  void hostMemoryForSwapReadsAsKubernetesQuantities() {
    Main.ByteQuantityConverter bytes = new Main.ByteQuantityConverter();
    assertEquals(64L << 30, bytes.convert("64Gi"));
    assertEquals(512L << 20, bytes.convert("512Mi"));
    assertEquals(64_000_000_000L, bytes.convert("64G"));
    assertEquals(0L, bytes.convert("0"));
  }

  @Test
  void withoutNvmlItExitsPointingAtSimulate() {
    NvmlOpenResult nvml = NvmlGpuBackend.open();
    nvml.backend().ifPresent(b -> b.close());
    assumeFalse(nvml.loaded(), "this machine has NVML: the agent would start for real");
    assertEquals(1, run("--node-name", "n", "--metrics-port", "0", "--no-device-plugin"));
    assertTrue(err.toString().contains("--simulate"), err.toString());
    assertTrue(err.toString().contains("NVML"), err.toString());
  }
}
