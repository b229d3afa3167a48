package dev.tessera.demo;

import dev.tessera.extender.ExtenderConfig;
import dev.tessera.extender.telemetry.ReportConfig;
import dev.tessera.mockapi.EmbeddedApiServer;
import dev.tessera.server.ExtenderRuntime;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole system on one machine: an in-process Kubernetes API with simulated GPU nodes, the
 * extender serving its real HTTP endpoints, and {@link SchedulingDriver} scheduling sample pods
 * through them. Ends by printing the per-GPU placement table.
 */
public final class EmbeddedDemo {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedDemo.class);
  private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(10);

  private final ExtenderConfig config;
  private final ReportConfig reports;
  private final Duration resyncPeriod;
  private final PrintStream out;

  public EmbeddedDemo(ExtenderConfig config, ReportConfig reports, Duration resyncPeriod, PrintStream out) {
    this.config = config;
    this.reports = reports;
    this.resyncPeriod = resyncPeriod;
    this.out = out;
  }

  /** Runs the demo; returns the process exit code. */
  public int run(boolean keepRunning) throws Exception {
    try (EmbeddedApiServer api = EmbeddedApiServer.start()) {
      KubernetesClient client = api.client();
      DemoCluster.create(client);
      try (ExtenderRuntime runtime = ExtenderRuntime.start(config, reports, resyncPeriod, client)) {
        URI extender = URI.create("http://127.0.0.1:" + runtime.port());
        out.println("Tessera extender serving " + extender + " against an in-process Kubernetes API at "
            + client.getMasterUrl());
        out.println();

        List<Pod> created = new ArrayList<>();
        for (Pod pod : DemoCluster.pods()) {
          created.add(client.pods().resource(pod).create());
        }
        List<SchedulingDriver.Outcome> outcomes = new SchedulingDriver(client, extender).scheduleAll(created);
        awaitConfirmed(runtime);

        out.println("Scheduling (filter -> prioritize -> bind, as kube-scheduler calls the extender):");
        for (SchedulingDriver.Outcome outcome : outcomes) {
          out.println(
              outcome.placed()
                  ? "  " + outcome.pod() + " -> " + outcome.node()
                  : "  " + outcome.pod() + " -> not placed: " + outcome.reason());
        }
        out.println();
        out.println("GPU ledger, rebuilt by the informers from the pods' "
            + dev.tessera.api.WellKnown.GPU_ASSIGNMENT + " annotations:");
        out.print(PlacementTable.render(runtime.cache().snapshot()));
        out.println();
        out.println("Projects (GPUs per node pool: deserved / fair share / allocated / pending):");
        out.print(ProjectTable.render(runtime.policyNow()));

        if (keepRunning) {
          out.println();
          out.println("Still serving " + extender + " (try " + extender.resolve("/metrics")
              + "); Ctrl-C stops.");
          CountDownLatch stop = new CountDownLatch(1);
          Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "shutdown"));
          stop.await();
        }
      }
    }
    return 0;
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
}
