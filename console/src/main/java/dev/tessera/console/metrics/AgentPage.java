package dev.tessera.console.metrics;

import dev.tessera.extender.telemetry.ReportListener.GpuReading;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The GPU readings on a node agent's {@code /metrics} page: the dcgm-exporter-named gauges the
 * agent exports ({@code node-agent}'s {@code DcgmMetrics}), one series per GPU with the labels
 * {@code gpu} (NVML index), {@code UUID}, {@code modelName} and {@code Hostname}. Framebuffer
 * figures are whole MiB, utilization is percent. Pure: no I/O.
 *
 * <p>The agent leaves out a series whose figure NVML did not give, and a scrape between two
 * samples may read NaN: no utilization is then -1, no free memory a total of 0, as the extender's
 * reports say it. A GPU with no memory figure at all is left out: a reading has no way to say
 * "unknown" there, and 0 would draw a false drop.
 */
final class AgentPage {
  static final String GPU_UTIL = "DCGM_FI_DEV_GPU_UTIL";
  static final String FB_USED = "DCGM_FI_DEV_FB_USED";
  static final String FB_FREE = "DCGM_FI_DEV_FB_FREE";
  private static final Set<String> READ = Set.of(GPU_UTIL, FB_USED, FB_FREE);
  private static final long MIB = 1024L * 1024;

  private AgentPage() {}

  /**
   * The page's GPUs by index, each with what the page says of it.
   *
   * @throws IllegalArgumentException when the page is not the text format, or its GPU series are
   *     not what an agent writes (no index, a GPU twice, a percentage past 100, negative memory)
   */
  static List<GpuReading> readings(String page) {
    Map<Integer, Gpu> gpus = new TreeMap<>();
    for (TextExposition.Sample sample : TextExposition.samples(page, READ)) {
      Gpu gpu = gpus.computeIfAbsent(index(sample), index -> new Gpu());
      gpu.name(sample.labels().get("UUID"), sample.labels().get("modelName"));
      double value = sample.value();
      switch (sample.name()) {
        case GPU_UTIL -> {
          if (!Double.isNaN(value) && !(value >= 0 && value <= 100)) {
            throw new IllegalArgumentException(GPU_UTIL + " of GPU " + index(sample) + " is " + value
                + ", not a percentage");
          }
          gpu.busy = once(gpu.busy, value, sample);
        }
        case FB_USED -> gpu.usedMiB = once(gpu.usedMiB, mebibytes(value, sample), sample);
        default -> gpu.freeMiB = once(gpu.freeMiB, mebibytes(value, sample), sample);
      }
    }
    List<GpuReading> readings = new ArrayList<>(gpus.size());
    gpus.forEach((index, gpu) -> {
      if (gpu.usedMiB == null || Double.isNaN(gpu.usedMiB)) {
        return;
      }
      long used = Math.round(gpu.usedMiB);
      long total = gpu.freeMiB == null || Double.isNaN(gpu.freeMiB) ? 0 : used + Math.round(gpu.freeMiB);
      int busy = gpu.busy == null || Double.isNaN(gpu.busy) ? -1 : (int) Math.round(gpu.busy);
      readings.add(new GpuReading(index, gpu.uuid, gpu.model, busy, used * MIB, total * MIB));
    });
    return List.copyOf(readings);
  }

  private static int index(TextExposition.Sample sample) {
    String gpu = sample.labels().get("gpu");
    try {
      int index = Integer.parseInt(gpu == null ? "" : gpu);
      if (index >= 0) {
        return index;
      }
    } catch (NumberFormatException e) {
      // said below
    }
    throw new IllegalArgumentException("a " + sample.name() + " series has no GPU index (gpu=\"" + gpu + "\")");
  }

  private static double mebibytes(double value, TextExposition.Sample sample) {
    if (!Double.isNaN(value) && !(value >= 0 && value < Double.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException(sample.name() + " of GPU " + sample.labels().get("gpu") + " is " + value
          + ", not an amount of memory");
    }
    return value;
  }

  /** An agent writes one series per GPU and name; a second one is not its page. */
  private static Double once(Double before, double value, TextExposition.Sample sample) {
    if (before != null) {
      throw new IllegalArgumentException(sample.name() + " has two series for GPU " + sample.labels().get("gpu"));
    }
    return value;
  }

  /** What the page says of one GPU; null where it has no series. */
  private static final class Gpu {
    private String uuid;
    private String model = "unknown";
    private Double busy;
    private Double usedMiB;
    private Double freeMiB;

    void name(String gpuUuid, String modelName) {
      if (uuid == null && gpuUuid != null && !gpuUuid.isEmpty()) {
        uuid = gpuUuid;
      }
      if (modelName != null && !modelName.isEmpty()) {
        model = modelName;
      }
    }
  }
}
