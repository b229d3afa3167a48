package dev.tessera.extender.http;

import dev.tessera.extender.scheduling.RequestedNodes;
import dev.tessera.extender.verbs.WirePod;
import java.util.List;
import java.util.Objects;

/**
 * What Tessera uses of kube-scheduler's {@code ExtenderArgs} for filter and prioritize.
 *
 * <p>In nodeCacheCapable mode the request carries only node names and {@code nodeSpans} is null. In
 * full-node mode the names come from {@code Nodes.items[].metadata.name}, and {@code nodeSpans}
 * holds, for node {@code i}, the byte range {@code [nodeSpans[2i], nodeSpans[2i+1])} of its JSON
 * object in the request body, so the filter answer can copy the passing nodes' bytes instead of
 * parsing and re-serialising whole {@code v1.Node} objects.
 *
 * @param nodes the node names in the order sent; the answer must keep to these
 */
public record ExtenderArgs(WirePod pod, RequestedNodes nodes, int[] nodeSpans) {
  public ExtenderArgs {
    Objects.requireNonNull(pod, "pod");
    Objects.requireNonNull(nodes, "nodes");
    if (nodeSpans != null && nodeSpans.length != 2 * nodes.size()) {
      throw new IllegalArgumentException(
          "nodeSpans needs two offsets per node: "
              + nodeSpans.length
              + " for "
              + nodes.size()
              + " nodes");
    }
  }

  /** The node names in the order sent. */
  public List<String> nodeNames() {
    return nodes.names();
  }

  /** True when kube-scheduler sent whole v1.Node objects (the extender is not nodeCacheCapable). */
  public boolean fullNodes() {
    return nodeSpans != null;
  }

  /** Offset in the request body of the first byte of node {@code i}'s JSON object. */
  public int nodeStart(int i) {
    return nodeSpans[2 * i];
  }

  /** Offset in the request body just past the last byte of node {@code i}'s JSON object. */
  public int nodeEnd(int i) {
    return nodeSpans[2 * i + 1];
  }
}
