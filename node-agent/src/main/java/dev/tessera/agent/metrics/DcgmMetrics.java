package dev.tessera.agent.metrics;

import dev.tessera.agent.ContainerUsage;
import dev.tessera.agent.GpuState;
import dev.tessera.agent.NodeSnapshot;
import dev.tessera.agent.gpu.GpuSample;
import io.micrometer.core.instrument.Tags;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Per-GPU gauges with dcgm-exporter's names, units, help texts and labels, so NVIDIA's stock
 * Grafana dashboard and existing alerts work against the agent unchanged.
 *
 * <p>Labels: {@code gpu} (NVML index), {@code UUID}, {@code modelName}, {@code Hostname}, and
 * {@code pod}, {@code namespace}, {@code container} of the one container using the GPU (empty when
 * none or several do, as dcgm-exporter leaves them when it cannot attribute the GPU). Every series
 * of a name carries the same label names: Prometheus' client refuses mixed label sets.
 */
public final class DcgmMetrics {
  public static final String GPU_UTIL = "DCGM_FI_DEV_GPU_UTIL";
  public static final String FB_USED = "DCGM_FI_DEV_FB_USED";
  public static final String FB_FREE = "DCGM_FI_DEV_FB_FREE";
  public static final String GPU_TEMP = "DCGM_FI_DEV_GPU_TEMP";
  public static final String POWER_USAGE = "DCGM_FI_DEV_POWER_USAGE";
  public static final String SM_CLOCK = "DCGM_FI_DEV_SM_CLOCK";

  private static final double MIB = 1024 * 1024;

  private DcgmMetrics() {}

  /** The families, in dcgm-exporter's default-counters.csv order; {@code hostname} is the node name. */
  public static List<GaugeFamily> families(String hostname) {
    return List.of(
        gpu(SM_CLOCK, "SM clock frequency (in MHz).", hostname, s -> known(s.smClockMhz())),
        gpu(GPU_TEMP, "GPU temperature (in C).", hostname, s -> known(s.temperatureCelsius())),
        // NVML gives milliwatts; dcgm-exporter exports watts.
        gpu(POWER_USAGE, "Power draw (in W).", hostname, s -> known(s.powerMilliwatts()) / 1000.0),
        gpu(GPU_UTIL, "GPU utilization (in %).", hostname, s -> known(s.utilizationPercent())),
        // dcgm-exporter's framebuffer figures are whole MiB.
        gpu(FB_FREE, "Framebuffer memory free (in MiB).", hostname, s -> Math.floor(known(s.memoryFreeBytes()) / MIB)),
        gpu(FB_USED, "Framebuffer memory used (in MiB).", hostname, s -> Math.floor(known(s.memoryUsedBytes()) / MIB)));
  }

  /** NaN for {@link GpuSample#UNKNOWN}: the family then has no series for that GPU. */
  private static double known(long figure) {
    return figure == GpuSample.UNKNOWN ? Double.NaN : figure;
  }

  private static GaugeFamily gpu(
      String name, String help, String hostname, ToDoubleFunction<GpuSample> figure) {
    return new GaugeFamily(
        name,
        help,
        snapshot -> {
          Map<Tags, ToDoubleFunction<NodeSnapshot>> series = new LinkedHashMap<>();
          for (GpuState g : snapshot.gpus()) {
            if (Double.isNaN(figure.applyAsDouble(g.sample()))) {
              continue;
            }
            int index = g.info().index();
            series.put(tags(g, snapshot, hostname), view -> read(view, index, figure));
          }
          return series;
        });
  }

  private static double read(NodeSnapshot view, int index, ToDoubleFunction<GpuSample> figure) {
    for (GpuState g : view.gpus()) {
      if (g.info().index() == index) {
        return figure.applyAsDouble(g.sample());
      }
    }
    return Double.NaN;
  }

  static Tags tags(GpuState gpu, NodeSnapshot snapshot, String hostname) {
    ContainerUsage owner = soleContainer(snapshot, gpu.info().uuid());
    return Tags.of(
        "gpu", Integer.toString(gpu.info().index()),
        "UUID", gpu.info().uuid(),
        "modelName", gpu.info().model(),
        "Hostname", hostname,
        "pod", owner == null ? "" : owner.pod(),
        "namespace", owner == null ? "" : owner.namespace(),
        "container", owner == null ? "" : owner.container());
  }

  /** The one container on this GPU, or null when none or several share it. */
  private static ContainerUsage soleContainer(NodeSnapshot snapshot, String uuid) {
    ContainerUsage found = null;
    for (ContainerUsage c : snapshot.containers()) {
      if (!c.gpuUuid().equals(uuid)) {
        continue;
      }
      if (found != null && !found.sameContainer(c)) {
        return null;
      }
      found = c;
    }
    return found;
  }
}
