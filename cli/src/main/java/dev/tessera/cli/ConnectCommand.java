package dev.tessera.cli;

import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.api.workloads.WorkloadSpec;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.LocalPortForward;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tessera connect KIND NAME [CONNECTION]}: a local port forwarded to one of the workload's
 * connections (spec.connections) on its first running pod, so a notebook or TensorBoard is reachable
 * without a Service, a NodePort, or looking up the pod. Runs until interrupted.
 */
@Command(
    name = "connect",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {"Forward a local port to one of a workload's connections on its first running pod;"
        + " Ctrl-C stops it.", ""})
final class ConnectCommand implements Callable<Integer> {
  /** What the command does once the port is forwarded: wait for Ctrl-C, or (in tests) return. */
  interface Hold {
    void until(LocalPortForward forward) throws InterruptedException;
  }

  /** Until the JVM is interrupted (Ctrl-C ends it) or the forward stops listening. */
  static final Hold UNTIL_INTERRUPTED = forward -> {
    while (forward.isAlive()) {
      Thread.sleep(500);
    }
    throw CliException.failed("the port forward stopped" + (forward.errorOccurred()
        ? ": " + forward.getServerThrowables() + " " + forward.getClientThrowables() : ""));
  };

  /** The pod and container port a connection is forwarded to. */
  record Target(String pod, int port, String connection) {}

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin ClusterOptions cluster;

  @Mixin WorkloadRef ref;

  @Parameters(index = "2", arity = "0..1", paramLabel = "CONNECTION",
      description = "Which of spec.connections (default: the first).")
  String connection;

  @Option(names = "--local-port", paramLabel = "N", description = "The local port (default: a free one).")
  Integer localPort;

  private final Hold hold;

  ConnectCommand(Hold hold) {
    this.hold = hold;
  }

  @Override
  public Integer call() throws InterruptedException {
    if (localPort != null && (localPort < 1 || localPort > 65535)) {
      throw CliException.usage("--local-port must be 1-65535, was " + localPort);
    }
    try (KubernetesClient client = cluster.connect()) {
      String namespace = cluster.namespace(client);
      Target target = target(client, namespace, Workloads.require(client, ref.kind, namespace, ref.name));
      LocalPortForward forward;
      try {
        forward = client.pods().inNamespace(namespace).withName(target.pod())
            .portForward(target.port(), InetAddress.getLoopbackAddress(), localPort == null ? 0 : localPort);
      } catch (KubernetesClientException e) {
        throw CliException.failed("cannot listen on 127.0.0.1:" + (localPort == null ? "(any)" : localPort) + ": "
            + rootMessage(e));
      }
      try (forward) {
        PrintWriter out = spec.commandLine().getOut();
        out.println("Forwarding http://127.0.0.1:" + forward.getLocalPort() + " -> " + target.pod() + ":"
            + target.port() + " (connection " + target.connection() + "); Ctrl-C to stop");
        out.flush();
        hold.until(forward);
      } catch (java.io.IOException e) {
        // closing the local listener failed; nothing is left to do about it
      }
    }
    return 0;
  }

  /** The connection named (or the first) and the workload's first running pod by name. */
  Target target(KubernetesClient client, String namespace, WorkloadResource<?> workload) {
    String what = ref.kind.label() + " '" + ref.name + "'";
    WorkloadSpec common = workload.workload();
    List<WorkloadSpec.Connection> connections =
        common == null || common.connections() == null ? List.of() : common.connections();
    if (connections.isEmpty() && !ref.kind.managedByTessera()) {
      throw CliException.failed(what + " has no connections Tessera knows of: " + ExternalWorkloads.ownerText(workload)
          + " runs it; forward one of its pods' ports with kubectl -n " + namespace + " port-forward pod/POD PORT"
          + " ('tessera describe " + ref.kind.label() + " " + ref.name + "' lists its pods)");
    }
    if (connections.isEmpty()) {
      throw CliException.failed(what + " has no connections (spec.connections); submit it with --port NAME:PORT");
    }
    WorkloadSpec.Connection chosen = connections.get(0);
    if (connection != null) {
      chosen = connections.stream().filter(c -> connection.equals(c.name())).findFirst()
          .orElseThrow(() -> CliException.usage("CONNECTION '" + connection + "' is not one of " + what
              + "'s connections: " + String.join(", ", connections.stream().map(WorkloadSpec.Connection::name).toList())));
    }
    if (chosen.port() == null) {
      throw CliException.failed("connection '" + chosen.name() + "' of " + what + " has no port");
    }
    List<Pod> pods = Workloads.pods(client, ref.kind, namespace, ref.name);
    Pod running = pods.stream()
        .filter(p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase()))
        .findFirst()
        .orElseThrow(() -> CliException.failed(what + " has no running pod to connect to"
            + (pods.isEmpty() ? " (no pods yet)" : " (pods: " + String.join(", ",
                pods.stream().map(p -> p.getMetadata().getName() + " " + phase(p)).toList()) + ")")));
    return new Target(running.getMetadata().getName(), chosen.port(), chosen.name());
  }

  private static String phase(Pod pod) {
    return pod.getStatus() == null || pod.getStatus().getPhase() == null ? "Unknown" : pod.getStatus().getPhase();
  }

  private static String rootMessage(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause.getMessage() != null ? cause.getMessage() : cause.toString();
  }
}
