package dev.tessera.cli;

import dev.tessera.api.workloads.WorkloadResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code tessera copy KIND NAME NEW_NAME}: a new workload like an existing one, with submit's flags
 * over the copied spec; the common "same run, other learning rate" loop. Only the spec, labels and
 * annotations are copied: the status, uid, owner references and {@code spec.stopped} are not, so
 * the copy starts running.
 */
@Command(
    name = "copy",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {"Submit a copy of a workload under a new name; submit's flags override the copied spec"
        + " (words after -- replace its args). A copy of a stopped workload runs.",
      "An external workload has no spec here to copy: copy its owner's manifest.", ""})
final class CopyCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin ClusterOptions cluster;

  @Mixin WorkloadRef ref;

  @Parameters(index = "2", paramLabel = "NEW_NAME", description = "The copy's name.")
  String newName;

  @Parameters(index = "3..*", paramLabel = "ARG", description = "After --: the copy's args.")
  List<String> rest;

  @Mixin SpecOptions flags;

  @Override
  public Integer call() {
    Workloads.checkName("NEW_NAME", newName);
    try (KubernetesClient client = cluster.connect()) {
      String namespace = cluster.namespace(client);
      WorkloadResource<?> source = Workloads.require(client, ref.kind, namespace, ref.name);
      if (!ref.kind.managedByTessera()) {
        throw ExternalWorkloads.refuse(source, "copy");
      }
      Map<String, Object> base = Workloads.specMap(client, source);
      base.remove("stopped");
      Map<String, Object> copied = flags.applyTo(ref.kind, base, rest);
      ObjectMeta metadata = new ObjectMetaBuilder()
          .withName(newName)
          .withNamespace(namespace)
          .withLabels(source.getMetadata().getLabels())
          .withAnnotations(source.getMetadata().getAnnotations())
          .build();
      Workloads.create(client, Workloads.build(client, ref.kind, metadata, copied));
      spec.commandLine().getOut().println(ref.kind.label() + " '" + newName + "' submitted to project '" + namespace
          + "' as a copy of '" + ref.name + "'");
      spec.commandLine().getOut().flush();
    }
    return 0;
  }
}
