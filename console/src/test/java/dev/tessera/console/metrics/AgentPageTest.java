package dev.tessera.console.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.extender.telemetry.ReportListener.GpuReading;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The node agent's page, read into GPU readings, and what is refused as not an agent's page. */
class AgentPageTest {
  private static final long MIB = 1024L * 1024;
  private static final String A = "GPU-85daffed-5dde-0009-d489-820379d674be";
  private static final String B = "GPU-154b3848-4578-ea82-8c24-48b9561184ef";

  /** A simulated agent's page as it serves it (two A100s, one busy), in full. */
  static String agentPage(String node, int busy0, long used0MiB, int busy1, long used1MiB) {
    String labels0 = "{Hostname=\"" + node + "\",UUID=\"" + A + "\",container=\"\",gpu=\"0\","
        + "modelName=\"NVIDIA-A100-SXM4-80GB\",namespace=\"\",pod=\"\"}";
    String labels1 = "{Hostname=\"" + node + "\",UUID=\"" + B + "\",container=\"train\",gpu=\"1\","
        + "modelName=\"NVIDIA-A100-SXM4-80GB\",namespace=\"ml\",pod=\"bert-0\"}";
    return String.join("\n",
        "# HELP DCGM_FI_DEV_FB_FREE Framebuffer memory free (in MiB).",
        "# TYPE DCGM_FI_DEV_FB_FREE gauge",
        "DCGM_FI_DEV_FB_FREE" + labels1 + " " + (81920 - used1MiB) + ".0",
        "DCGM_FI_DEV_FB_FREE" + labels0 + " " + (81920 - used0MiB) + ".0",
        "# HELP DCGM_FI_DEV_FB_USED Framebuffer memory used (in MiB).",
        "# TYPE DCGM_FI_DEV_FB_USED gauge",
        "DCGM_FI_DEV_FB_USED" + labels1 + " " + used1MiB + ".0",
        "DCGM_FI_DEV_FB_USED" + labels0 + " " + used0MiB + ".0",
        "# HELP DCGM_FI_DEV_GPU_TEMP GPU temperature (in C).",
        "# TYPE DCGM_FI_DEV_GPU_TEMP gauge",
        "DCGM_FI_DEV_GPU_TEMP" + labels1 + " 32.0",
        "DCGM_FI_DEV_GPU_TEMP" + labels0 + " 31.0",
        "# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).",
        "# TYPE DCGM_FI_DEV_GPU_UTIL gauge",
        "DCGM_FI_DEV_GPU_UTIL" + labels1 + " " + busy1 + ".0",
        "DCGM_FI_DEV_GPU_UTIL" + labels0 + " " + busy0 + ".0",
        "# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).",
        "# TYPE DCGM_FI_DEV_POWER_USAGE gauge",
        "DCGM_FI_DEV_POWER_USAGE" + labels1 + " 64.833",
        "DCGM_FI_DEV_POWER_USAGE" + labels0 + " 58.34",
        "");
  }

  @Test
  void anAgentsPageGivesEachGpuByIndexWithItsUuidModelUseAndMemory() {
    assertEquals(
        List.of(
            new GpuReading(0, A, "NVIDIA-A100-SXM4-80GB", 37, 1024 * MIB, 81920 * MIB),
            new GpuReading(1, B, "NVIDIA-A100-SXM4-80GB", 64, 40960 * MIB, 81920 * MIB)),
        AgentPage.readings(agentPage("gpu-1", 37, 1024, 64, 40960)));
  }

  @Test
  void anUnknownFigureIsMinusOneOrZeroAsAReportSaysItAndAGpuWithoutMemoryIsLeftOut() {
    String page = String.join("\n",
        "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\",UUID=\"GPU-0\",modelName=\"H100\"} NaN",
        "DCGM_FI_DEV_FB_USED{gpu=\"0\",UUID=\"GPU-0\",modelName=\"H100\"} 10",
        "DCGM_FI_DEV_GPU_UTIL{gpu=\"1\",UUID=\"\",modelName=\"\"} 5",
        "DCGM_FI_DEV_FB_USED{gpu=\"1\",UUID=\"\",modelName=\"\"} 20",
        "DCGM_FI_DEV_FB_FREE{gpu=\"1\",UUID=\"\",modelName=\"\"} NaN",
        "DCGM_FI_DEV_GPU_UTIL{gpu=\"2\",UUID=\"GPU-2\",modelName=\"H100\"} 50",
        "DCGM_FI_DEV_FB_USED{gpu=\"3\",UUID=\"GPU-3\",modelName=\"H100\"} NaN");

    assertEquals(
        List.of(new GpuReading(0, "GPU-0", "H100", -1, 10 * MIB, 0),
            new GpuReading(1, null, "unknown", 5, 20 * MIB, 0)),
        AgentPage.readings(page));
    assertEquals(List.of(), AgentPage.readings(""), "an agent that lost its GPUs");
    assertEquals(List.of(), AgentPage.readings("# EOF\n"));
  }

  @Test
  void theTextFormatIsReadAsPrometheusWritesIt() {
    String page = String.join("\r\n",
        "  # a comment that is neither HELP nor TYPE",
        "",
        "DCGM_FI_DEV_FB_USED{ gpu = \"0\" , modelName=\"A \\\"quoted\\\" \\\\ name\\n\", } 1.5e3 1712345678000",
        "\tDCGM_FI_DEV_GPU_UTIL {gpu=\"0\"}\t+12",
        "DCGM_FI_DEV_GPU_UTIL_RATIO{gpu=\"0\"} 9",
        "jvm_threads_live +Inf",
        "x -Inf",
        "process_start_time_seconds 1.7E9",
        "up{job=\"}\"} .5",
        "# EOF");

    assertEquals(List.of(new GpuReading(0, null, "A \"quoted\" \\ name\n", 12, 1500 * MIB, 0)),
        AgentPage.readings(page));
    assertEquals(List.of(new TextExposition.Sample("up", Map.of("job", "}"), 0.5)),
        TextExposition.samples(page, Set.of("up")));
  }

  @Test
  void aPageThatIsNotTheFormatIsRefusedNamingItsLine() {
    assertRefused("<!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>\n", "line 1", "no metric name");
    assertRefused("{\"status\":\"ok\"}", "line 1", "no metric name");
    assertRefused("# HELP x y\nx 1\nNot Found\n", "line 3", "'Found' is not a number");
    assertRefused("x 1\nDCGM_FI_DEV_GPU_UTIL{gpu=\"0 12\n", "line 2", "labels cannot be read");
    assertRefused("DCGM_FI_DEV_GPU_UTIL{gpu=0} 12\n", "line 1", "labels cannot be read");
    assertRefused("DCGM_FI_DEV_GPU_UTIL{gpu=\"0\"}\n", "line 1", "expected a value");
    assertRefused("x 1 2 3\n", "line 1", "expected a value");
    assertRefused("x 1 soon\n", "line 1", "'soon' is not a timestamp");
    assertRefused("x 0x1F\n", "line 1", "'0x1F' is not a number");
    assertRefused("x Infinity\n", "line 1", "'Infinity' is not a number");
    assertRefused("dcgm-exporter 1\n", "line 1", "not followed by labels or a value");
  }

  @Test
  void gpuSeriesAnAgentNeverWritesAreRefused() {
    assertRefused("DCGM_FI_DEV_GPU_UTIL 12\n", "no GPU index (gpu=\"null\")");
    assertRefused("DCGM_FI_DEV_GPU_UTIL{gpu=\"first\"} 12\n", "no GPU index (gpu=\"first\")");
    assertRefused("DCGM_FI_DEV_GPU_UTIL{gpu=\"-1\"} 12\n", "no GPU index");
    assertRefused("DCGM_FI_DEV_GPU_UTIL{gpu=\"0\"} 150\n", "is 150.0, not a percentage");
    assertRefused("DCGM_FI_DEV_GPU_UTIL{gpu=\"0\"} +Inf\n", "not a percentage");
    assertRefused("DCGM_FI_DEV_FB_USED{gpu=\"0\"} -1\n", "not an amount of memory");
    assertRefused("DCGM_FI_DEV_FB_FREE{gpu=\"0\"} +Inf\n", "not an amount of memory");
    assertRefused("DCGM_FI_DEV_FB_USED{gpu=\"0\",pod=\"a\"} 1\nDCGM_FI_DEV_FB_USED{gpu=\"0\",pod=\"b\"} 2\n",
        "two series for GPU 0");
  }

  private static void assertRefused(String page, String... said) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AgentPage.readings(page));
    for (String part : said) {
      assertTrue(e.getMessage().contains(part), e.getMessage());
    }
  }
}
