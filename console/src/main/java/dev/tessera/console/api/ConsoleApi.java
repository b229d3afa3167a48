package dev.tessera.console.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.console.access.Authenticator;
import dev.tessera.console.access.Authorizer;
import dev.tessera.console.access.DemoUsers;
import dev.tessera.console.catalog.ProjectDirectory;
import dev.tessera.console.catalog.WorkloadCatalog;
import dev.tessera.console.history.WorkloadHistory;
import dev.tessera.console.http.Reply;
import dev.tessera.console.http.Router;
import dev.tessera.console.metrics.WorkloadMetrics;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;

/** Every route of the Workloads API, wired to what answers it. */
public final class ConsoleApi {
  private ConsoleApi() {}

  /**
   * What the routes need.
   *
   * @param projects the projects, node pools and workload policies a new workload's form shows
   * @param client the console's own client: reads logs, and acts as users through impersonation
   * @param impersonate false to act with the console's own account (tests whose API server reviews
   *     nothing); the embedded demo impersonates, as its API server's admission records the user
   * @param ready whether the catalog has listed everything: {@code /readyz}
   * @param background threads for watches' delivery and followed logs
   * @param timer heartbeats of watch streams
   * @param cluster the cluster's name, for the web UI's header
   */
  public record Parts(
      WorkloadCatalog catalog,
      ProjectDirectory projects,
      WorkloadHistory history,
      WorkloadMetrics metrics,
      Authenticator authenticator,
      Authorizer authorizer,
      KubernetesClient client,
      boolean impersonate,
      PrometheusMeterRegistry registry,
      ObjectMapper json,
      Clock clock,
      BooleanSupplier ready,
      ExecutorService watchDelivery,
      ExecutorService background,
      ScheduledExecutorService timer,
      String cluster) {}

  public static Router router(Parts parts) {
    Router router = new Router(parts.authenticator());
    router.open("GET", "/healthz", (request, vars, caller) -> Reply.text(200, "text/plain", "ok"));
    router.open("GET", "/readyz", (request, vars, caller) -> parts.ready().getAsBoolean()
        ? Reply.text(200, "text/plain", "ok")
        : Reply.text(503, "text/plain", "the workloads are still being listed"));
    router.open("GET", "/metrics", (request, vars, caller) ->
        Reply.text(200, "text/plain; version=0.0.4; charset=utf-8", parts.registry().scrape()));
    new DocsRoutes().register(router);
    // Before the details: its policy path has their shape, with a segment no workload kind has.
    new ProjectRoutes(parts.projects(), parts.authorizer(), parts.json()).register(router);
    // The demo's users are offered on the sign-in page; a cluster's users bring their own token.
    List<UiRoutes.DemoLogin> demoLogins = parts.authenticator() instanceof DemoUsers demo
        ? UiRoutes.logins(demo) : List.of();
    new UiRoutes(parts.cluster(), demoLogins, parts.json()).register(router);
    new TableRoutes(parts.catalog(), parts.authorizer(), parts.json(), parts.watchDelivery(), parts.timer())
        .register(router);
    DetailRoutes details = new DetailRoutes(parts.catalog(), parts.history(), parts.metrics(), parts.authorizer(),
        parts.json(), parts.clock());
    details.register(router);
    new LogRoutes(details, parts.client(), parts.authorizer(), parts.background()).register(router);
    new ActionRoutes(details, new Impersonation(parts.client(), parts.impersonate()), parts.authorizer(),
        parts.json()).register(router);
    return router;
  }
}
