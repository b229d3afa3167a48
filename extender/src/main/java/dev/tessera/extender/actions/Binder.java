package dev.tessera.extender.actions;

import dev.tessera.api.WellKnown;
import dev.tessera.api.assignment.AssignmentCodec;
import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.extender.model.PodKey;
import io.fabric8.kubernetes.api.model.Binding;
import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds a pod to a node with its GPU assignment in one API call, as kube-scheduler's default
 * binder does: {@code POST /api/v1/namespaces/{ns}/pods/{name}/binding} with a {@code v1.Binding}
 * whose target is the node. The Binding carries the annotation {@value WellKnown#GPU_ASSIGNMENT}
 * ({@link AssignmentCodec} JSON): the API server copies a Binding's annotations onto the pod in
 * the same storage update that sets {@code spec.nodeName} ({@code BindingREST
 * .setPodHostAndAnnotations}), so no reader ever sees the pod bound without its assignment.
 *
 * <p>The Binding's {@code metadata.uid} is the pod's UID: the API server refuses the binding (409)
 * if the pod was deleted and recreated under the same name since the decision was made.
 *
 * <p>RBAC: {@code create} on {@code pods/binding}. Timeouts are the client's request timeout, set
 * by whoever builds the {@link KubernetesClient}; keep it below the extender's bind timeout.
 */
public final class Binder {
  private static final Logger log = LoggerFactory.getLogger(Binder.class);

  /** The API server's words for a pod bound already (pkg/registry/core/pod/storage). */
  private static final Pattern ALREADY_ASSIGNED = Pattern.compile("already assigned to node \"([^\"]*)\"");

  private final KubernetesClient client;

  public Binder(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /**
   * Binds the pod to the node, writing the assignment on it when there is one (null: a pod
   * without GPUs). Never throws for API failures; they come back as a {@link BindResult}.
   *
   * @throws IllegalArgumentException if the assignment is for another node (a caller bug)
   */
  public BindResult bind(PodKey pod, String node, GpuAssignment assignment) {
    return bind(pod, node, assignment, Map.of());
  }

  /**
   * As {@link #bind(PodKey, String, GpuAssignment)}, writing {@code annotations} on the pod in the
   * same call (the API server copies a Binding's annotations onto the pod).
   */
  public BindResult bind(PodKey pod, String node, GpuAssignment assignment, Map<String, String> annotations) {
    Objects.requireNonNull(pod, "pod");
    Objects.requireNonNull(node, "node");
    if (assignment != null && !assignment.node().equals(node)) {
      throw new IllegalArgumentException(
          "assignment for node " + assignment.node() + " cannot bind pod " + pod + " to node " + node);
    }
    Binding binding = binding(pod, node, assignment, annotations);
    try {
      client.raw(bindingPath(pod), "POST", binding);
      log.debug("bound {} to {} with assignment {}", pod, node, assignment);
      return BindResult.bound(pod, node);
    } catch (KubernetesClientException e) {
      return failure(pod, node, assignment, e);
    } catch (RuntimeException e) {
      // e.g. the client is closed during shutdown: still an answer, not an exception
      return BindResult.apiError(pod, node, 0, e.toString());
    }
  }

  static Binding binding(PodKey pod, String node, GpuAssignment assignment) {
    return binding(pod, node, assignment, Map.of());
  }

  static Binding binding(PodKey pod, String node, GpuAssignment assignment, Map<String, String> extra) {
    Map<String, String> annotations = new java.util.TreeMap<>(extra);
    if (assignment != null) {
      annotations.put(WellKnown.GPU_ASSIGNMENT, AssignmentCodec.encode(assignment));
    }
    return new BindingBuilder()
        .withNewMetadata()
        .withNamespace(pod.namespace())
        .withName(pod.name())
        .withUid(pod.uid())
        .withAnnotations(annotations.isEmpty() ? null : annotations)
        .endMetadata()
        .withNewTarget()
        .withApiVersion("v1")
        .withKind("Node")
        .withName(node)
        .endTarget()
        .build();
  }

  static String bindingPath(PodKey pod) {
    return "/api/v1/namespaces/" + pod.namespace() + "/pods/" + pod.name() + "/binding";
  }

  private BindResult failure(PodKey pod, String node, GpuAssignment assignment, KubernetesClientException e) {
    int code = Math.max(0, e.getCode()); // fabric8 uses -1 (or 0) when no HTTP answer came
    String detail = e.getStatus() != null && e.getStatus().getMessage() != null
        ? e.getStatus().getMessage()
        : String.valueOf(e.getMessage());
    if (code == 404) {
      return BindResult.podNotFound(pod, node);
    }
    if (code == 409) {
      Matcher assigned = ALREADY_ASSIGNED.matcher(detail);
      if (assigned.find()) {
        String boundTo = assigned.group(1);
        if (boundTo.equals(node) && alreadyDone(pod, node, assignment)) {
          // An earlier attempt of this same bind succeeded but its answer was lost (timeout).
          log.info("pod {} is already bound to {} with the same assignment; treating the repeated bind as done", pod, node);
          return BindResult.bound(pod, node);
        }
        return BindResult.alreadyBound(pod, boundTo, node);
      }
      if (detail.contains("Precondition failed") || detail.contains("UID in precondition")) {
        return BindResult.uidChanged(pod, node, detail);
      }
    }
    return BindResult.apiError(pod, node, code, detail);
  }

  /** True when the pod (same UID) is bound to the node with exactly this assignment. */
  private boolean alreadyDone(PodKey pod, String node, GpuAssignment assignment) {
    try {
      Pod current = client.pods().inNamespace(pod.namespace()).withName(pod.name()).get();
      if (current == null
          || !pod.uid().equals(current.getMetadata().getUid())
          || current.getSpec() == null
          || !node.equals(current.getSpec().getNodeName())) {
        return false;
      }
      Map<String, String> annotations = current.getMetadata().getAnnotations();
      String written = annotations == null ? null : annotations.get(WellKnown.GPU_ASSIGNMENT);
      if (assignment == null) {
        return written == null;
      }
      return AssignmentCodec.decode(written) instanceof AssignmentCodec.Decoded.Ok ok
          && ok.assignment().equals(assignment);
    } catch (KubernetesClientException e) {
      log.debug("could not read pod {} to check a repeated bind: {}", pod, e.getMessage());
      return false;
    }
  }
}
