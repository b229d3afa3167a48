package dev.tessera.console.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The PromQL built for a workload, and that no name from outside can change what it selects. */
class PromQlTest {
  private static PodRef pod(String namespace, String name, String node) {
    return new PodRef(namespace, name, "uid-" + name, node, 1000, 1 << 30);
  }

  @Test
  void stringsAreQuotedWithTheirQuotesBackslashesAndControlCharactersEscaped() {
    assertEquals("\"team-a\"", PromQl.string("team-a"));
    assertEquals("\"a\\\"} or vector(1) or {x=\\\"\"", PromQl.string("a\"} or vector(1) or {x=\""));
    assertEquals("\"back\\\\slash\"", PromQl.string("back\\slash"));
    assertEquals("\"new\\nline\\ttab\\rcr\\x01\"", PromQl.string("new\nline\ttab\rcr\u0001"));
    assertEquals("\"caf\u00e9\"", PromQl.string("caf\u00e9"), "other characters stay as they are: PromQL strings are UTF-8");
  }

  @Test
  void regexQuotingEscapesEveryMetacharacterAsGosQuoteMetaDoes() {
    assertEquals("job\\.0", PromQl.quoteMeta("job.0"));
    assertEquals("\\\\\\.\\+\\*\\?\\(\\)\\|\\[\\]\\{\\}\\^\\$", PromQl.quoteMeta("\\.+*?()|[]{}^$"));
    assertEquals("a-b_c/d", PromQl.quoteMeta("a-b_c/d"));
  }

  @Test
  void anAlternationMatchesExactlyItsNamesAndNothingElse() {
    String regex = PromQl.anyOf(List.of("job.1", "job.0", "job.1", "a|b", "(x)*"));
    assertEquals("\\(x\\)\\*|a\\|b|job\\.0|job\\.1", regex, "sorted, without repeats");
    // Prometheus anchors label regexes at both ends; Java's regex agrees with RE2 on these.
    Pattern anchored = Pattern.compile("^(?:" + regex + ")$");
    for (String name : List.of("job.0", "job.1", "a|b", "(x)*")) {
      assertEquals(true, anchored.matcher(name).matches(), name);
    }
    for (String other : List.of("jobx1", "job.10", "a", "b", "x", "xx", "", "job.0|job.1")) {
      assertEquals(false, anchored.matcher(other).matches(), other);
    }
  }

  @Test
  void gpuLinesAreFoundByPodLabelByTheAgentsPerContainerSeriesAndByTheLookup() {
    PodSelection pods = PodSelection.of(
        List.of(pod("ns", "job.1", "n1"), pod("ns", "job.0", "n1"), pod("other", "p", null)),
        pod -> pod.name().equals("job.0") ? List.of(2, 0) : List.of());

    assertEquals(
        "max by (Hostname, gpu, UUID, modelName) ("
            + "DCGM_FI_DEV_GPU_UTIL{namespace=\"ns\",pod=~\"job\\\\.0|job\\\\.1\"}"
            + " or (DCGM_FI_DEV_GPU_UTIL and on (UUID)"
            + " tessera_container_gpu_memory_used_bytes{namespace=\"ns\",pod=~\"job\\\\.0|job\\\\.1\"})"
            + " or DCGM_FI_DEV_GPU_UTIL{namespace=\"other\",pod=~\"p\"}"
            + " or (DCGM_FI_DEV_GPU_UTIL and on (UUID) tessera_container_gpu_memory_used_bytes{namespace=\"other\",pod=~\"p\"})"
            + " or DCGM_FI_DEV_GPU_UTIL{Hostname=\"n1\",gpu=~\"0|2\"})",
        PromQl.gpus(PromQl.GPU_UTIL, pods));
  }

  @Test
  void cpuAndMemoryCountThePodsContainersNotTheirCgroupNorTheirSandbox() {
    PodSelection pods = PodSelection.of(List.of(pod("ns", "a", "n1"), pod("ns2", "b", "n1")), GpuLookup.NONE);

    assertEquals(
        "sum by (namespace, pod) ("
            + "rate(container_cpu_usage_seconds_total{namespace=\"ns\",pod=~\"a\",container!=\"\",container!=\"POD\"}[120000ms])"
            + " or rate(container_cpu_usage_seconds_total{namespace=\"ns2\",pod=~\"b\",container!=\"\",container!=\"POD\"}[120000ms]))",
        PromQl.cpuCoresByPod(pods, Duration.ofMinutes(2)));
    assertEquals(
        "sum by (namespace, pod) ("
            + "container_memory_working_set_bytes{namespace=\"ns\",pod=~\"a\",container!=\"\",container!=\"POD\"}"
            + " or container_memory_working_set_bytes{namespace=\"ns2\",pod=~\"b\",container!=\"\",container!=\"POD\"})",
        PromQl.memoryBytesByPod(pods));
  }

  @Test
  void aHostileNameStaysInsideItsString() {
    PodSelection pods = PodSelection.of(
        List.of(pod("ns\"} or vector(1) #", "p.*\"} or up{x=\"", "n\"1")), pod -> List.of(0));

    String query = PromQl.gpus(PromQl.GPU_UTIL, pods);

    assertEquals(
        "max by (Hostname, gpu, UUID, modelName) ("
            + "DCGM_FI_DEV_GPU_UTIL{namespace=\"ns\\\"} or vector(1) #\",pod=~\"p\\\\.\\\\*\\\"\\\\} or up\\\\{x=\\\"\"}"
            + " or (DCGM_FI_DEV_GPU_UTIL and on (UUID) tessera_container_gpu_memory_used_bytes{namespace=\"ns\\\"} or"
            + " vector(1) #\",pod=~\"p\\\\.\\\\*\\\"\\\\} or up\\\\{x=\\\"\"})"
            + " or DCGM_FI_DEV_GPU_UTIL{Hostname=\"n\\\"1\",gpu=~\"0\"})",
        query);
  }

  @Test
  void podsWithoutANameOrNamespaceSelectNothing() {
    PodSelection pods = PodSelection.of(List.of(pod("", "a", "n1"), pod("ns", "", "n1")), pod -> List.of(0));

    assertEquals(true, pods.isEmpty(), "an empty pod=~\"\" would match every GPU without a tenant");
    assertEquals(true, pods.gpusByNode().isEmpty());
  }
}
