package dev.tessera.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;

/**
 * What {@code tessera stop} and {@code tessera run} share: a JSON merge patch of {@code
 * spec.stopped} alone, so a concurrent edit of any other field is not overwritten. Each subclass
 * carries its own {@code @Command} and says which way it switches. An external workload has no
 * {@code spec.stopped}: its owner's controller runs it, and the refusal says what to do to the owner.
 */
abstract class StoppedSwitch implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin ClusterOptions cluster;

  @Mixin WorkloadRef ref;

  private final boolean stopped;

  StoppedSwitch(boolean stopped) {
    this.stopped = stopped;
  }

  @Override
  public Integer call() {
    try (KubernetesClient client = cluster.connect()) {
      String namespace = cluster.namespace(client);
      if (!ref.kind.managedByTessera()) {
        throw ExternalWorkloads.refuse(Workloads.require(client, ref.kind, namespace, ref.name),
            stopped ? "stop" : "run");
      }
      Workloads.setStopped(client, ref.kind, namespace, ref.name, stopped);
      spec.commandLine().getOut().println(ref.kind.label() + " '" + ref.name + "' in project '" + namespace + "' "
          + (stopped ? "stopped" : "set to run"));
      spec.commandLine().getOut().flush();
    }
    return 0;
  }
}
