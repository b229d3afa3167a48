package dev.tessera.cli;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.PodResource;
import java.io.PrintWriter;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tessera logs NAME}: a workload's pod log without looking up the pod's name; the first pod
 * by name (the master, replica or only pod) unless {@code --pod} picks another.
 */
@Command(
    name = "logs",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {"Print the log of one of a workload's pods.", ""})
final class LogsCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin ClusterOptions cluster;

  @Parameters(index = "0", paramLabel = "NAME", description = "The workload's name.")
  String name;

  @Option(names = "--pod", paramLabel = "POD", description = "Which of its pods (default: the first by name).")
  String pod;

  @Option(names = {"-c", "--container"}, paramLabel = "CONTAINER", description = "Which container (default: the pod's only or first).")
  String container;

  @Option(names = "--tail", paramLabel = "LINES", description = "Only the last LINES lines.")
  Integer tail;

  @Override
  public Integer call() {
    if (tail != null && tail < 0) {
      throw CliException.usage("--tail must be at least 0, was " + tail);
    }
    try (KubernetesClient client = cluster.connect()) {
      String namespace = cluster.namespace(client);
      List<String> pods = client.pods().inNamespace(namespace).withLabel(Workloads.WORKLOAD_LABEL, name).list()
          .getItems().stream().map(p -> p.getMetadata().getName()).sorted(Comparator.naturalOrder()).toList();
      String podName = pod;
      if (podName == null) {
        if (pods.isEmpty()) {
          throw CliException.failed("workload '" + name + "' has no pods in project '" + namespace + "'");
        }
        podName = pods.get(0);
      } else if (!pods.contains(podName)) {
        throw CliException.usage("--pod " + podName + " is not a pod of workload '" + name + "'; its pods: "
            + (pods.isEmpty() ? "none" : String.join(", ", pods)));
      }
      Pod found = client.pods().inNamespace(namespace).withName(podName).get();
      if (found == null) {
        throw CliException.failed("pod '" + podName + "' is gone");
      }
      PodResource resource = client.pods().inNamespace(namespace).withName(podName);
      String log = container == null
          ? (tail == null ? resource.getLog() : resource.tailingLines(tail).getLog())
          : (tail == null ? resource.inContainer(container).getLog()
              : resource.inContainer(container).tailingLines(tail).getLog());
      PrintWriter out = spec.commandLine().getOut();
      out.print(log == null ? "" : log);
      out.flush();
    }
    return 0;
  }
}
