package dev.tessera.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import picocli.CommandLine.Option;

/**
 * Which API server and project (namespace) a command talks to, mixed into every subcommand so each
 * one reads {@code tessera list -p ml} as Run:ai's CLI does.
 */
public final class ClusterOptions {
  /** The namespace used when neither -p nor the kubeconfig context names one. */
  static final String DEFAULT_NAMESPACE = "default";

  @Option(
      names = "--server",
      paramLabel = "URL",
      description = "Talk to this API server directly, without kubeconfig credentials (the embedded"
          + " demo's API, a kubectl proxy). Default: kubeconfig ($KUBECONFIG, ~/.kube/config) or"
          + " the pod's service account.")
  String server;

  @Option(
      names = {"-p", "--project"},
      paramLabel = "NAMESPACE",
      description = "The project's namespace. Default: the kubeconfig context's namespace, else "
          + DEFAULT_NAMESPACE + ".")
  String project;

  /** A client for {@code --server}, or fabric8's usual kubeconfig / in-cluster resolution. */
  KubernetesClient connect() {
    Config config = server == null
        ? Config.autoConfigure(null)
        : new ConfigBuilder(Config.empty()).withMasterUrl(server).build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /** {@code -p}, else the client's (kubeconfig context's) namespace, else "default". */
  String namespace(KubernetesClient client) {
    if (project != null && !project.isBlank()) {
      return project;
    }
    String namespace = client.getNamespace();
    return namespace == null || namespace.isBlank() ? DEFAULT_NAMESPACE : namespace;
  }
}
