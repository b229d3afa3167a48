package dev.tessera.agent.metrics;

import dev.tessera.agent.ContainerUsage;
import dev.tessera.agent.GpuState;
import dev.tessera.agent.NodeSnapshot;
import dev.tessera.agent.gpu.GpuInfo;
import dev.tessera.agent.gpu.GpuSample;
import dev.tessera.agent.gpu.XidErrors;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * Every dcgm-exporter default counter NVML can give, with dcgm-exporter's names, types, help texts,
 * units and labels; beside them the GPU health gauge and the XID counter.
 *
 * <p>NVIDIA's stock Grafana dashboard (grafana.com 12239) works against the agent unchanged except
 * its "Tensor Core Utilization" panel: that reads {@code DCGM_FI_PROF_PIPE_TENSOR_ACTIVE}, a
 * profiling counter only DCGM can read (see the README's "Node agent" section for which are).
 *
 * <p>Labels, on every DCGM series in dcgm-exporter's order: {@code gpu} (NVML index), {@code UUID},
 * {@code pci_bus_id}, {@code device} ("nvidia0"), {@code modelName}, {@code Hostname}, {@code
 * DCGM_FI_DRIVER_VERSION}, and {@code container}, {@code namespace}, {@code pod} of the one
 * container using the GPU (empty when none or several do, as dcgm-exporter leaves them when it
 * cannot attribute the GPU). Every series of a name carries the same label names.
 *
 * <p>Written here as Prometheus text rather than through Micrometer: the Prometheus client under
 * Micrometer appends {@code _total} to every counter's name, and dcgm-exporter's counters
 * ({@code DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION}, ...) have no such suffix; dashboards and alerts
 * written for them would find nothing. A figure NVML could not give has no series, never a
 * sentinel value.
 */
public final class DcgmMetrics {
  public static final String SM_CLOCK = "DCGM_FI_DEV_SM_CLOCK";
  public static final String MEM_CLOCK = "DCGM_FI_DEV_MEM_CLOCK";
  public static final String MEMORY_TEMP = "DCGM_FI_DEV_MEMORY_TEMP";
  public static final String GPU_TEMP = "DCGM_FI_DEV_GPU_TEMP";
  public static final String POWER_USAGE = "DCGM_FI_DEV_POWER_USAGE";
  public static final String TOTAL_ENERGY = "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION";
  public static final String PCIE_TX = "DCGM_FI_DEV_PCIE_TX_THROUGHPUT";
  public static final String PCIE_RX = "DCGM_FI_DEV_PCIE_RX_THROUGHPUT";
  public static final String PCIE_REPLAY = "DCGM_FI_DEV_PCIE_REPLAY_COUNTER";
  public static final String GPU_UTIL = "DCGM_FI_DEV_GPU_UTIL";
  public static final String MEM_COPY_UTIL = "DCGM_FI_DEV_MEM_COPY_UTIL";
  public static final String ENC_UTIL = "DCGM_FI_DEV_ENC_UTIL";
  public static final String DEC_UTIL = "DCGM_FI_DEV_DEC_UTIL";
  public static final String XID_ERRORS = "DCGM_FI_DEV_XID_ERRORS";
  public static final String FB_FREE = "DCGM_FI_DEV_FB_FREE";
  public static final String FB_USED = "DCGM_FI_DEV_FB_USED";
  public static final String FB_RESERVED = "DCGM_FI_DEV_FB_RESERVED";
  public static final String RETIRED_SBE = "DCGM_FI_DEV_RETIRED_SBE";
  public static final String RETIRED_DBE = "DCGM_FI_DEV_RETIRED_DBE";
  public static final String NVLINK_BANDWIDTH = "DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL";
  public static final String UNCORRECTABLE_REMAPPED_ROWS = "DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS";
  public static final String CORRECTABLE_REMAPPED_ROWS = "DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS";
  public static final String ROW_REMAP_FAILURE = "DCGM_FI_DEV_ROW_REMAP_FAILURE";

  /** 1 for a healthy GPU, 0 for an unhealthy one; the {@code reason} label says why. */
  public static final String GPU_HEALTHY = "tessera_gpu_healthy";

  /** XID errors since the agent started, by XID ({@code xid} label). */
  public static final String XID_ERRORS_TOTAL = "tessera_gpu_xid_errors_total";

  /** The label names of every DCGM series, in dcgm-exporter's order. */
  public static final List<String> LABELS =
      List.of(
          "gpu", "UUID", "pci_bus_id", "device", "modelName", "Hostname", "DCGM_FI_DRIVER_VERSION",
          "container", "namespace", "pod");

  private static final double MIB = 1024 * 1024;
  private static final int U = GpuSample.UNKNOWN;

  /** One exported family: dcgm-exporter's name, type and help; how to read it from a sample. */
  private record Field(String name, String type, String help, ToDoubleFunction<GpuSample> figure) {}

  /** In dcgm-exporter's default-counters order. */
  private static final List<Field> FIELDS =
      List.of(
          gauge(SM_CLOCK, "SM clock frequency (in MHz).", s -> known(s.smClockMhz())),
          gauge(MEM_CLOCK, "Memory clock frequency (in MHz).", s -> known(s.figures().memoryClockMhz())),
          gauge(MEMORY_TEMP, "Memory temperature (in C).", s -> known(s.figures().memoryTemperatureCelsius())),
          gauge(GPU_TEMP, "GPU temperature (in C).", s -> known(s.temperatureCelsius())),
          // NVML gives milliwatts; dcgm-exporter exports watts.
          gauge(POWER_USAGE, "Power draw (in W).", s -> known(s.powerMilliwatts()) / 1000.0),
          counter(
              TOTAL_ENERGY,
              "Total energy consumption since boot (in mJ).",
              s -> known(s.figures().totalEnergyMillijoules())),
          // A rate over NVML's last 20 ms, as DCGM reads it too, though dcgm-exporter types it a counter.
          counter(
              PCIE_TX,
              "Total number of bytes transmitted through PCIe TX (in KB) via NVML.",
              s -> known(s.figures().pcieTxKbPerSecond())),
          counter(
              PCIE_RX,
              "Total number of bytes received through PCIe RX (in KB) via NVML.",
              s -> known(s.figures().pcieRxKbPerSecond())),
          counter(PCIE_REPLAY, "Total number of PCIe retries.", s -> known(s.figures().pcieReplays())),
          gauge(GPU_UTIL, "GPU utilization (in %).", s -> known(s.utilizationPercent())),
          gauge(MEM_COPY_UTIL, "Memory utilization (in %).", s -> known(s.figures().memoryCopyUtilPercent())),
          gauge(ENC_UTIL, "Encoder utilization (in %).", s -> known(s.figures().encoderUtilPercent())),
          gauge(DEC_UTIL, "Decoder utilization (in %).", s -> known(s.figures().decoderUtilPercent())),
          gauge(
              XID_ERRORS,
              "Value of the last XID error encountered.",
              s -> s.xids().observed() ? s.xids().last() : Double.NaN),
          // dcgm-exporter's framebuffer figures are whole MiB.
          gauge(FB_FREE, "Framebuffer memory free (in MiB).", s -> mib(s.memoryFreeBytes())),
          gauge(FB_USED, "Framebuffer memory used (in MiB).", s -> mib(s.memoryUsedBytes())),
          gauge(FB_RESERVED, "Framebuffer memory reserved (in MiB).", s -> mib(s.figures().memoryReservedBytes())),
          counter(
              RETIRED_SBE,
              "Total number of retired pages due to single-bit errors.",
              s -> known(s.figures().retiredPagesSingleBit())),
          counter(
              RETIRED_DBE,
              "Total number of retired pages due to double-bit errors.",
              s -> known(s.figures().retiredPagesDoubleBit())),
          counter(
              NVLINK_BANDWIDTH,
              "Total number of NVLink bandwidth counters for all lanes.",
              s -> known(s.figures().nvlinkTotalKib())),
          counter(
              UNCORRECTABLE_REMAPPED_ROWS,
              "Number of remapped rows for uncorrectable errors",
              s -> known(s.figures().uncorrectableRemappedRows())),
          counter(
              CORRECTABLE_REMAPPED_ROWS,
              "Number of remapped rows for correctable errors",
              s -> known(s.figures().correctableRemappedRows())),
          gauge(
              ROW_REMAP_FAILURE,
              "Whether remapping of rows has failed",
              s -> known(s.figures().rowRemapFailure())));

  private final String hostname;
  private final String driverVersion;

  /**
   * @param hostname the {@code Hostname} label: the Kubernetes node name, as dcgm-exporter uses
   * @param driverVersion the {@code DCGM_FI_DRIVER_VERSION} label; empty where unknown
   */
  public DcgmMetrics(String hostname, String driverVersion) {
    this.hostname = Objects.requireNonNull(hostname, "hostname");
    this.driverVersion = Objects.requireNonNull(driverVersion, "driverVersion");
  }

  /** The names of the DCGM families exported, in order. */
  public static List<String> names() {
    return FIELDS.stream().map(Field::name).toList();
  }

  /** The families of {@code snapshot} in Prometheus text format 0.0.4. */
  public String render(NodeSnapshot snapshot) {
    StringBuilder out = new StringBuilder(8192);
    for (Field field : FIELDS) {
      header(out, field.name(), field.type(), field.help());
      for (GpuState g : snapshot.gpus()) {
        double value = field.figure().applyAsDouble(g.sample());
        if (Double.isNaN(value)) {
          continue;
        }
        out.append(field.name());
        dcgmLabels(out, g, snapshot);
        value(out, value);
      }
    }
    header(out, GPU_HEALTHY, "gauge", "Whether the GPU is healthy (1) or not (0); the reason label says why not.");
    for (GpuState g : snapshot.gpus()) {
      out.append(GPU_HEALTHY);
      gpuLabels(out, g.info(), "reason", g.sample().healthReason());
      value(out, g.sample().healthy() ? 1 : 0);
    }
    header(out, XID_ERRORS_TOTAL, "counter", "XID errors the driver reported since the agent started, by XID.");
    for (GpuState g : snapshot.gpus()) {
      XidErrors xids = g.sample().xids();
      for (Map.Entry<Integer, Long> e : new TreeMap<>(xids.counts()).entrySet()) {
        out.append(XID_ERRORS_TOTAL);
        gpuLabels(out, g.info(), "xid", Integer.toString(e.getKey()));
        value(out, e.getValue());
      }
    }
    return out.toString();
  }

  private static Field gauge(String name, String help, ToDoubleFunction<GpuSample> figure) {
    return new Field(name, "gauge", help, figure);
  }

  private static Field counter(String name, String help, ToDoubleFunction<GpuSample> figure) {
    return new Field(name, "counter", help, figure);
  }

  /** NaN for {@link GpuSample#UNKNOWN}: the family then has no series for that GPU. */
  private static double known(long figure) {
    return figure == U ? Double.NaN : figure;
  }

  private static double mib(long bytes) {
    return bytes == U ? Double.NaN : Math.floor(bytes / MIB);
  }

  private static void header(StringBuilder out, String name, String type, String help) {
    out.append("# HELP ").append(name).append(' ').append(help.replace("\\", "\\\\").replace("\n", "\\n")).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private void dcgmLabels(StringBuilder out, GpuState gpu, NodeSnapshot snapshot) {
    GpuInfo info = gpu.info();
    ContainerUsage owner = soleContainer(snapshot, info.uuid());
    out.append('{');
    label(out, "gpu", Integer.toString(info.index())).append(',');
    label(out, "UUID", info.uuid()).append(',');
    label(out, "pci_bus_id", info.pciBusId()).append(',');
    label(out, "device", info.deviceName()).append(',');
    label(out, "modelName", info.model()).append(',');
    label(out, "Hostname", hostname).append(',');
    label(out, "DCGM_FI_DRIVER_VERSION", driverVersion).append(',');
    label(out, "container", owner == null ? "" : owner.container()).append(',');
    label(out, "namespace", owner == null ? "" : owner.namespace()).append(',');
    label(out, "pod", owner == null ? "" : owner.pod());
    out.append('}');
  }

  /** The GPU's identity and one more label, for Tessera's own GPU series. */
  private void gpuLabels(StringBuilder out, GpuInfo info, String key, String value) {
    out.append('{');
    label(out, "gpu", Integer.toString(info.index())).append(',');
    label(out, "UUID", info.uuid()).append(',');
    label(out, "pci_bus_id", info.pciBusId()).append(',');
    label(out, "device", info.deviceName()).append(',');
    label(out, "modelName", info.model()).append(',');
    label(out, "Hostname", hostname).append(',');
    label(out, key, value);
    out.append('}');
  }

  private static StringBuilder label(StringBuilder out, String key, String value) {
    out.append(key).append("=\"");
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '"' -> out.append("\\\"");
        case '\n' -> out.append("\\n");
        default -> out.append(c);
      }
    }
    return out.append('"');
  }

  /** Whole numbers without a fraction, as dcgm-exporter writes them; others as Java does. */
  private static void value(StringBuilder out, double value) {
    out.append(' ');
    if (value == Math.rint(value) && Math.abs(value) < 1e15) {
      out.append((long) value);
    } else {
      out.append(value);
    }
    out.append('\n');
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
