package dev.tessera.cli;

import dev.tessera.extender.workloads.spec.WorkloadKind;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code tessera delete KIND NAME}: removes the workload; its pods, services and pod group go with
 * it through their owner references. A missing workload is an error (exit 1), not a silent success.
 */
@Command(
    name = "delete",
    mixinStandardHelpOptions = true,
    usageHelpAutoWidth = true,
    description = {"Delete a workload and, through their owner references, its pods and services.", ""})
final class DeleteCommand implements Callable<Integer> {
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
      if (!Workloads.delete(client, kind, namespace, name)) {
        throw CliException.failed(kind.label() + " '" + name + "' not found in project '" + namespace + "'");
      }
      spec.commandLine().getOut().println(kind.label() + " '" + name + "' deleted from project '" + namespace + "'");
      spec.commandLine().getOut().flush();
    }
    return 0;
  }
}
