package dev.tessera.agent;

import dev.tessera.agent.deviceplugin.DevicePluginConfig;
import dev.tessera.agent.enforce.ComputeShareSettings;
import dev.tessera.agent.enforce.ComputeShareState;
import dev.tessera.agent.enforce.KubeNodeEvents;
import dev.tessera.agent.enforce.UsageFiles;
import dev.tessera.agent.gpu.GpuBackend;
import dev.tessera.agent.gpu.SimulatedGpuBackend;
import dev.tessera.agent.gpu.nvml.NvmlGpuBackend;
import dev.tessera.agent.gpu.nvml.NvmlOpenResult;
import dev.tessera.agent.kube.KubeApi;
import dev.tessera.agent.kube.KubeConfig;
import dev.tessera.agent.report.ReportSettings;
import dev.tessera.api.syntax.DurationOption;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Entry point of {@code tessera-node-agent.jar}. */
@Command(
    name = "tessera-node-agent",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Tessera's node agent, one per GPU node: samples the GPUs through NVML, serves their figures on"
          + " /metrics under dcgm-exporter's names (DCGM_FI_DEV_GPU_UTIL, DCGM_FI_DEV_FB_USED, ...),"
          + " streams node reports to the Tessera extender, and is the node's kubelet device plugin.",
      "",
      "Without NVIDIA GPUs, --simulate runs it on simulated ones.",
      ""
    })
public final class Main implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  @Option(
      names = "--node-name",
      paramLabel = "NAME",
      defaultValue = "${env:NODE_NAME}",
      description = "This node's Kubernetes name, sent in reports and the Hostname label (default: $NODE_NAME, else the host name).")
  String nodeName;

  @Option(
      names = "--extender",
      paramLabel = "HOST:PORT",
      converter = HostPortConverter.class,
      description = "Where the extender listens for node reports, e.g. tessera-extender.tessera-system.svc:8889 (default: none, no reports).")
  HostPort extender;

  @Option(
      names = "--metrics-port",
      paramLabel = "PORT",
      description = "HTTP port for /metrics and /healthz (default: ${DEFAULT-VALUE}, dcgm-exporter's; 0 picks a free one).")
  int metricsPort = AgentConfig.DEFAULT_METRICS_PORT;

  @Option(
      names = "--sample-period",
      paramLabel = "DURATION",
      converter = DurationOption.class,
      description = "How often the GPUs are sampled; /metrics and reports show the latest sample (default: 1s).")
  Duration samplePeriod = AgentConfig.DEFAULT_SAMPLE_PERIOD;

  @Option(
      names = "--report-interval",
      paramLabel = "DURATION",
      converter = DurationOption.class,
      description = "How often to report until the extender asks for another interval (default: 5s).")
  Duration reportInterval = ReportSettings.DEFAULT_INTERVAL;

  @Option(
      names = "--simulate",
      paramLabel = "SPEC",
      description = {
        "Run on simulated GPUs instead of NVML: COUNTxMODEL:MiB[,...], e.g. 8xNVIDIA-A100-SXM4-80GB:81920.",
        "Standard input then takes commands that change them: " + SimulationConsole.HELP + "."
      })
  String simulate;

  @Option(
      names = "--device-plugin",
      negatable = true,
      description = "Serve the kubelet device plugin (default: when running in a pod; --no-device-plugin turns it off).")
  Boolean devicePlugin;

  @Option(
      names = "--device-plugin-dir",
      paramLabel = "DIR",
      description = "kubelet's device-plugin directory: kubelet.sock and our socket (default: ${DEFAULT-VALUE}).")
  Path devicePluginDir = DevicePluginConfig.DEFAULT_PLUGIN_DIR;

  @Option(
      names = "--resource-name",
      paramLabel = "NAME",
      description = "Extended resource the device plugin advertises (default: ${DEFAULT-VALUE}).")
  String resourceName = DevicePluginConfig.DEFAULT_RESOURCE_NAME;

  @Option(
      names = "--compute-share-interval",
      paramLabel = "DURATION",
      converter = DurationOption.class,
      description = {
        "How often the node-level scheduler lends the compute shares idle fractional pods leave unused to busy"
            + " ones, and takes them back; a lent share comes back within 2 intervals + 0.12 s of its owner"
            + " needing it (default: 250ms; 0s turns lending off: every pod keeps its own share)."
      })
  Duration computeShareInterval = ComputeShareSettings.DEFAULT_INTERVAL;

  @Option(
      names = "--swap-host-memory",
      paramLabel = "BYTES",
      converter = ByteQuantityConverter.class,
      defaultValue = "${env:TESSERA_SWAP_HOST_MEMORY:-0}",
      description = {
        "Host memory this node lends to GPU memory swap, e.g. 64Gi (default: $TESSERA_SWAP_HOST_MEMORY, else 0:"
            + " no swap). Reported to the extender, which may then place pods that opt in (tessera.dev/gpu-swap)"
            + " beyond a GPU's memory by up to that much, the node's GPUs together."
      })
  long swapHostMemory;

  @Option(
      names = "--state-dir",
      paramLabel = "DIR",
      description = "Host directory for per-container usage files shared with GPU containers (default: ${DEFAULT-VALUE}).")
  Path stateDir = DevicePluginConfig.DEFAULT_STATE_DIR;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    int code = commandLine().execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  static CommandLine commandLine() {
    return new CommandLine(new Main()).setExecutionExceptionHandler(Main::reportStartupFailure);
  }

  /** Startup failures carry a message that says what to do; a stack trace would bury it. */
  private static int reportStartupFailure(Exception e, CommandLine commandLine, CommandLine.ParseResult parsed) {
    if (e instanceof IllegalStateException) {
      commandLine.getErr().println("tessera-node-agent: " + e.getMessage());
      log.debug("startup failed", e);
      return 1;
    }
    log.error("tessera-node-agent stopped on an unexpected error", e);
    return 70; // EX_SOFTWARE
  }

  @Override
  public Integer call() throws Exception {
    Clock clock = Clock.systemUTC();
    AgentConfig config;
    DevicePluginConfig pluginConfig;
    Optional<ComputeShareSettings> computeShares;
    try {
      String node = nodeName == null || nodeName.isBlank() ? hostName() : nodeName;
      config = new AgentConfig(
          node, Optional.ofNullable(extender), metricsPort, samplePeriod, reportInterval, swapHostMemory);
      computeShares = computeShareInterval.isZero()
          ? Optional.empty()
          : Optional.of(ComputeShareSettings.every(computeShareInterval));
      pluginConfig =
          DevicePluginConfig.defaults(node)
              .withPluginDir(devicePluginDir)
              .withResourceName(resourceName)
              .withStateDir(stateDir);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }

    GpuBackend gpus = openBackend(config.nodeName(), clock);
    boolean plugin = devicePlugin != null ? devicePlugin : System.getenv("KUBERNETES_SERVICE_HOST") != null;
    if (!plugin) {
      log.info("device plugin off ({})", devicePlugin == null ? "not running in a pod" : "--no-device-plugin");
    }
    // What the native library records in the pods' usage directories (fractional pods): read by the
    // sampler for reports and, with the device plugin, by the memory guard.
    UsageFiles usage = new UsageFiles(pluginConfig.stateDir().resolve("usage"));
    // The compute scheduler runs beside the device plugin; the reports read what it decided.
    AtomicReference<ComputeShareState> computeState = new AtomicReference<>(ComputeShareState.NONE);
    NodeAgent agent;
    try {
      agent =
          NodeAgent.start(
              config,
              gpus,
              usage,
              computeState::get,
              plugin
                  ? new KubeletDevicePlugin(pluginConfig, usage, computeShares, computeState, clock)
                  : DevicePluginStarter.NONE,
              plugin ? nodeEvents(config.nodeName(), clock) : NodeEvents.NONE,
              clock);
    } catch (Exception e) {
      gpus.close();
      throw e;
    }
    if (gpus instanceof SimulatedGpuBackend simulated) {
      new SimulationConsole(simulated).start(System.in);
    }

    // SIGTERM (a DaemonSet rollout): stop in order, so kubelet and the extender see clean ends.
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  agent.close();
                  gpus.close();
                  stopped.countDown();
                },
                "shutdown"));
    stopped.await();
    return 0;
  }

  private GpuBackend openBackend(String node, Clock clock) {
    if (simulate != null) {
      try {
        // Seeded by the node name: a restarted simulated agent keeps its GPUs' UUIDs.
        GpuBackend sim = SimulatedGpuBackend.fromSpec(simulate, clock, node.hashCode());
        log.info("GPU backend: {}", sim.description());
        return sim;
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--simulate: " + e.getMessage(), e);
      }
    }
    NvmlOpenResult nvml = NvmlGpuBackend.open();
    if (!nvml.loaded()) {
      throw new IllegalStateException(
          nvml.reason() + ". On a machine without NVIDIA GPUs, run on simulated ones with --simulate,"
              + " e.g. --simulate 8xNVIDIA-A100-SXM4-80GB:81920");
    }
    GpuBackend backend = nvml.orElseThrow();
    log.info("GPU backend: {}", backend.description());
    return backend;
  }

  /**
   * Events on this Node through the API server, with a client of their own (the device plugin's is
   * made inside it). Without credentials the GPU health changes are still logged.
   */
  private static NodeEvents nodeEvents(String node, Clock clock) {
    try {
      KubeApi api = new KubeApi(KubeConfig.fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home"))));
      return new KubeNodeEvents(api, node, clock);
    } catch (RuntimeException e) {
      log.warn("GPU health changes are logged but not recorded as node events: {}", e.getMessage());
      return NodeEvents.NONE;
    }
  }

  private static String hostName() {
    try {
      String h = InetAddress.getLocalHost().getHostName();
      log.info("no --node-name and no NODE_NAME: using the host name {}", h);
      return h;
    } catch (UnknownHostException e) {
      throw new IllegalStateException("no --node-name, no NODE_NAME, and no host name: pass --node-name", e);
    }
  }

  static final class HostPortConverter implements CommandLine.ITypeConverter<HostPort> {
    @Override
    public HostPort convert(String value) {
      try {
        return HostPort.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /** A byte count as Kubernetes quantities write it: 68719476736, 64Gi, 64G, 512Mi. */
  static final class ByteQuantityConverter implements CommandLine.ITypeConverter<Long> {
    private static final java.util.regex.Pattern QUANTITY =
        java.util.regex.Pattern.compile("([0-9]{1,19})(Ki|Mi|Gi|Ti|k|M|G|T)?");

    @Override
    public Long convert(String value) {
      java.util.regex.Matcher m = QUANTITY.matcher(value.trim());
      if (!m.matches()) {
        throw new CommandLine.TypeConversionException(
            "'" + value + "' is not a byte count; write it as 68719476736, 64Gi, 64G or 512Mi");
      }
      long unit = switch (m.group(2) == null ? "" : m.group(2)) {
        case "Ki" -> 1L << 10;
        case "Mi" -> 1L << 20;
        case "Gi" -> 1L << 30;
        case "Ti" -> 1L << 40;
        case "k" -> 1_000L;
        case "M" -> 1_000_000L;
        case "G" -> 1_000_000_000L;
        case "T" -> 1_000_000_000_000L;
        default -> 1;
      };
      try {
        return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
      } catch (ArithmeticException | NumberFormatException e) {
        throw new CommandLine.TypeConversionException("'" + value + "' is more bytes than any host has");
      }
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"tessera-node-agent " + AgentVersion.current()};
    }
  }
}
