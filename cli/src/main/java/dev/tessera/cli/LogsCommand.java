package dev.tessera.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import io.fabric8.kubernetes.client.dsl.Loggable;
import io.fabric8.kubernetes.client.dsl.PodResource;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tessera logs KIND NAME}: a workload's pod log without looking up the pod's name; the first
 * pod by name (the master, replica or only pod) unless {@code --pod} picks another. The log comes
 * from the pod's kubelet through the API server, so the usual failure is the API server not
 * reaching that kubelet; the error names the pod and node so the user knows where to look.
 */
@Command(
    name = "logs",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {"Print the log of one of a workload's pods; -f follows it until the pod ends or Ctrl-C.", ""})
final class LogsCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin ClusterOptions cluster;

  @Mixin WorkloadRef ref;

  @Option(names = "--pod", paramLabel = "POD", description = "Which of its pods (default: the first by name).")
  String pod;

  @Option(names = {"-c", "--container"}, paramLabel = "CONTAINER", description = "Which container (default: the pod's only or first).")
  String container;

  @Option(names = "--tail", paramLabel = "LINES", description = "Only the last LINES lines.")
  Integer tail;

  @Option(names = {"-f", "--follow"}, description = "Keep printing the log as it grows, until the pod ends or Ctrl-C.")
  boolean follow;

  @Override
  public Integer call() throws IOException {
    if (tail != null && tail < 0) {
      throw CliException.usage("--tail must be at least 0, was " + tail);
    }
    try (KubernetesClient client = cluster.connectWithoutRetries()) {
      String namespace = cluster.namespace(client);
      Workloads.require(client, ref.kind, namespace, ref.name);
      List<String> pods = Workloads.pods(client, ref.kind, namespace, ref.name).stream()
          .map(p -> p.getMetadata().getName()).toList();
      String podName = pod;
      if (podName == null) {
        if (pods.isEmpty()) {
          throw CliException.failed(ref.kind.label() + " '" + ref.name + "' has no pods in project '" + namespace
              + "' yet");
        }
        podName = pods.get(0);
      } else if (!pods.contains(podName)) {
        throw CliException.usage("--pod " + podName + " is not a pod of " + ref.kind.label() + " '" + ref.name
            + "'; its pods: " + (pods.isEmpty() ? "none" : String.join(", ", pods)));
      }
      Pod found = client.pods().inNamespace(namespace).withName(podName).get();
      if (found == null) {
        throw CliException.failed("pod '" + podName + "' is gone");
      }
      String node = found.getSpec() == null ? null : found.getSpec().getNodeName();
      PodResource resource = client.pods().inNamespace(namespace).withName(podName);
      Loggable loggable = container == null ? resource : resource.inContainer(container);
      if (tail != null) {
        loggable = container == null ? resource.tailingLines(tail) : resource.inContainer(container).tailingLines(tail);
      }
      PrintWriter out = spec.commandLine().getOut();
      try {
        if (follow) {
          stream(loggable, podName, node, out);
        } else {
          String log = loggable.getLog();
          refuseNonLog(log, podName, node);
          out.print(log == null ? "" : log);
        }
      } catch (KubernetesClientException e) {
        if (e.getCode() > 0) {
          throw logRefused(e.getCode(), Tessera.serverMessage(e), podName, node);
        }
        throw e;
      } finally {
        out.flush();
      }
    }
    return 0;
  }

  /** Line by line as the kubelet sends it; returns when the API server ends the stream (the pod ended). */
  private void stream(Loggable loggable, String podName, String node, PrintWriter out) throws IOException {
    try (LogWatch watch = loggable.watchLog()) {
      InputStream body = watch.getOutput();
      if (body == null) {
        throw CliException.failed("cannot follow the log of pod '" + podName + "' on node " + nodeName(node)
            + ": the API server did not open the log stream");
      }
      BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
      String first = lines.readLine();
      if (first == null) {
        return;
      }
      // fabric8's follow stream hands over the body whatever the HTTP status, so an error (or a
      // pod's JSON from a demo server) arrives as the stream's only line: look before printing.
      if (kubernetesObject(first) != null) {
        String second = lines.readLine();
        if (second == null) {
          refuseNonLog(first, podName, node);
        }
        out.println(first);
        first = second;
      }
      for (String line = first; line != null; line = lines.readLine()) {
        out.println(line);
        out.flush();
      }
    }
  }

  /**
   * A response that is one Kubernetes object rather than log text: a Status is the API server's
   * error (it failed to reach the kubelet, or refused), anything else (a pod's JSON from a server
   * that does not serve logs) is no log at all; neither may be printed as if it were the log.
   */
  private static void refuseNonLog(String body, String podName, String node) {
    JsonNode object = kubernetesObject(body);
    if (object == null) {
      return;
    }
    String kind = object.get("kind").asText();
    if ("Status".equals(kind)) {
      throw logRefused(object.path("code").asInt(500), object.path("message").asText("(no message)"), podName, node);
    }
    throw CliException.failed("the API server returned no log for pod '" + podName + "' but a " + kind
        + " object (a test or demo API server that does not serve logs?)");
  }

  /** The body parsed when it is exactly one JSON object with apiVersion and kind, else null. */
  private static JsonNode kubernetesObject(String body) {
    if (body == null || !body.strip().startsWith("{")) {
      return null;
    }
    try {
      JsonNode node = JSON.readTree(body);
      return node != null && node.isObject() && node.hasNonNull("apiVersion") && node.hasNonNull("kind") ? node : null;
    } catch (IOException e) {
      return null; // a log line that merely starts with '{'
    }
  }

  /**
   * A 5xx on pods/log is almost always the API server failing to reach the node's kubelet ("no
   * preferred addresses found", a timeout, a certificate): say so, so the user checks the node and
   * not their workload. A 4xx is the API server's own refusal (no such container, not started).
   */
  private static CliException logRefused(int code, String message, String podName, String node) {
    if (code >= 500) {
      return CliException.failed("cannot read the log of pod '" + podName + "': the API server could not reach the"
          + " kubelet of node " + nodeName(node) + " (HTTP " + code + ": " + message + ")");
    }
    return CliException.failed("the API server refused the log of pod '" + podName + "' on node " + nodeName(node)
        + " (HTTP " + code + "): " + message);
  }

  private static String nodeName(String node) {
    return node == null || node.isBlank() ? "(none: the pod is not scheduled yet)" : "'" + node + "'";
  }
}
