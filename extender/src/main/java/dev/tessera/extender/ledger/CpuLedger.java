package dev.tessera.extender.ledger;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * CPU per node: allocatable, and what the bound, unfinished pods request, in millicores. Node pools
 * place pods without GPUs by it (bin-pack or spread). Written by the informers' thread; read by
 * prioritize without blocking.
 */
public final class CpuLedger {
  /** A node's CPU: allocatable and requested millicores. */
  public record NodeCpu(long allocatableMillis, long requestedMillis) {
    /** Requested share of allocatable after adding {@code moreMillis}, 0..1. */
    public double utilisationWith(long moreMillis) {
      if (allocatableMillis <= 0) {
        return 1;
      }
      return Math.min(1.0, (double) (requestedMillis + moreMillis) / allocatableMillis);
    }
  }

  private record PodCpu(String node, long millis) {}

  private final Map<String, NodeCpu> nodes = new ConcurrentHashMap<>();
  private final Map<String, PodCpu> pods = new ConcurrentHashMap<>();

  public NodeCpu node(String name) {
    return nodes.get(name);
  }

  public void nodeChanged(Node node) {
    Quantity cpu = node.getStatus() == null || node.getStatus().getAllocatable() == null
        ? null
        : node.getStatus().getAllocatable().get("cpu");
    long allocatable = millis(cpu);
    nodes.compute(node.getMetadata().getName(), (name, known) ->
        new NodeCpu(allocatable, known == null ? 0 : known.requestedMillis()));
  }

  public void nodeGone(String name) {
    nodes.remove(name);
  }

  /** Counts the pod's CPU requests on its node while it is bound and not finished. */
  public void podChanged(Pod pod) {
    String uid = pod.getMetadata().getUid();
    String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    boolean holds = node != null && !node.isEmpty() && !"Succeeded".equals(phase) && !"Failed".equals(phase);
    PodCpu now = holds ? new PodCpu(node, requestedMillis(pod)) : null;
    PodCpu before = now == null ? pods.remove(uid) : pods.put(uid, now);
    if (before != null) {
      add(before.node(), -before.millis());
    }
    if (now != null) {
      add(now.node(), now.millis());
    }
  }

  public void podGone(String uid) {
    PodCpu before = pods.remove(uid);
    if (before != null) {
      add(before.node(), -before.millis());
    }
  }

  /** The pod's CPU request: its containers' together (kube-scheduler also takes init containers' max; rarely larger). */
  public static long requestedMillis(Pod pod) {
    long total = 0;
    if (pod.getSpec() != null && pod.getSpec().getContainers() != null) {
      for (Container container : pod.getSpec().getContainers()) {
        if (container.getResources() != null && container.getResources().getRequests() != null) {
          total += millis(container.getResources().getRequests().get("cpu"));
        }
      }
    }
    return total;
  }

  private void add(String node, long millis) {
    nodes.compute(node, (name, known) -> known == null
        ? new NodeCpu(0, Math.max(0, millis))
        : new NodeCpu(known.allocatableMillis(), Math.max(0, known.requestedMillis() + millis)));
  }

  private static long millis(Quantity quantity) {
    if (quantity == null) {
      return 0;
    }
    try {
      return Quantity.getAmountInBytes(quantity).multiply(BigDecimal.valueOf(1000)).longValue();
    } catch (RuntimeException e) {
      return 0; // a malformed quantity: the API server would not have stored it
    }
  }
}
