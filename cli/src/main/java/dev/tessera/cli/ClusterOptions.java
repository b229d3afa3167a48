package dev.tessera.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import picocli.CommandLine.Option;

/**
 * Which API server and project a command talks to, mixed into every subcommand so each one reads
 * {@code tessera list -p ml} as Run:ai's CLI does. A project is required: {@code -p}, else the
 * kubeconfig context's namespace; never "default" by accident, since a workload in a namespace no
 * project claims would get no quota and only fail later.
 */
public final class ClusterOptions {
  static final String NO_PROJECT = "no project: pass -p PROJECT or set a namespace in your kubeconfig context";

  @Option(
      names = "--server",
      paramLabel = "URL",
      description = "Talk to this API server directly, without kubeconfig credentials (the embedded"
          + " demo's API, a kubectl proxy). Default: kubeconfig ($KUBECONFIG, ~/.kube/config) or"
          + " the pod's service account.")
  String server;

  @Option(
      names = {"-p", "--project"},
      paramLabel = "PROJECT",
      description = "The Tessera project (its name, or one of its namespaces). Default: the kubeconfig"
          + " context's namespace, if it is a project's; there is no other default.")
  String project;

  /** A client for {@code --server}, or fabric8's usual kubeconfig / in-cluster resolution. */
  KubernetesClient connect() {
    return new KubernetesClientBuilder().withConfig(config()).build();
  }

  /**
   * A client that does not retry a 5xx: fabric8 retries one about ten times with backoff (over
   * half a minute), which for a pod's log only delays the news that a kubelet is unreachable.
   */
  KubernetesClient connectWithoutRetries() {
    Config config = config();
    config.setRequestRetryBackoffLimit(0);
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /** Whether {@code --server} names the API server, so no kubeconfig credentials are used. */
  boolean direct() {
    return server != null;
  }

  private Config config() {
    return server == null
        ? Config.autoConfigure(null)
        : new ConfigBuilder(Config.empty()).withMasterUrl(server).build();
  }

  /**
   * The project's namespace: {@code -p}, else the client's (kubeconfig context's or service
   * account's) namespace, checked against the cluster's Projects; a {@link CliException} when
   * there is none or it is no project's.
   */
  String namespace(KubernetesClient client) {
    if (project != null) {
      if (project.isBlank()) {
        throw CliException.usage("-p must name a project, was empty");
      }
      return Projects.resolve(client, project, "-p " + project);
    }
    String namespace = client.getNamespace();
    if (namespace == null || namespace.isBlank()) {
      throw CliException.usage(NO_PROJECT);
    }
    return Projects.resolve(client, namespace, "the kubeconfig context's namespace '" + namespace + "'");
  }

  /** A namespace named elsewhere (a manifest's metadata.namespace), checked as -p would be. */
  String checkedNamespace(KubernetesClient client, String namespace, String source) {
    return Projects.resolve(client, namespace, source);
  }
}
