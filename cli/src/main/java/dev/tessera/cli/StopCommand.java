package dev.tessera.cli;

import dev.tessera.extender.workloads.spec.WorkloadKind;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code tessera stop KIND NAME}: frees its GPUs while keeping the definition, to start again with {@code tessera run}. A JSON merge patch of {@code spec.stopped} alone, so a
 * concurrent edit of any other field is not overwritten.
 */
@Command(
    name = "stop",
    mixinStandardHelpOptions = true,
    usageHelpAutoWidth = true,
    description = {"Stop a workload: its pods go, its definition stays (spec.stopped: true).", ""})
final class StopCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin ClusterOptions cluster;

  @Parameters(index = "0", paramLabel = "KIND", converter = Kinds.Converter.class, description = "The workload's kind.")
  WorkloadKind kind;

  @Parameters(index = "1", paramLabel = "NAME", description = "The workload's name.")
  String name;

  @Override
  public Integer call() {
    try (KubernetesClient client = cluster.connect()) {
      String namespace = cluster.namespace(client);
      Workloads.setStopped(client, kind, namespace, name, true);
      spec.commandLine().getOut().println(kind.label() + " '" + name + "' in project '" + namespace + "' "
          + (true ? "stopped" : "set to run"));
      spec.commandLine().getOut().flush();
    }
    return 0;
  }
}
