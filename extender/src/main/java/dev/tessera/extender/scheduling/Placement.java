package dev.tessera.extender.scheduling;

import dev.tessera.extender.model.GpuAssignment;
import dev.tessera.extender.model.GpuDevice;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.GpuShare;
import dev.tessera.extender.model.PlacementStrategy;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Decides, for one pod's GPU request and one node: does it fit (and if not, why), how good is the
 * node (0..10), and which GPUs it gets. Pure functions of the node's immutable state.
 *
 * <p>{@link #check} and {@link #score} run for every node of every filter and prioritize call, so
 * they allocate nothing on the common paths: only a failure's reason is built as a string.
 */
public final class Placement {
  public static final int MAX_SCORE = 10;

  /** Why a node cannot take a pod. Unresolvable: no preemption on that node could help. */
  public record Failure(String reason, boolean unresolvable) {
    public Failure {
      Objects.requireNonNull(reason, "reason");
    }
  }

  private final PlacementStrategy defaultStrategy;

  public Placement(PlacementStrategy defaultStrategy) {
    this.defaultStrategy = Objects.requireNonNull(defaultStrategy, "defaultStrategy");
  }

  /** The node's own strategy label wins over the extender's default. */
  public PlacementStrategy strategyFor(NodeState node) {
    PlacementStrategy own = node.node().strategy();
    return own != null ? own : defaultStrategy;
  }

  /** Null when the request fits the node now; otherwise why not. */
  public Failure check(NodeState node, GpuRequest request) {
    return switch (request.kind()) {
      case NONE -> null;
      case INVALID -> new Failure(request.invalidReason(), true);
      case WHOLE -> checkWhole(node, request);
      case FRACTION, MEMORY -> checkShared(node, request);
    };
  }

  private static Failure checkWhole(NodeState node, GpuRequest request) {
    int gpus = node.gpuCount();
    if (gpus == 0) {
      return new Failure("node has no GPUs", true);
    }
    if (request.devices() > gpus) {
      return new Failure(
          "needs " + request.describe() + "; node has only " + gpus + " GPU" + plural(gpus), true);
    }
    if (node.freeWholeGpus() >= request.devices()) {
      return null;
    }
    int heldWhole = 0;
    int shared = 0;
    for (int i = 0; i < gpus; i++) {
      if (node.heldWhole(i)) {
        heldWhole++;
      } else if (node.sharedTenants(i) > 0) {
        shared++;
      }
    }
    return new Failure(
        "needs " + request.describe() + "; " + node.freeWholeGpus() + " of " + gpus + " free ("
            + heldWhole + " held whole, " + shared + " shared by fractions)",
        false);
  }

  private static Failure checkShared(NodeState node, GpuRequest request) {
    int gpus = node.gpuCount();
    if (gpus == 0) {
      return new Failure("node has no GPUs", true);
    }
    if (request.devices() > gpus) {
      return new Failure(
          "needs " + request.describe() + "; node has only " + gpus + " GPU" + plural(gpus), true);
    }
    int fitting = 0;
    int couldEverFit = 0;
    int memoryKnown = 0;
    int largestFreeGpu = -1;
    long largestFree = -1;
    long largestGpu = 0;
    for (int i = 0; i < gpus; i++) {
      GpuDevice gpu = node.gpu(i);
      if (!gpu.memoryKnown()) {
        continue;
      }
      memoryKnown++;
      largestGpu = Math.max(largestGpu, gpu.memoryMiB());
      long need = needMiB(request, gpu);
      if (need > gpu.memoryMiB()) {
        continue;
      }
      couldEverFit++;
      long free = node.freeMiB(i);
      if (free >= need) {
        fitting++;
      }
      if (free > largestFree) {
        largestFree = free;
        largestFreeGpu = i;
      }
    }
    if (fitting >= request.devices()) {
      return null;
    }
    if (memoryKnown == 0) {
      return new Failure(
          "GPU memory size unknown on this node (no nvidia.com/gpu.memory label or agent report);"
              + " fractional requests need it",
          true);
    }
    if (couldEverFit < request.devices()) {
      return new Failure(
          "needs " + request.describe() + "; "
              + (couldEverFit == 0
                  ? "no GPU here is that large (the largest has " + largestGpu + " MiB)"
                  : "only " + gpuCount(couldEverFit) + " here " + be(couldEverFit) + " that large"),
          true);
    }
    if (largestFree <= 0) {
      return new Failure(
          "needs " + request.describe() + "; no GPU has room (" + (gpus - node.freeWholeGpus())
              + " of " + gpus + " in use, none with free memory)",
          false);
    }
    if (request.devices() > 1) {
      return new Failure(
          "needs " + request.describe() + "; only " + gpuCount(fitting) + " " + have(fitting)
              + " that free",
          false);
    }
    GpuDevice best = node.gpu(largestFreeGpu);
    String free =
        request.kind() == GpuRequest.Kind.FRACTION
            ? GpuRequest.fractionText((double) largestFree / best.memoryMiB())
            : largestFree + " MiB";
    return new Failure(
        "needs " + request.describe() + "; largest free is " + free + " on GPU " + largestFreeGpu,
        false);
  }

  /**
   * 0..10, higher is better. Bin-packing puts a shared request on a GPU that already has tenants
   * first (6..10, fuller is better), then on the fullest node (0..5), so whole GPUs stay free;
   * whole requests go to the fullest node. Spreading inverts fullness.
   */
  public int score(NodeState node, GpuRequest request) {
    if (!request.wantsGpu() || request.kind() == GpuRequest.Kind.INVALID || check(node, request) != null) {
      return 0;
    }
    PlacementStrategy strategy = strategyFor(node);
    int gpus = node.gpuCount();
    if (request.kind() == GpuRequest.Kind.WHOLE) {
      double loadAfter = (node.load() + request.devices()) / gpus;
      return strategy == PlacementStrategy.BINPACK ? scale(loadAfter) : scale(1 - loadAfter);
    }
    int gpu;
    int[] chosen = null;
    if (request.devices() == 1) {
      gpu = chooseOneShared(node, request, strategy, 0);
    } else {
      chosen = chooseShared(node, request, strategy);
      gpu = chosen[0];
    }
    GpuDevice device = node.gpu(gpu);
    double share = (double) needMiB(request, device) / device.memoryMiB();
    double gpuFullAfter = Math.min(1.0, (double) node.usedMiB(gpu) / device.memoryMiB() + share);
    double nodeLoadAfter = Math.min(1.0, (node.load() + share * request.devices()) / gpus);
    if (strategy == PlacementStrategy.SPREAD) {
      return scale(1 - (gpuFullAfter + nodeLoadAfter) / 2);
    }
    boolean joinsTenants = chosen == null ? node.sharedTenants(gpu) > 0 : anyShared(node, chosen);
    if (joinsTenants) {
      return 6 + (int) Math.round(4 * gpuFullAfter);
    }
    return (int) Math.round(5 * nodeLoadAfter);
  }

  /** The GPUs the pod gets on this node, or null when it does not fit. */
  public GpuAssignment pick(NodeState node, GpuRequest request) {
    if (!request.wantsGpu() || check(node, request) != null) {
      return null;
    }
    List<GpuShare> shares = new ArrayList<>(request.devices());
    if (request.kind() == GpuRequest.Kind.WHOLE) {
      for (int i = 0; i < node.gpuCount() && shares.size() < request.devices(); i++) {
        if (!node.heldWhole(i) && node.sharedTenants(i) == 0) {
          GpuDevice gpu = node.gpu(i);
          shares.add(new GpuShare(i, gpu.uuid(), gpu.memoryMiB(), 1.0));
        }
      }
      return new GpuAssignment(node.name(), true, shares);
    }
    for (int i : chooseShared(node, request, strategyFor(node))) {
      GpuDevice gpu = node.gpu(i);
      long need = needMiB(request, gpu);
      double fraction =
          request.kind() == GpuRequest.Kind.FRACTION
              ? request.fraction()
              : Math.min(1.0, (double) need / gpu.memoryMiB());
      shares.add(new GpuShare(i, gpu.uuid(), need, fraction));
    }
    return new GpuAssignment(node.name(), false, shares);
  }

  /** Memory a shared request takes on this GPU; at least 1 MiB so a tiny fraction still counts. */
  static long needMiB(GpuRequest request, GpuDevice gpu) {
    return Math.max(1, request.mibPerDevice(gpu.memoryMiB()));
  }

  /**
   * The best GPU for a shared request, skipping {@code exclude}: best fit (least free that is
   * enough) when bin-packing, most free when spreading; lowest index breaks ties. -1 if none.
   * Bit i of {@code excluded} set: skip GPU i.
   */
  private static int chooseOneShared(
      NodeState node, GpuRequest request, PlacementStrategy strategy, long excluded) {
    int best = -1;
    long bestFree = 0;
    for (int i = 0; i < node.gpuCount(); i++) {
      if ((excluded & (1L << i)) != 0) {
        continue;
      }
      GpuDevice gpu = node.gpu(i);
      if (!gpu.memoryKnown()) {
        continue;
      }
      long free = node.freeMiB(i);
      if (free < needMiB(request, gpu)) {
        continue;
      }
      boolean better =
          best < 0
              || (strategy == PlacementStrategy.BINPACK ? free < bestFree : free > bestFree);
      if (better) {
        best = i;
        bestFree = free;
      }
    }
    return best;
  }

  private static int[] chooseShared(NodeState node, GpuRequest request, PlacementStrategy strategy) {
    int[] chosen = new int[request.devices()];
    long taken = 0; // bit i set: GPU i already chosen (GpuNode caps a node at 64 GPUs)
    for (int k = 0; k < chosen.length; k++) {
      int next = chooseOneShared(node, request, strategy, taken);
      if (next < 0) {
        throw new IllegalStateException("checked fit but found only " + k + " GPUs on " + node.name());
      }
      chosen[k] = next;
      taken |= 1L << next;
    }
    return chosen;
  }

  private static boolean anyShared(NodeState node, int[] gpus) {
    for (int gpu : gpus) {
      if (node.sharedTenants(gpu) > 0) {
        return true;
      }
    }
    return false;
  }

  private static int scale(double zeroToOne) {
    double clamped = Math.max(0, Math.min(1, zeroToOne));
    return (int) Math.round(clamped * MAX_SCORE);
  }

  private static String plural(int n) {
    return n == 1 ? "" : "s";
  }

  private static String gpuCount(int n) {
    return n + " GPU" + plural(n);
  }

  private static String be(int n) {
    return n == 1 ? "is" : "are";
  }

  private static String have(int n) {
    return n == 1 ? "has" : "have";
  }
}
