package dev.tessera.e2e;

import dev.tessera.api.WellKnown;
import dev.tessera.api.assignment.AssignmentCodec;
import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.api.assignment.GpuShare;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The GPU ledger as the API server records it: every bound, unfinished pod's
 * {@code tessera.dev/gpu-assignment}, added up per GPU. What the tests hold the extender to.
 */
final class ApiLedger {
  /** One GPU's tenants: whole holders and shared memory. */
  static final class Gpu {
    final List<String> whole = new ArrayList<>();
    final List<String> shared = new ArrayList<>();
    long sharedMiB;
    double sharedFraction;

    boolean overCommitted(long totalMiB) {
      return whole.size() > 1 || (!whole.isEmpty() && !shared.isEmpty()) || sharedMiB > totalMiB;
    }

    @Override
    public String toString() {
      return whole.isEmpty() ? "shared " + sharedMiB + " MiB by " + shared : "whole by " + whole + (shared.isEmpty() ? "" : " and shared by " + shared);
    }
  }

  /** "node/gpu" to its tenants. */
  final Map<String, Gpu> gpus = new TreeMap<>();
  final List<String> boundWithoutAssignment = new ArrayList<>();
  final List<String> boundPods = new ArrayList<>();
  int pending;

  static ApiLedger read(KubernetesClient client) {
    ApiLedger ledger = new ApiLedger();
    for (Pod pod : client.pods().inNamespace(Workloads.NAMESPACE).list().getItems()) {
      String name = pod.getMetadata().getName();
      String node = pod.getSpec().getNodeName();
      String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
      if (node == null || node.isEmpty()) {
        ledger.pending++;
        continue;
      }
      if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
        continue;
      }
      ledger.boundPods.add(name);
      Map<String, String> annotations = pod.getMetadata().getAnnotations();
      String text = annotations == null ? null : annotations.get(WellKnown.GPU_ASSIGNMENT);
      if (text == null || !(AssignmentCodec.decode(text) instanceof AssignmentCodec.Decoded.Ok ok)) {
        ledger.boundWithoutAssignment.add(name);
        continue;
      }
      GpuAssignment assignment = ok.assignment();
      for (GpuShare share : assignment.shares()) {
        Gpu gpu = ledger.gpus.computeIfAbsent(node + "/gpu" + share.index(), k -> new Gpu());
        if (assignment.exclusive()) {
          gpu.whole.add(name);
        } else {
          gpu.shared.add(name);
          gpu.sharedMiB += share.memoryMiB();
          gpu.sharedFraction += share.fraction();
        }
      }
    }
    return ledger;
  }

  /** GPUs held by more than they have: two whole holders, or shared memory past the GPU's size. */
  Map<String, Gpu> overCommitted(long gpuMiB) {
    Map<String, Gpu> over = new TreeMap<>();
    gpus.forEach((gpu, tenants) -> {
      if (tenants.overCommitted(gpuMiB)) {
        over.put(gpu, tenants);
      }
    });
    return over;
  }

  /** GPUs in use: whole ones count 1, shared ones their tenants' memory over the GPU's. */
  double allocatedGpus(long gpuMiB) {
    double total = 0;
    for (Gpu gpu : gpus.values()) {
      total += gpu.whole.isEmpty() ? Math.min(1.0, (double) gpu.sharedMiB / gpuMiB) : 1.0;
    }
    return total;
  }

  /** GPUs with at least one shared tenant. */
  long sharedGpus() {
    return gpus.values().stream().filter(g -> !g.shared.isEmpty()).count();
  }
}
