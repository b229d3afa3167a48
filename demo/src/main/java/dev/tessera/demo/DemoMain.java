package dev.tessera.demo;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.ExtenderConfig;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.telemetry.ReportConfig;
import dev.tessera.server.ExtenderRuntime;
import dev.tessera.server.PlacementStrategyConverter;
import dev.tessera.server.StartupFailures;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Entry point of {@code tessera-demo.jar}. */
@Command(
    name = "tessera-demo",
    mixinStandardHelpOptions = true,
    version = "tessera-demo 0.1.0",
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Tessera's extender, self-contained: an in-process Kubernetes API with Tessera's CRDs,"
          + " simulated A100 and H100 nodes, the extender on --port, and a driver that plays"
          + " kube-scheduler's part for sample pods through the real HTTP endpoints; then it prints"
          + " where each pod went, GPU by GPU.",
      "Then a workload of each kind runs on the simulated cluster, and the Workloads API and its web UI serve them"
          + " on --console-port, with history in an embedded PostgreSQL, GPU metrics from simulated"
          + " node agents, and demo users whose tokens it prints.",
      "To serve a real cluster, run tessera-extender.jar with a kubeconfig (deploy/ installs it).",
      ""
    })
public final class DemoMain implements Callable<Integer> {
  @Option(
      names = "--keep-running",
      description = "Keep the API, the extender and the Workloads API serving after the tables are printed"
          + " (Ctrl-C stops).")
  boolean keepRunning;

  @Option(
      names = "--no-browser",
      description = "With --keep-running, do not open the Workloads view in the desktop's browser (it is"
          + " opened when the machine has a desktop).")
  boolean noBrowser;

  @Option(
      names = "--port",
      paramLabel = "PORT",
      description = "The extender's HTTP port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int port = WellKnown.EXTENDER_PORT;

  @Option(
      names = "--report-port",
      paramLabel = "PORT",
      description = "gRPC port for node agent reports (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int reportPort = ReportConfig.DEFAULT_PORT;

  @Option(
      names = "--console-port",
      paramLabel = "PORT",
      description = "The Workloads API's HTTP port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int consolePort = EmbeddedDemo.DEFAULT_CONSOLE_PORT;

  @Option(
      names = "--placement-strategy",
      paramLabel = "binpack|spread",
      converter = PlacementStrategyConverter.class,
      description = "How to choose among fitting nodes and GPUs (default: binpack).")
  PlacementStrategy strategy = PlacementStrategy.BINPACK;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return new CommandLine(new DemoMain()).setExecutionExceptionHandler(new StartupFailures("tessera-demo"));
  }

  @Override
  public Integer call() throws Exception {
    ExtenderConfig defaults = ExtenderConfig.defaults();
    EmbeddedDemo demo;
    try {
      ExtenderConfig config = new ExtenderConfig(port, strategy, defaults.bindTimeout(), defaults.assumeTtl(),
          defaults.maxRequestBytes(), defaults.unreadyWait());
      demo = new EmbeddedDemo(config, ReportConfig.defaults().withPort(reportPort), ExtenderRuntime.DEFAULT_RESYNC,
          consolePort, System.out);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    return demo.run(keepRunning, !noBrowser);
  }
}
