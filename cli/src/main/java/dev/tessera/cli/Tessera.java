package dev.tessera.cli;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code tessera.jar}, a command line for Tessera's workloads in the spirit of
 * Run:ai's CLI. The subcommands are wired here by hand, each given what it needs (a clock for
 * ages), and errors are turned into one line and an exit code: 2 for bad arguments, 1 for what the
 * cluster refused or could not do.
 */
@Command(
    name = "tessera",
    mixinStandardHelpOptions = true,
    version = "tessera 0.1.0",
    usageHelpAutoWidth = true,
    description = {
      "Submit and manage Tessera workloads (workspaces, trainings, distributed trainings,"
          + " inferences) on a Kubernetes cluster running Tessera.",
      "",
      "KIND is workspace (ws), training (trn), distributed-training (dtrn) or inference (inf); external (xwl)"
          + " is another controller's workload (a Job, PyTorchJob, RayCluster, ...) as Tessera schedules it:"
          + " list, describe and logs show it, and stop, run, delete, copy and submit say what to do to its"
          + " owner instead.",
      "The cluster is the kubeconfig's ($KUBECONFIG, ~/.kube/config) or the pod's; --server URL"
          + " points at an API server directly. -p/--project names the Tessera project (or one of its"
          + " namespaces); without it, the kubeconfig context's namespace, which must be a project's.",
      "With --console URL (or $TESSERA_CONSOLE), list and describe also read Tessera's Workloads API:"
          + " department, creator and the event history kept beyond Kubernetes' one hour.",
      ""
    })
public final class Tessera implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine(Clock.systemUTC(), ConnectCommand.UNTIL_INTERRUPTED, System.getenv()).execute(args));
  }

  /**
   * The whole command tree; tests call {@code execute} on it with their own out and err.
   *
   * @param connectHold what {@code connect} does once forwarding: tests return instead of waiting
   *     for Ctrl-C
   * @param environment where {@code $TESSERA_CONSOLE} and {@code $TESSERA_TOKEN} are looked up
   */
  static CommandLine commandLine(Clock clock, ConnectCommand.Hold connectHold, Map<String, String> environment) {
    CommandLine root = new CommandLine(new Tessera());
    root.addSubcommand("submit", new SubmitCommand());
    root.addSubcommand("list", new ListCommand(clock, environment));
    root.addSubcommand("describe", new DescribeCommand(environment));
    root.addSubcommand("logs", new LogsCommand());
    root.addSubcommand("connect", new ConnectCommand(connectHold));
    root.addSubcommand("stop", new StopCommand());
    root.addSubcommand("run", new RunCommand());
    root.addSubcommand("copy", new CopyCommand());
    root.addSubcommand("delete", new DeleteCommand());
    root.setExecutionExceptionHandler(Tessera::reportFailure);
    root.setParameterExceptionHandler(Tessera::reportBadArguments);
    return root;
  }

  /** {@code tessera} alone: the usage, and a usage error's exit code. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return CliException.USAGE;
  }

  private static int reportBadArguments(CommandLine.ParameterException e, String[] args) {
    CommandLine commandLine = e.getCommandLine();
    PrintWriter err = commandLine.getErr();
    err.println("tessera: " + e.getMessage());
    CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
    err.println("Try '" + commandLine.getCommandSpec().qualifiedName() + " --help' for more information.");
    return commandLine.getCommandSpec().exitCodeOnInvalidInput();
  }

  /** One line that says what went wrong; a stack trace only for bugs. */
  private static int reportFailure(Exception e, CommandLine commandLine, CommandLine.ParseResult parsed) {
    PrintWriter err = commandLine.getErr();
    if (e instanceof CliException cli) {
      err.println("tessera: " + cli.getMessage());
      if (cli.exitCode() == CliException.USAGE) {
        err.println("Try '" + commandLine.getCommandSpec().qualifiedName() + " --help' for more information.");
      }
      return cli.exitCode();
    }
    if (e instanceof KubernetesClientException k) {
      err.println("tessera: " + apiError(k));
      return CliException.FAILED;
    }
    err.println("tessera: unexpected error: " + e);
    e.printStackTrace(err);
    return 70; // EX_SOFTWARE
  }

  /** The API server's own message where it answered, else why it could not be reached. */
  static String apiError(KubernetesClientException e) {
    if (e.getCode() > 0) {
      return "the API server refused (HTTP " + e.getCode() + "): " + serverMessage(e);
    }
    Throwable cause = e;
    while (cause.getCause() != null) {
      cause = cause.getCause();
    }
    return "cannot reach the API server: " + (cause.getMessage() != null ? cause.getMessage() : cause.toString());
  }

  /** What the API server said in its Status, else the client's own message. */
  static String serverMessage(KubernetesClientException e) {
    Status status = e.getStatus();
    return status != null && status.getMessage() != null && !status.getMessage().isBlank()
        ? status.getMessage() : e.getMessage();
  }
}
