package dev.tessera.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.console.access.Authenticator;
import dev.tessera.console.access.Authorizer;
import dev.tessera.console.api.ConsoleApi;
import dev.tessera.console.catalog.CatalogInformers;
import dev.tessera.console.catalog.EventRecorder;
import dev.tessera.console.catalog.ProjectDirectory;
import dev.tessera.console.catalog.RowBuilder;
import dev.tessera.console.catalog.WorkloadCatalog;
import dev.tessera.console.history.WorkloadHistory;
import dev.tessera.console.http.ConsoleServer;
import dev.tessera.console.metrics.GpuLookup;
import dev.tessera.console.metrics.WorkloadMetrics;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * One running Workloads API: the catalog and its informers, the history and metrics it reads, the
 * HTTP server and their threads, wired in one place for the cluster mode and the embedded demo.
 */
public final class ConsoleRuntime implements AutoCloseable {
  private static final Duration SYNC_TIMEOUT = Duration.ofMinutes(2);
  /** How often the Deleted view asks a history store that did not answer again. */
  private static final Duration DELETED_RETRY = Duration.ofSeconds(30);

  private final WorkloadCatalog catalog;
  private final ProjectDirectory projects;
  private final CatalogInformers informers;
  private final ConsoleServer server;
  private final ExecutorService watchDelivery;
  private final ExecutorService background;
  private final ScheduledExecutorService timer;
  private final PrometheusMeterRegistry registry;
  /** Micrometer's GC binder listens to the GC's notifications until closed. */
  private final io.micrometer.core.instrument.binder.jvm.JvmGcMetrics gcMetrics;

  /**
   * What a console serves, and how.
   *
   * @param port the HTTP port (0 picks one)
   * @param cluster the cluster's name in every row
   * @param deletedRetention how long deleted workloads stay in the Deleted view
   * @param impersonate whether users' actions are done as them (false only in tests whose API server
   *     reviews nothing)
   * @param resync how often the informers resync
   */
  public record Settings(int port, String cluster, Duration deletedRetention, boolean impersonate, Duration resync) {}

  private ConsoleRuntime(WorkloadCatalog catalog, ProjectDirectory projects, CatalogInformers informers,
      ConsoleServer server, ExecutorService watchDelivery, ExecutorService background, ScheduledExecutorService timer,
      PrometheusMeterRegistry registry, io.micrometer.core.instrument.binder.jvm.JvmGcMetrics gcMetrics) {
    this.gcMetrics = gcMetrics;
    this.catalog = catalog;
    this.projects = projects;
    this.informers = informers;
    this.server = server;
    this.watchDelivery = watchDelivery;
    this.background = background;
    this.timer = timer;
    this.registry = registry;
  }

  /**
   * Starts the server first (so {@code /healthz} answers while the workloads are listed), then the
   * informers, and returns once they have listed everything.
   */
  public static ConsoleRuntime start(Settings settings, KubernetesClient client, WorkloadHistory history,
      WorkloadMetrics metrics, Authenticator authenticator, Authorizer authorizer, Clock clock) throws Exception {
    return start(settings, client, history, gpus -> metrics, authenticator, authorizer,
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), clock);
  }

  /**
   * As the other, with the registry the history's meters are in too (closing the console closes
   * it), and the metrics source made with a lookup of the GPUs each pod holds, which the catalog
   * knows.
   */
  public static ConsoleRuntime start(Settings settings, KubernetesClient client, WorkloadHistory history,
      Function<GpuLookup, WorkloadMetrics> metricsWithGpus, Authenticator authenticator, Authorizer authorizer,
      PrometheusMeterRegistry registry, Clock clock) throws Exception {
    ObjectMapper json = ConsoleJson.mapper();
    WorkloadCatalog catalog = new WorkloadCatalog(new RowBuilder(settings.cluster()), history, json, clock,
        settings.deletedRetention());
    WorkloadMetrics metrics = metricsWithGpus.apply(pod -> catalog.gpusOf(pod.uid()));
    ProjectDirectory projects = new ProjectDirectory();
    CatalogInformers informers = new CatalogInformers(client, catalog, projects, new EventRecorder(catalog, history),
        settings.resync());
    ExecutorService watchDelivery = Executors.newSingleThreadExecutor(new DefaultThreadFactory("tessera-console-watch", true));
    ExecutorService background = Executors.newCachedThreadPool(new DefaultThreadFactory("tessera-console-log", true));
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("tessera-console-timer", true));
    AtomicBoolean ready = new AtomicBoolean();
    ConsoleServer server = new ConsoleServer(settings.port(), ConsoleApi.router(new ConsoleApi.Parts(
        catalog, projects, history, metrics, authenticator, authorizer, client, settings.impersonate(), registry, json,
        clock, ready::get, watchDelivery, background, timer, settings.cluster())), json);
    ConsoleRuntime runtime = new ConsoleRuntime(catalog, projects, informers, server, watchDelivery, background,
        timer, registry, dev.tessera.extender.telemetry.JvmMetrics.bind(registry));
    try {
      server.start();
      loadDeleted(catalog, timer);
      informers.start(SYNC_TIMEOUT);
      ready.set(true);
    } catch (Exception e) {
      runtime.close();
      throw e;
    }
    return runtime;
  }

  /** Fills the Deleted view from the store, trying again while the store cannot answer. */
  private static void loadDeleted(WorkloadCatalog catalog, ScheduledExecutorService timer) {
    if (!catalog.loadDeleted()) {
      timer.schedule(() -> loadDeleted(catalog, timer), DELETED_RETRY.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  public int port() {
    return server.port();
  }

  public WorkloadCatalog catalog() {
    return catalog;
  }

  public ProjectDirectory projects() {
    return projects;
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  @Override
  public void close() {
    server.close();
    informers.close();
    catalog.close();
    projects.close();
    watchDelivery.shutdownNow();
    background.shutdownNow();
    timer.shutdownNow();
    gcMetrics.close();
    registry.close();
  }

}
