package dev.tessera.extender.verbs;

import dev.tessera.extender.scheduling.RequestedNodes;
import java.util.List;
import java.util.Map;

/**
 * What the extender decides for each verb kube-scheduler calls. The HTTP server parses and
 * writes the wire format; implementations decide. {@link #filter} and {@link #prioritize} run on
 * the I/O threads and must not block; {@link #bind} may block and is called off them.
 */
public interface ExtenderHandler {

  /**
   * Which of {@code nodes} can take the pod, with a reason for each that cannot. Called on an I/O
   * thread unless {@link #decidesOffLoop} says otherwise.
   */
  FilterDecision filter(WirePod pod, RequestedNodes nodes);

  /**
   * True when filtering this pod may block (read from the API server, plan a gang under a lock):
   * its filter call is then answered off the I/O threads.
   */
  default boolean decidesOffLoop(WirePod pod) {
    return false;
  }

  /** A score 0..10 per node, aligned with {@code nodes}. */
  int[] prioritize(WirePod pod, RequestedNodes nodes);

  /**
   * Binds the pod to the node, writing its GPU assignment. Returns an empty string on success,
   * otherwise the reason it failed (sent back as the binding result's {@code Error}).
   */
  String bind(BindRequest request);

  /**
   * Given kube-scheduler's candidate victims (pod UIDs per node), returns the victims the
   * extender accepts per node: a subset, possibly with nodes removed.
   */
  Map<String, List<String>> preempt(WirePod pod, Map<String, List<String>> victimUidsByNode);

  /**
   * True once everything decisions read has been listed; {@code /readyz} answers 200 only then,
   * and scheduling calls wait for it.
   */
  boolean ready();

  /**
   * True once the cache is filled, whether this replica decides or stands by to take over: {@code
   * /syncedz} answers 200 then, and a Deployment's readiness probe reads it (a standby is ready to
   * be rolled over; kube-scheduler reaches only the leader, through the Service's leader label).
   */
  default boolean synced() {
    return ready();
  }

  /**
   * A builder for one request's node names, which the request reader fills as it reads them. The
   * handler's own resolves each name in its node table there and then, so the decision finds nodes
   * by position; by default names are only collected.
   */
  default RequestedNodes.Builder requestedNodes() {
    return RequestedNodes.builder();
  }

  /** ExtenderBindingArgs. */
  record BindRequest(String podName, String podNamespace, String podUid, String node) {}
}
