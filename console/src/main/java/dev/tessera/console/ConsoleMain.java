package dev.tessera.console;

import dev.tessera.api.syntax.DurationOption;
import dev.tessera.console.access.ProjectAccessController;
import dev.tessera.console.access.SubjectAccessAuthorizer;
import dev.tessera.console.access.TokenReviewAuthenticator;
import dev.tessera.console.history.BufferedHistory;
import dev.tessera.console.history.HistoryDatabase;
import dev.tessera.console.history.HistoryRetention;
import dev.tessera.console.history.NoHistory;
import dev.tessera.console.history.OpeningHistory;
import dev.tessera.console.history.WorkloadHistory;
import dev.tessera.console.metrics.AgentScraper;
import dev.tessera.console.metrics.GpuLookup;
import dev.tessera.console.metrics.PrometheusMetrics;
import dev.tessera.console.metrics.ReportRecorder;
import dev.tessera.console.metrics.WorkloadMetrics;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Entry point of {@code tessera-console.jar}: serve the Workloads API of a cluster. */
@Command(
    name = "tessera-console",
    mixinStandardHelpOptions = true,
    version = "tessera-console 0.1.0",
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Tessera's Workloads API: every workload of the cluster in one table (filter, sort, pages, CSV,"
          + " a stream of changes), each workload's pods, connections, history, metrics and logs, and"
          + " the actions on it, for the web UI and the tessera CLI.",
      "",
      "Users sign in with bearer tokens the API server accepts (TokenReview) and see and act on the"
          + " projects RBAC lets them (SubjectAccessReview); actions are done as them (impersonation)."
          + " History is kept in PostgreSQL. Metrics come from Prometheus (--prometheus-url), else from the"
          + " node agents' /metrics pages, which the console reads itself. deploy/80-console.yaml runs it in"
          + " a cluster; the embedded demo (java -jar demo/target/tessera-demo.jar) serves it with demo users.",
      ""
    })
public final class ConsoleMain implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ConsoleMain.class);
  public static final int DEFAULT_PORT = 8090;
  /** How often an unreachable history database is tried again. */
  private static final Duration DATABASE_RETRY = Duration.ofSeconds(15);
  /** How long startup waits for the first try to open the history database (connect, migrate). */
  private static final Duration DATABASE_FIRST_WAIT = Duration.ofSeconds(10);
  /**
   * How long a SIGTERM waits for the console to close (the pending history is given 10 s of it),
   * within Kubernetes' default grace period of 30 s.
   */
  private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(25);
  private static final Duration RESYNC = Duration.ofMinutes(10);
  private static final int ACCESS_TIMEOUT_MILLIS = 5_000;
  /** How often history past its retention is dropped. */
  private static final Duration PRUNE_PERIOD = Duration.ofHours(1);

  @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Serve the cluster this kubeconfig points at"
      + " (default: $KUBECONFIG, ~/.kube/config, or the pod's ServiceAccount).")
  Path kubeconfig;

  @Option(names = "--port", paramLabel = "PORT", description = "HTTP port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int port = DEFAULT_PORT;

  @Option(names = "--cluster-name", paramLabel = "NAME", description = "The cluster's name in every row's cluster column (default: ${DEFAULT-VALUE}).")
  String cluster = "default";

  @Option(names = "--database-url", paramLabel = "JDBC-URL", description = "The history's PostgreSQL, e.g."
      + " jdbc:postgresql://tessera-console-db:5432/tessera (default: $TESSERA_DATABASE_URL).")
  String databaseUrl = System.getenv("TESSERA_DATABASE_URL");

  @Option(names = "--database-user", paramLabel = "USER", description = "Its user (default: $TESSERA_DATABASE_USER).")
  String databaseUser = System.getenv("TESSERA_DATABASE_USER");

  @Option(names = "--database-password-file", paramLabel = "FILE", description = "A file holding its password"
      + " (a mounted Secret); else $TESSERA_DATABASE_PASSWORD.")
  Path databasePasswordFile;

  @Option(names = "--no-history", description = "Run without a history store: the table, details, metrics and"
      + " logs work; history and the Deleted view answer 503 saying so.")
  boolean noHistory;

  @Option(names = "--event-retention", paramLabel = "DURATION", converter = DurationOption.class,
      description = "How long history entries are kept (default: 90d).")
  Duration eventRetention = HistoryRetention.Retention.DEFAULT.events();

  @Option(names = "--deleted-retention", paramLabel = "DURATION", converter = DurationOption.class,
      description = "How long deleted workloads stay in the Deleted view (default: 30d).")
  Duration deletedRetention = HistoryRetention.Retention.DEFAULT.deleted();

  @Option(names = "--prometheus-url", paramLabel = "URL", description = "Read workloads' metrics from this"
      + " Prometheus (the node agents' DCGM series and the kubelets' cAdvisor series). Without it the console"
      + " reads the node agents' /metrics pages itself (see --agent-scrape-interval) and keeps the last"
      + " 2 hours of GPU utilization and memory in memory; CPU and memory metrics then say they need one.")
  URI prometheusUrl;

  @Option(names = "--agent-scrape-interval", paramLabel = "DURATION", converter = DurationOption.class,
      description = "Without --prometheus-url: how often each node agent's /metrics page (tessera-system pods"
          + " labelled app.kubernetes.io/name=tessera-node-agent, port 9400) is read (default: 10s).")
  Duration agentScrapeInterval = AgentScraper.Settings.DEFAULT.period();

  public static void main(String[] args) {
    System.exit(new CommandLine(new ConsoleMain()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (!noHistory && (databaseUrl == null || databaseUrl.isBlank())) {
      throw new CommandLine.ParameterException(new CommandLine(this), "the console keeps history in PostgreSQL:"
          + " pass --database-url (or set $TESSERA_DATABASE_URL), or --no-history to run without it");
    }
    Clock clock = Clock.systemUTC();
    Config config = kubeconfig == null ? Config.autoConfigure(null)
        : Config.fromKubeconfig(null, Files.readString(kubeconfig, StandardCharsets.UTF_8), kubeconfig.toString());
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // The history's retries and pruning, and the agent scraper's rounds: short tasks that block nothing.
    ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("tessera-console-scheduler", true));
    WorkloadHistory history = noHistory ? new NoHistory() : BufferedHistory.start(
        openHistory(HistoryDatabase.Settings.of(databaseUrl, databaseUser, password()), timer),
        BufferedHistory.Settings.DEFAULT, registry);
    // Access checks answer a waiting user: a few seconds and one retry, then a 503 that says why,
    // rather than fabric8's retries for half a minute.
    Config checks = new io.fabric8.kubernetes.client.ConfigBuilder(config).withRequestTimeout(ACCESS_TIMEOUT_MILLIS)
        .withRequestRetryBackoffLimit(1).build();
    CountDownLatch closed = new CountDownLatch(1);
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        KubernetesClient accessClient = new KubernetesClientBuilder().withConfig(checks).build();
        HistoryRetention retention = new HistoryRetention(history,
            new HistoryRetention.Retention(eventRetention, deletedRetention), clock, timer)) {
      log.info("serving the cluster at {}", client.getMasterUrl());
      if (!noHistory) {
        retention.start(PRUNE_PERIOD);
      }
      // Without Prometheus, the console records the agents' GPU readings itself, with the catalog's
      // GPU lookup, which the runtime passes when it makes the metrics source.
      AtomicReference<ReportRecorder> recorder = new AtomicReference<>();
      AgentScraper.Settings scraping = AgentScraper.Settings.DEFAULT.withPeriod(agentScrapeInterval);
      Function<GpuLookup, WorkloadMetrics> metrics = prometheusUrl == null
          ? gpus -> recorder.updateAndGet(none -> new ReportRecorder(clock, scraping.period(), gpus))
          : gpus -> new PrometheusMetrics(dev.tessera.console.metrics.PrometheusConfig.of(prometheusUrl), gpus);
      try (ConsoleRuntime console = ConsoleRuntime.start(
              new ConsoleRuntime.Settings(port, cluster, deletedRetention, true, RESYNC), client, history, metrics,
              new TokenReviewAuthenticator(accessClient, clock), new SubjectAccessAuthorizer(accessClient, clock),
              registry,
              clock);
          ProjectAccessController access = new ProjectAccessController(client);
          AgentScraper scraper = recorder.get() == null ? null
              : new AgentScraper(client, recorder.get(), scraping, clock, timer, registry)) {
        access.start();
        if (scraper == null) {
          log.info("metrics: from the Prometheus at {}", prometheusUrl);
        } else {
          scraper.start();
          log.info("metrics: no --prometheus-url, so GPU readings come from the node agents' {} pages in {}, read"
              + " every {} s and kept {} minutes", AgentScraper.PATH, AgentScraper.NAMESPACE,
              scraping.period().toMillis() / 1000.0, ReportRecorder.DEFAULT_RETENTION.toMinutes());
        }
        log.info("ready: the Workloads API on port {} (/api/v1/workloads; /docs/ describes it)", console.port());
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          stop.countDown();
          // The JVM halts as soon as the hooks return: wait for the closing below, which writes
          // the history still pending, within the pod's grace period.
          try {
            closed.await(SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }, "tessera-console-shutdown"));
        stop.await();
        log.info("stopping: closing the Workloads API and writing the pending history");
      }
    } finally {
      history.close();
      timer.shutdownNow();
      closed.countDown();
    }
    return 0;
  }

  /**
   * The history database, opened in the background; the first try is waited for (a while), so the
   * Deleted view, read once the console starts, is read from an open database rather than left
   * empty until its next try.
   */
  private static OpeningHistory openHistory(HistoryDatabase.Settings settings, ScheduledExecutorService timer)
      throws InterruptedException {
    OpeningHistory opening = new OpeningHistory(settings, timer, DATABASE_RETRY).start();
    if (!opening.awaitFirstAttempt(DATABASE_FIRST_WAIT)) {
      log.info("starting without the history database for now; the table is served meanwhile");
    }
    return opening;
  }

  private String password() throws java.io.IOException {
    if (databasePasswordFile != null) {
      return Files.readString(databasePasswordFile, StandardCharsets.UTF_8).strip();
    }
    return System.getenv("TESSERA_DATABASE_PASSWORD");
  }
}
