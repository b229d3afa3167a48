package dev.tessera.server;

import dev.tessera.api.WellKnown;
import dev.tessera.api.syntax.DurationOption;
import dev.tessera.controller.admission.AdmissionRuntime;
import dev.tessera.controller.admission.AdmissionServer;
import dev.tessera.extender.ExtenderConfig;
import dev.tessera.extender.ha.LeaderLabel;
import dev.tessera.extender.ha.Leadership;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.telemetry.ReportConfig;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Entry point of {@code tessera-extender.jar}: serve a cluster. */
@Command(
    name = "tessera-extender",
    mixinStandardHelpOptions = true,
    version = "tessera-extender 0.1.0",
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Tessera's kube-scheduler extender: GPU-aware filter, prioritize and bind for whole and"
          + " fractional GPUs (the gpu-fraction, gpu-memory and gpu-fraction-num-devices"
          + " annotations, and the nvidia.com/gpu resource).",
      "",
      "With a kubeconfig (--kubeconfig, $KUBECONFIG or ~/.kube/config) or inside a pod it serves"
          + " that cluster: deploy/ has the manifests and the kube-scheduler configuration that"
          + " calls it. The self-contained demo is its own jar: java -jar demo/target/tessera-demo.jar.",
      ""
    })
public final class Main implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Serve the cluster this kubeconfig points at.")
  Path kubeconfig;

  @Option(
      names = "--port",
      paramLabel = "PORT",
      description = "HTTP port for /filter, /prioritize, /bind, /preempt, /healthz, /readyz, /metrics (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int port = WellKnown.EXTENDER_PORT;

  @Option(
      names = "--placement-strategy",
      paramLabel = "binpack|spread",
      converter = PlacementStrategyConverter.class,
      description = "How to choose among fitting nodes and GPUs on nodes without a " + WellKnown.PLACEMENT_STRATEGY_LABEL + " label (default: binpack).")
  PlacementStrategy strategy = PlacementStrategy.BINPACK;

  @Option(
      names = "--bind-timeout",
      paramLabel = "DURATION",
      converter = DurationOption.class,
      description = "Longest a /bind may take; keep it below httpTimeout in the scheduler configuration (default: 8s).")
  Duration bindTimeout = ExtenderConfig.DEFAULT_BIND_TIMEOUT;

  @Option(
      names = "--assume-ttl",
      paramLabel = "DURATION",
      converter = DurationOption.class,
      description = "How long GPUs handed out at bind stay held before the pod is seen bound (default: 30s).")
  Duration assumeTtl = ExtenderConfig.DEFAULT_ASSUME_TTL;

  @Option(
      names = "--unready-wait",
      paramLabel = "DURATION",
      converter = DurationOption.class,
      description = "How long a scheduling call that comes before the extender has listed nodes, pods and policy waits for it before HTTP 503; keep it below httpTimeout in the scheduler configuration (default: 4s).")
  Duration unreadyWait = ExtenderConfig.DEFAULT_UNREADY_WAIT;

  @Option(
      names = "--resync-period",
      paramLabel = "DURATION",
      converter = DurationOption.class,
      description = "How often the ledger is reconciled against the informers' full listing (default: 5m).")
  Duration resyncPeriod = ExtenderRuntime.DEFAULT_RESYNC;

  @Option(
      names = "--report-port",
      paramLabel = "PORT",
      description = "gRPC port node agents stream their GPU reports to (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int reportPort = ReportConfig.DEFAULT_PORT;

  @Option(
      names = "--report-interval",
      paramLabel = "DURATION",
      converter = DurationOption.class,
      description = "How often node agents are asked to report (default: 5s).")
  Duration reportInterval = ReportConfig.DEFAULT_INTERVAL;

  @Option(
      names = "--report-stale-after",
      paramLabel = "DURATION",
      converter = DurationOption.class,
      description = "After this long without a report, a node is placed by its labels again and its measured GPU use is ignored (default: 30s).")
  Duration reportStaleAfter = ReportConfig.DEFAULT_STALE_AFTER;

  @Option(
      names = "--max-request-bytes",
      paramLabel = "BYTES",
      description = "Larger request bodies get HTTP 400 (default: ${DEFAULT-VALUE}).")
  int maxRequestBytes = ExtenderConfig.DEFAULT_MAX_REQUEST_BYTES;

  @Option(
      names = "--admission-port",
      paramLabel = "PORT",
      description = "HTTPS port of the workload-policy admission webhook, POST /validate and /mutate (default: ${DEFAULT-VALUE}; 0 picks a free one). Served only with --admission-cert and --admission-key.")
  int admissionPort = AdmissionServer.DEFAULT_PORT;

  @Option(
      names = "--admission-cert",
      paramLabel = "FILE",
      description = "PEM X.509 certificate (and chain) of the admission webhook, e.g. tls.crt of a kubernetes.io/tls secret. Read once at startup.")
  Path admissionCert;

  @Option(
      names = "--admission-key",
      paramLabel = "FILE",
      description = "PEM PKCS#8 private key of the admission webhook, e.g. tls.key. Read once at startup.")
  Path admissionKey;

  @Option(
      names = "--leader-elect",
      description = "Run as one of several replicas: only the holder of the Lease decides and acts; the"
          + " others keep their caches warm and take over when it stops renewing. The leader labels its own"
          + " pod tessera.dev/leader=true (POD_NAME and POD_NAMESPACE from the downward API) for the Service.")
  boolean leaderElect;

  @Option(
      names = "--leader-elect-namespace",
      paramLabel = "NAMESPACE",
      description = "Namespace of the Lease (default: POD_NAMESPACE, else tessera-system).")
  String leaderNamespace;

  @Option(
      names = "--leader-elect-lease-duration",
      paramLabel = "DURATION",
      converter = DurationOption.class,
      description = "How long a Lease not renewed keeps the standbys out: most of the failover time (default: 8s).")
  Duration leaseDuration = Duration.ofSeconds(8);

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return new CommandLine(new Main()).setExecutionExceptionHandler(new StartupFailures("tessera-extender"));
  }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    ExtenderConfig config;
    ReportConfig reports;
    try {
      config = new ExtenderConfig(port, strategy, bindTimeout, assumeTtl, maxRequestBytes, unreadyWait);
      reports = new ReportConfig(reportPort, reportInterval, reportStaleAfter);
      checkAdmissionOptions();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    if (!clusterConfigured()) {
      throw new IllegalStateException("no cluster to serve: give --kubeconfig, set KUBECONFIG, write"
          + " ~/.kube/config, or run inside a pod (deploy/ installs it). For the self-contained demo, run"
          + " java -jar demo/target/tessera-demo.jar");
    }
    Config clientConfig = clientConfig(config);
    if (leaderElect) {
      return runReplica(clientConfig, config, reports);
    }
    // Declared first, closed last: the shutdown hook waits for everything after it to close.
    try (ShutdownSignal shutdown = ShutdownSignal.register();
        KubernetesClient client = new KubernetesClientBuilder().withConfig(clientConfig).build();
        ExtenderRuntime runtime = ExtenderRuntime.start(config, reports, resyncPeriod, client);
        AdmissionRuntime admission = startAdmission(runtime)) {
      log.info(
          "serving cluster {} on port {} (node agents report on {}); scheduler profile {} calls it",
          clientConfig.getMasterUrl(), runtime.port(), runtime.reportPort(), WellKnown.SCHEDULER_NAME);
      shutdown.await();
      log.info("stopping: finishing the binds in flight and closing");
    }
    return 0;
  }

  /**
   * One of several replicas: a warm standby until it wins the Lease, then the leader. Losing the
   * Lease ends the process (exit 1): its kubelet starts it again as a standby, with a fresh view.
   */
  private int runReplica(Config clientConfig, ExtenderConfig config, ReportConfig reports) throws Exception {
    String podNamespace = System.getenv("POD_NAMESPACE");
    String namespace = leaderNamespace != null ? leaderNamespace
        : podNamespace != null && !podNamespace.isBlank() ? podNamespace : "tessera-system";
    String pod = System.getenv("POD_NAME");
    String identity = (pod != null && !pod.isBlank() ? pod : java.net.InetAddress.getLocalHost().getHostName())
        + "_" + java.util.UUID.randomUUID().toString().substring(0, 8);
    Leadership.Settings settings;
    try {
      settings = new Leadership.Settings(namespace, "tessera-extender", identity, leaseDuration);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--leader-elect-lease-duration: " + e.getMessage(), e);
    }
    java.util.concurrent.atomic.AtomicInteger exit = new java.util.concurrent.atomic.AtomicInteger();
    // The admission webhook reviews with the workload policies, which the workload controller holds:
    // it starts with leading, so a standby never approves what no policy was checked against.
    java.util.concurrent.atomic.AtomicReference<AdmissionRuntime> admission =
        new java.util.concurrent.atomic.AtomicReference<>();
    // Declared first, closed last: the shutdown hook waits until the Lease is handed over.
    try (ShutdownSignal stop = ShutdownSignal.register();
        KubernetesClient client = new KubernetesClientBuilder().withConfig(clientConfig).build();
        ExtenderRuntime runtime = ExtenderRuntime.standby(config, reports, resyncPeriod, client);
        Leadership leadership = new Leadership(client, settings)) {
      LeaderLabel label = new LeaderLabel(client, podNamespace == null ? namespace : podNamespace, pod);
      label.clear();
      log.info("standby for cluster {} on port {}: cache filled, waiting for the Lease {}/tessera-extender",
          clientConfig.getMasterUrl(), runtime.port(), namespace);
      // Starting to lead syncs the workload controller's informers: off the elector's thread, which
      // must go on renewing the Lease meanwhile.
      Runnable lead = () -> {
        try {
          long start = System.nanoTime();
          runtime.activate();
          admission.set(startAdmission(runtime));
          label.mark();
          log.info("leading: deciding and acting from now on ({} ms from the Lease to ready)",
              (System.nanoTime() - start) / 1_000_000);
        } catch (Exception e) {
          log.error("won the Lease but could not start leading; exiting so that another replica leads", e);
          exit.set(1);
          stop.stopNow();
        }
      };
      leadership.start(
          () -> new Thread(lead, "tessera-lead").start(),
          () -> {
            log.warn("lost the Lease: another replica may be deciding now; exiting, to come back as a standby");
            exit.set(1);
            stop.stopNow();
          });
      try {
        stop.await();
      } finally {
        AdmissionRuntime serving = admission.get();
        if (serving != null) {
          serving.close();
        }
      }
    }
    return exit.get();
  }

  /** The admission webhook, reviewing with the runtime's workload policies and projects. */
  private AdmissionRuntime startAdmission(ExtenderRuntime runtime) throws Exception {
    return AdmissionRuntime.start(admissionPort, admissionCert, admissionKey, runtime.admissionReviewer());
  }

  private void checkAdmissionOptions() {
    if ((admissionCert == null) != (admissionKey == null)) {
      throw new IllegalArgumentException(
          "--admission-cert and --admission-key go together: give both to serve the admission"
              + " webhook, or neither");
    }
    if (admissionPort < 0 || admissionPort > 65535) {
      throw new IllegalArgumentException("--admission-port must be 0-65535, got " + admissionPort);
    }
  }

  private boolean clusterConfigured() {
    if (kubeconfig != null) {
      return true;
    }
    String env = System.getenv("KUBECONFIG");
    if (env != null && !env.isBlank()) {
      return true;
    }
    if (System.getenv("KUBERNETES_SERVICE_HOST") != null) {
      return true;
    }
    return Files.isRegularFile(Path.of(System.getProperty("user.home"), ".kube", "config"));
  }

  private Config clientConfig(ExtenderConfig config) throws java.io.IOException {
    Config base =
        kubeconfig != null
            ? Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString())
            : Config.autoConfigure(null);
    // A bind is one API call; it must finish inside the bind deadline kube-scheduler waits for.
    return new ConfigBuilder(base)
        .withRequestTimeout((int) config.bindTimeout().toMillis())
        .build();
  }
}
