package dev.tessera.extender.testing;

import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.model.GpuNode;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.scheduling.Allocation;
import dev.tessera.extender.scheduling.NodeState;
import java.util.ArrayList;
import java.util.List;

/**
 * Places tenants on a node for tests and produces the {@link NodeState}. Pods are named; their key
 * is {@link #pod}. Each call adds one pod (a pod named twice replaces its earlier allocation, as
 * in the ledger itself). GPU indices beyond the node's GPUs are allowed, to test that the ledger
 * ignores them.
 *
 * <pre>{@code
 * NodeState s = Ledger.on(node).withWhole("train", 0, 1).withFraction("nb", 2, 0.25).state();
 * }</pre>
 */
public final class Ledger {
  private final GpuNode node;
  private final List<Allocation> allocations = new ArrayList<>();

  private Ledger(GpuNode node) {
    this.node = node;
  }

  public static Ledger on(GpuNode node) {
    return new Ledger(node);
  }

  /** The key tests use for a pod name: namespace {@code default}, UID {@code uid-<name>}. */
  public static PodKey pod(String name) {
    return new PodKey("default", name, "uid-" + name);
  }

  /** A confirmed (not assumed) allocation of the pod with the assignment. */
  public static Allocation allocation(String podName, GpuAssignment assignment) {
    return new Allocation(pod(podName), assignment, false);
  }

  /** {@code fraction} of GPU {@code gpu}, holding floor(fraction x GPU memory) MiB. */
  public Ledger withFraction(String podName, int gpu, double fraction) {
    long mib = (long) Math.floor(fraction * memoryOf(gpu));
    return add(podName, false, new GpuShare(gpu, uuidOf(gpu), mib, fraction));
  }

  /** {@code mib} MiB of GPU {@code gpu}, shared. */
  public Ledger withMemory(String podName, int gpu, long mib) {
    long total = memoryOf(gpu);
    double fraction = total > 0 ? Math.min(1.0, Math.max(1e-9, (double) mib / total)) : 1.0;
    return add(podName, false, new GpuShare(gpu, uuidOf(gpu), mib, fraction));
  }

  /** The given GPUs whole, for one pod. */
  public Ledger withWhole(String podName, int... gpus) {
    GpuShare[] shares = new GpuShare[gpus.length];
    for (int k = 0; k < gpus.length; k++) {
      shares[k] = new GpuShare(gpus[k], uuidOf(gpus[k]), memoryOf(gpus[k]), 1.0);
    }
    return add(podName, true, shares);
  }

  /** Any allocation, e.g. one a {@code Placement.pick} returned. */
  public Ledger with(Allocation allocation) {
    allocations.add(allocation);
    return this;
  }

  public NodeState state() {
    return NodeState.of(node, allocations);
  }

  public GpuNode node() {
    return node;
  }

  private Ledger add(String podName, boolean exclusive, GpuShare... shares) {
    allocations.add(allocation(podName, new GpuAssignment(node.name(), exclusive, List.of(shares))));
    return this;
  }

  private long memoryOf(int gpu) {
    return gpu < node.gpuCount() ? node.gpus().get(gpu).memoryMiB() : 0;
  }

  private String uuidOf(int gpu) {
    return gpu < node.gpuCount() ? node.gpus().get(gpu).uuid() : null;
  }
}
