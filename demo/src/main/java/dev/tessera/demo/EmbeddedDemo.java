package dev.tessera.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.api.WellKnown;
import dev.tessera.api.policy.WorkloadPolicyResource;
import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.console.ConsoleMain;
import dev.tessera.console.ConsoleRuntime;
import dev.tessera.console.access.DemoUsers;
import dev.tessera.console.history.BufferedHistory;
import dev.tessera.console.history.HistoryDatabase;
import dev.tessera.console.history.HistoryRetention;
import dev.tessera.console.history.PostgresHistory;
import dev.tessera.console.metrics.ReportRecorder;
import dev.tessera.extender.ExtenderConfig;
import dev.tessera.extender.telemetry.ReportConfig;
import dev.tessera.mockapi.EmbeddedApiServer;
import dev.tessera.server.ExtenderRuntime;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.RequestConfigBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole system on one machine: an in-process Kubernetes API with simulated GPU nodes, the
 * extender serving its real HTTP endpoints, and {@link SchedulingDriver} scheduling sample pods
 * through them; the admission webhook's code called by that API ({@link DemoAdmission}); then
 * workloads of the four kinds, submitted as the demo users and run by the extender's workload controller,
 * scheduled by the same driver ({@link WorkloadScheduling}), started by {@link SimulatedKubelet}
 * and measured by {@link SimulatedAgents}; and the Workloads API (tessera-console) serving them,
 * with its history in a real PostgreSQL (embedded) and its metrics from the agents' reports,
 * recorded in process. Prints the placement, the GPU ledger, the projects and the workloads, and
 * how to try the API.
 */
public final class EmbeddedDemo {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedDemo.class);
  /** The Workloads API's port unless told otherwise: the console's own default. */
  public static final int DEFAULT_CONSOLE_PORT = ConsoleMain.DEFAULT_PORT;
  private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(10);
  /** How long the workloads may take to reach Running before the tables are printed anyway. */
  private static final Duration WORKLOADS_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration CONSOLE_RESYNC = Duration.ofMinutes(10);
  private static final String ADMIN_TOKEN = "tessera-demo-admin";

  private final ExtenderConfig config;
  private final ReportConfig reports;
  private final Duration resyncPeriod;
  private final int consolePort;
  private final PrintStream out;
  private final Clock clock = Clock.systemUTC();

  /**
   * @param consolePort the Workloads API's port; 0 picks a free one
   */
  public EmbeddedDemo(ExtenderConfig config, ReportConfig reports, Duration resyncPeriod, int consolePort,
      PrintStream out) {
    this.config = Objects.requireNonNull(config, "config");
    this.reports = Objects.requireNonNull(reports, "reports");
    this.resyncPeriod = Objects.requireNonNull(resyncPeriod, "resyncPeriod");
    if (consolePort < 0 || consolePort > 65535) {
      throw new IllegalArgumentException("the console port must be 0..65535, was " + consolePort);
    }
    this.consolePort = consolePort;
    this.out = Objects.requireNonNull(out, "out");
  }

  /**
   * Runs the demo; returns the process exit code. With {@code keepRunning} it serves until the
   * process is stopped (Ctrl-C), else it stops once everything is printed.
   */
  public int run(boolean keepRunning) throws Exception {
    return run(keepRunning, false);
  }

  /**
   * As {@link #run(boolean)}; with {@code openBrowser}, once everything serves, the Workloads view
   * is opened in the desktop's browser when there is one.
   */
  public int run(boolean keepRunning, boolean openBrowser) throws Exception {
    try (Running demo = start()) {
      if (keepRunning) {
        out.println();
        out.println("Still serving the extender at " + demo.extender() + " (try " + demo.extender().resolve("/metrics")
            + ") and the Workloads API at " + demo.workloadsApi() + "; Ctrl-C stops.");
        URI view = demo.workloadsApi().resolve("/ui/");
        out.println(openBrowser && BrowserLauncher.open(view)
            ? "Opened the Workloads view in your browser: " + view
            : "Open the Workloads view in a browser: " + view);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "shutdown"));
        stop.await();
      } else {
        out.println();
        out.println("Run it with --keep-running to keep it serving and try these.");
      }
    }
    return 0;
  }

  /**
   * Starts everything, schedules the sample pods, runs the workloads and prints the tables. All of
   * it serves until the answer is closed.
   */
  public Running start() throws Exception {
    Running demo = new Running();
    try {
      start(demo);
      return demo;
    } catch (Exception | Error e) {
      demo.close();
      throw e;
    }
  }

  private void start(Running demo) throws Exception {
    // The history's PostgreSQL, as a cluster would have one (deploy/81-console-postgres.yaml); its
    // data lives as long as the demo does, so durability is traded for a quicker start.
    EmbeddedPostgres postgres = demo.closing(EmbeddedPostgres.builder()
        .setServerConfig("fsync", "off")
        .setServerConfig("full_page_writes", "off")
        .start());
    demo.historyJdbcUrl = "jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres";
    EmbeddedApiServer api = demo.closing(EmbeddedApiServer.start());
    demo.kubernetesApi = URI.create(api.url());
    KubernetesClient client = api.client();
    DemoCluster.create(client);

    HistoryDatabase database = demo.closing(
        HistoryDatabase.open(HistoryDatabase.Settings.of(demo.historyJdbcUrl, "postgres", null)));
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    BufferedHistory history = demo.closing(
        BufferedHistory.start(new PostgresHistory(database), BufferedHistory.Settings.DEFAULT, registry));
    DemoUsers users = DemoUsers.forDemo();
    // The recorder needs to know which GPUs each pod holds: the console's catalog knows, from the
    // pods' GPU assignments, and keeps knowing once a pod has finished (the extender's cache forgets
    // it then). The console hands its lookup over as it starts, so the recorder is made there and
    // the extender, started next, reports to it from its first report on.
    AtomicReference<ReportRecorder> recorder = new AtomicReference<>();
    ConsoleRuntime console;
    try {
      // The console acts as the user, as in a cluster: the in-process API checks no rights, but
      // its admission records the user the request impersonates as the workload's creator.
      console = demo.closing(ConsoleRuntime.start(
          new ConsoleRuntime.Settings(consolePort, "demo", HistoryRetention.Retention.DEFAULT.deleted(), true,
              CONSOLE_RESYNC),
          client, history, gpus -> {
            recorder.set(new ReportRecorder(clock, SimulatedAgents.INTERVAL, gpus));
            return recorder.get();
          }, users, users, registry, clock));
    } catch (IllegalStateException e) {
      if (e.getMessage() != null && e.getMessage().contains("could not listen on port")) {
        throw new IllegalStateException("the Workloads API could not listen on port " + consolePort + " ("
            + (e.getCause() == null ? e.getMessage() : e.getCause()) + "); free the port or pick another with"
            + " --console-port", e);
      }
      throw e;
    }
    demo.workloadsApi = URI.create("http://localhost:" + console.port());

    ExtenderRuntime runtime = demo.closing(ExtenderRuntime.start(config, reports, resyncPeriod, client, recorder.get()));
    // From here every workload created or changed goes through the admission webhook's code, with
    // the policies and projects the workload controller holds.
    DemoAdmission.register(api, runtime.admissionReviewer());
    demo.extender = URI.create("http://127.0.0.1:" + runtime.port());
    demo.reportPort = runtime.reportPort();
    out.println("Tessera extender serving " + demo.extender + " against an in-process Kubernetes API at "
        + client.getMasterUrl());
    out.println();

    List<Pod> created = new ArrayList<>();
    for (Pod pod : DemoCluster.pods()) {
      created.add(client.pods().resource(pod).create());
    }
    SchedulingDriver driver = new SchedulingDriver(client, demo.extender);
    List<SchedulingDriver.Outcome> outcomes = driver.scheduleAll(created);
    awaitConfirmed(runtime);

    // The rest of a cluster: node agents reporting, kubelets starting pods, and kube-scheduler's
    // queue for the pods the workload controller makes.
    demo.closing(SimulatedAgents.start(runtime.cache()::snapshot, runtime.agentReports(), clock));
    demo.closing(SimulatedKubelet.start(client, clock));
    api.podLogs(new SimulatedLogs(clock));
    demo.closing(WorkloadScheduling.start(client, driver, clock));
    List<WorkloadResource<?>> workloads = new ArrayList<>();
    for (DemoWorkloads.Submission submission : DemoWorkloads.submissions()) {
      workloads.add(as(client, submission.user(), c -> c.resource(submission.workload()).create()));
    }
    awaitRunning(client, workloads);
    awaitConfirmed(runtime);

    out.println("Scheduling (filter -> prioritize -> bind, as kube-scheduler calls the extender):");
    for (SchedulingDriver.Outcome outcome : outcomes) {
      out.println(
          outcome.placed()
              ? "  " + outcome.pod() + " -> " + outcome.node()
              : "  " + outcome.pod() + " -> not placed: " + outcome.reason());
    }
    out.println();
    out.println("GPU ledger, rebuilt by the informers from the pods' " + WellKnown.GPU_ASSIGNMENT + " annotations:");
    out.print(PlacementTable.render(runtime.cache().snapshot()));
    out.println();
    out.println("Projects (GPUs per node pool: deserved / fair share / allocated / pending):");
    out.print(ProjectTable.render(runtime.policyNow()));
    out.println();
    out.println("Workload policies (defaults filled in, constraints enforced by the admission webhook, which the"
        + " in-process API calls):");
    out.print(PolicyTable.render(client.resources(WorkloadPolicyResource.class).list().getItems(),
        runtime.workloadPolicies()));
    out.println();
    out.println("Workloads, run by the workload controller (from the Workloads API, as admin):");
    out.print(WorkloadsTable.render(get(demo.workloadsApi.resolve("/api/v1/workloads?sortBy=name"), ADMIN_TOKEN)));
    out.println();
    printConsole(demo, users);
  }

  private void printConsole(Running demo, DemoUsers users) {
    URI api = demo.workloadsApi;
    out.println("The Workloads view (web UI): " + api.resolve("/ui/") + " (sign in as a demo user below)");
    out.println("Workloads API (tessera-console) at " + api + ": history in PostgreSQL (embedded, "
        + demo.historyJdbcUrl + "), GPU metrics from the node agents' reports. Demo users and their tokens:");
    for (DemoUsers.User user : users.users()) {
      StringBuilder roles = new StringBuilder();
      for (DemoUsers.Grant grant : user.grants()) {
        roles.append(roles.isEmpty() ? "" : ", ").append(grant.clusterRole())
            .append(grant.namespace() == null ? " everywhere" : " in " + grant.namespace());
      }
      out.printf("  %-6s %-20s %s%n", user.name(), user.token(), roles);
    }
    out.println("Try:");
    out.println("  curl -s -H 'Authorization: Bearer tessera-demo-alice' '" + api + "/api/v1/workloads?sortBy=name'");
    out.println("  curl -s -H 'Authorization: Bearer tessera-demo-admin' '" + api
        + "/api/v1/workloads?format=csv&sortBy=name&columns=name,project,type,status,createdBy'");
    out.println("  curl -s -H 'Authorization: Bearer tessera-demo-alice' '" + api
        + "/api/v1/namespaces/team-vision/trainings/vit-finetune/metrics?step=10s'");
    // A dry run through the admission webhook: the policy's defaults filled in, or its refusal.
    out.println("  curl -s -H 'Authorization: Bearer tessera-demo-alice' -H 'Content-Type: application/json' -d '"
        + "{\"metadata\":{\"name\":\"try\"},\"spec\":{\"gpu\":{\"count\":4}}}' '" + api
        + "/api/v1/namespaces/team-vision/trainings?dryRun=All'");
    out.println("The API's description, to browse and try: " + api + "/docs/");
  }

  /** Calls the API as {@code user}, through the API server's impersonation, as the console does. */
  private static <T> T as(KubernetesClient client, String user, Function<KubernetesClient, T> call) {
    return client.adapt(NamespacedKubernetesClient.class)
        .withRequestConfig(new RequestConfigBuilder().withImpersonateUsername(user).build())
        .call(call::apply);
  }

  /** Waits until every workload is Running; after the timeout, the tables say where each is. */
  private static void awaitRunning(KubernetesClient client, List<WorkloadResource<?>> workloads)
      throws InterruptedException {
    long deadline = System.nanoTime() + WORKLOADS_TIMEOUT.toNanos();
    List<String> notRunning = List.of();
    while (System.nanoTime() < deadline) {
      notRunning = new ArrayList<>();
      for (WorkloadResource<?> workload : workloads) {
        WorkloadResource<?> now = client.resources(workload.getClass())
            .inNamespace(workload.getMetadata().getNamespace()).withName(workload.getMetadata().getName()).get();
        String phase = now == null ? null : now.statusOrEmpty().phase();
        if (!"Running".equals(phase)) {
          notRunning.add(workload.getMetadata().getNamespace() + "/" + workload.getMetadata().getName() + " ("
              + (phase == null ? "no phase yet" : phase) + ")");
        }
      }
      if (notRunning.isEmpty()) {
        return;
      }
      Thread.sleep(100);
    }
    log.warn("not every workload is Running after {}: {}", WORKLOADS_TIMEOUT, notRunning);
  }

  /**
   * Waits until the informer has seen every bound pod (no assumption left), so the table shows the
   * cluster's record rather than the extender's own bookkeeping.
   */
  private static void awaitConfirmed(ExtenderRuntime runtime) throws InterruptedException {
    long deadline = System.nanoTime() + CONFIRM_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      boolean[] assumed = {false};
      runtime.cache().snapshot().forEach(node -> node.allocations().values().forEach(a -> assumed[0] |= a.assumed()));
      if (!assumed[0]) {
        return;
      }
      Thread.sleep(20);
    }
    log.warn("the informer did not confirm every binding within {}; the table shows assumed pods as such",
        CONFIRM_TIMEOUT);
  }

  private static JsonNode get(URI uri, String token) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(uri)
        .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() != 200) {
      throw new IOException("GET " + uri + " answered HTTP " + response.statusCode());
    }
    return new ObjectMapper().readTree(response.body());
  }

  /** The demo while it serves: where, and what {@link #close()} stops, the last started first. */
  public static final class Running implements AutoCloseable {
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private URI kubernetesApi;
    private URI extender;
    private URI workloadsApi;
    private int reportPort;
    private String historyJdbcUrl;

    private Running() {}

    private <T extends AutoCloseable> T closing(T resource) {
      started.push(resource);
      return resource;
    }

    /** The in-process Kubernetes API (plain HTTP, no credentials). */
    public URI kubernetesApi() {
      return kubernetesApi;
    }

    /** The extender's HTTP endpoints. */
    public URI extender() {
      return extender;
    }

    /** The Workloads API (tessera-console). */
    public URI workloadsApi() {
      return workloadsApi;
    }

    /** The extender's gRPC port for node agent reports. */
    public int reportPort() {
      return reportPort;
    }

    /** The history's PostgreSQL; user {@code postgres}, no password. */
    public String historyJdbcUrl() {
      return historyJdbcUrl;
    }

    @Override
    public void close() {
      while (!started.isEmpty()) {
        AutoCloseable resource = started.pop();
        try {
          resource.close();
        } catch (Exception e) {
          if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
          }
          log.warn("could not stop {} cleanly", resource.getClass().getSimpleName(), e);
        }
      }
    }
  }
}
