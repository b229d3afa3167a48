package dev.tessera.cli;

import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tessera submit KIND NAME}: creates a workload from flags, or from a manifest with flags
 * over it, and with {@code --wait} follows it until it runs. Flags are checked before anything is
 * sent, so a typo costs no round trip and the error names the flag.
 */
@Command(
    name = "submit",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Submit a workload: KIND NAME and flags, or -f a manifest (flags then override its spec).",
      "Words after -- are the container's args.",
      "External workloads are not submitted: create the Job, PyTorchJob, RayCluster, ... itself and Tessera"
          + " tracks it.",
      ""
    })
final class SubmitCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin ClusterOptions cluster;

  @Parameters(index = "0", arity = "0..1", paramLabel = "KIND", converter = Kinds.SubmittedConverter.class,
      description = "workspace|ws, training|trn, distributed-training|dtrn, inference|inf (with -f: optional).")
  WorkloadKind kind;

  @Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "The workload's name (with -f: optional).")
  String name;

  @Parameters(index = "2..*", paramLabel = "ARG", description = "After --: the container's args.")
  List<String> rest;

  @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "A workload manifest (YAML or JSON) of any of the four kinds.")
  Path file;

  @Option(names = "--wait", description = "Print each phase change until Running, Completed, Stopped or Failed (exit 1).")
  boolean await;

  @Option(names = "--timeout", paramLabel = "SECONDS", description = "With --wait: give up after this long (default: 0, never).")
  long timeoutSeconds;

  @Mixin SpecOptions flags;

  @Override
  public Integer call() throws Exception {
    if (timeoutSeconds < 0) {
      throw CliException.usage("--timeout must be at least 0, was " + timeoutSeconds);
    }
    try (KubernetesClient client = cluster.connect()) {
      WorkloadResource<?> workload = file == null ? fromFlags(client) : fromFile(client);
      WorkloadKind submitted = workload.workloadKind();
      WorkloadResource<?> created = Workloads.create(client, workload);
      PrintWriter out = spec.commandLine().getOut();
      out.println(submitted.label() + " '" + created.getMetadata().getName() + "' submitted to project '"
          + created.getMetadata().getNamespace() + "'");
      out.flush();
      if (!await) {
        return 0;
      }
      return new PhaseWait(client, submitted, created.getMetadata().getNamespace(), created.getMetadata().getName(),
          out).await(Duration.ofSeconds(timeoutSeconds));
    }
  }

  private WorkloadResource<?> fromFlags(KubernetesClient client) {
    if (kind == null || name == null) {
      throw CliException.usage("KIND and NAME are required unless -f gives a manifest");
    }
    Workloads.checkName("NAME", name);
    Map<String, Object> workloadSpec = flags.applyTo(kind, new LinkedHashMap<>(), rest);
    if (workloadSpec.get("image") == null) {
      throw CliException.usage("--image is required");
    }
    ObjectMeta metadata = new ObjectMetaBuilder().withName(name).withNamespace(cluster.namespace(client)).build();
    return Workloads.build(client, kind, metadata, workloadSpec);
  }

  @SuppressWarnings("unchecked")
  private WorkloadResource<?> fromFile(KubernetesClient client) throws IOException {
    GenericKubernetesResource manifest;
    try (InputStream in = Files.newInputStream(file)) {
      manifest = client.getKubernetesSerialization().unmarshal(in, GenericKubernetesResource.class);
    } catch (IOException e) {
      throw CliException.usage("-f: cannot read " + file + ": " + e.getMessage());
    } catch (RuntimeException e) {
      throw CliException.usage("-f: " + file + " is not a workload manifest: " + e.getMessage());
    }
    if (manifest == null) {
      throw CliException.usage("-f: " + file + " is empty");
    }
    WorkloadKind fileKind = Kinds.ofKubernetesKind(manifest.getKind());
    if (fileKind != null && !fileKind.managedByTessera()) {
      throw ExternalWorkloads.notSubmitted();
    }
    if (fileKind == null || !Workloads.API_VERSION.equals(manifest.getApiVersion())) {
      throw CliException.usage("-f: " + file + " has kind '" + manifest.getKind() + "' in '"
          + manifest.getApiVersion() + "'; expected Workspace, Training, DistributedTraining or Inference in "
          + Workloads.API_VERSION);
    }
    if (kind != null && kind != fileKind) {
      throw CliException.usage("KIND is " + kind.label() + " but " + file + " holds a " + fileKind.kind());
    }
    ObjectMeta fileMetadata = manifest.getMetadata() == null ? new ObjectMeta() : manifest.getMetadata();
    String workloadName = name != null ? name : fileMetadata.getName();
    if (workloadName == null) {
      throw CliException.usage("-f: " + file + " has no metadata.name; give NAME");
    }
    Workloads.checkName(name != null ? "NAME" : "metadata.name", workloadName);
    String namespace = cluster.project != null || fileMetadata.getNamespace() == null
        ? cluster.namespace(client)
        : cluster.checkedNamespace(client, fileMetadata.getNamespace(),
            "-f: " + file + "'s metadata.namespace '" + fileMetadata.getNamespace() + "'");
    ObjectMeta metadata = new ObjectMetaBuilder()
        .withName(workloadName)
        .withNamespace(namespace)
        .withLabels(fileMetadata.getLabels())
        .withAnnotations(fileMetadata.getAnnotations())
        .build();
    Object rawSpec = manifest.getAdditionalProperties().get("spec");
    Map<String, Object> base = rawSpec instanceof Map<?, ?> map
        ? new LinkedHashMap<>((Map<String, Object>) map) : new LinkedHashMap<>();
    Map<String, Object> workloadSpec = flags.applyTo(fileKind, base, rest);
    if (workloadSpec.get("image") == null) {
      throw CliException.usage("-f: " + file + " has no spec.image; add it or give --image");
    }
    return Workloads.build(client, fileKind, metadata, workloadSpec);
  }
}
