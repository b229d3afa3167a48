package dev.tessera.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code tessera delete KIND NAME}: removes the workload; its pods, services and pod group go with
 * it through their owner references. A missing workload is an error (exit 1), not a silent success.
 */
@Command(
    name = "delete",
    mixinStandardHelpOptions = true,
    usageHelpAutoWidth = true,
    description = {"Delete a workload and, through their owner references, its pods and services.",
      "An external workload goes when its owner (the Job, PyTorchJob, ... that runs it) is deleted: the"
          + " refusal gives the kubectl command.", ""})
final class DeleteCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin ClusterOptions cluster;

  @Mixin WorkloadRef ref;

  @Override
  public Integer call() {
    try (KubernetesClient client = cluster.connect()) {
      String namespace = cluster.namespace(client);
      if (!ref.kind.managedByTessera()) {
        // Deleted here, the external-workload controller would make it again while its owner runs.
        throw ExternalWorkloads.refuse(Workloads.require(client, ref.kind, namespace, ref.name), "delete");
      }
      if (!Workloads.delete(client, ref.kind, namespace, ref.name)) {
        throw CliException.failed(ref.kind.label() + " '" + ref.name + "' not found in project '" + namespace + "'");
      }
      spec.commandLine().getOut().println(ref.kind.label() + " '" + ref.name + "' deleted from project '" + namespace
          + "'");
      spec.commandLine().getOut().flush();
    }
    return 0;
  }
}
