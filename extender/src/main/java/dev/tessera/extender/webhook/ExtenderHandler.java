package dev.tessera.extender.webhook;

import java.util.List;
import java.util.Map;

/**
 * What the extender decides for each verb kube-scheduler calls. The HTTP server parses and
 * writes the wire format; implementations decide. {@link #filter} and {@link #prioritize} run on
 * the I/O threads and must not block; {@link #bind} may block and is called off them.
 */
public interface ExtenderHandler {

  /** Which of {@code nodeNames} can take the pod, with a reason for each that cannot. */
  FilterDecision filter(WirePod pod, List<String> nodeNames);

  /** A score 0..10 per node, aligned with {@code nodeNames}. */
  int[] prioritize(WirePod pod, List<String> nodeNames);

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

  /** True once the cluster cache has synced; {@code /readyz} answers 200 only then. */
  boolean ready();

  /** Node names the handler holds, for the request reader to reuse; none by default. */
  default KnownNodeNames knownNodeNames() {
    return KnownNodeNames.NONE;
  }

  /** ExtenderBindingArgs. */
  record BindRequest(String podName, String podNamespace, String podUid, String node) {}
}
