package dev.tessera.extender.scheduling;

import dev.tessera.api.WellKnown;
import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.model.GpuDevice;
import dev.tessera.extender.model.GpuRequest;
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
 *
 * <p>A shared request fits a GPU when its memory fits and, if the pod is paced, its compute share
 * fits beside the shares the GPU's paced tenants are guaranteed ({@link NodeState#computeFree}).
 * A pod that opts in to GPU memory swap may also go where its memory fits only with the node's
 * swap room ({@link NodeState#swapRoomMiB}), the last choice: it is told how much went on swap.
 */
public final class Placement {
  public static final int MAX_SCORE = 10;
  /** The largest figure {@link #failure}'s key holds in its first field (24 bits). */
  private static final long MAX_FIGURE = (1L << 24) - 1;

  private final PlacementStrategy defaultStrategy;

  public Placement(PlacementStrategy defaultStrategy) {
    this.defaultStrategy = Objects.requireNonNull(defaultStrategy, "defaultStrategy");
  }

  /** The node's own strategy label wins over the extender's default. */
  public PlacementStrategy strategyFor(NodeState node) {
    PlacementStrategy own = node.node().strategy();
    return own != null ? own : defaultStrategy;
  }

  /** True when the request fits the node now. Allocates nothing: it runs for every node. */
  public boolean fits(NodeState node, GpuRequest request) {
    return switch (request.kind()) {
      case NONE -> true;
      case INVALID -> false;
      case WHOLE -> node.freeWholeGpus() >= request.devices();
      case FRACTION, MEMORY ->
          request.swap() ? fitsWithSwap(node, request) : sharedGpusFitting(node, request) >= request.devices();
    };
  }

  /** Null when the request fits the node now; otherwise why not. */
  public Refusal check(NodeState node, GpuRequest request) {
    return check(node, request, new FailureMemo());
  }

  /**
   * As {@link #check(NodeState, GpuRequest)}, reusing the reasons already built for this request
   * during the same call: the memo must not be shared between requests.
   */
  public Refusal check(NodeState node, GpuRequest request, FailureMemo memo) {
    if (fits(node, request)) {
      return null;
    }
    return switch (request.kind()) {
      case NONE -> null;
      case INVALID -> failure(memo, request, Reason.INVALID, 0, 0, 0, 0);
      case WHOLE -> explainWhole(node, request, memo);
      case FRACTION, MEMORY -> explainShared(node, request, memo);
    };
  }

  private static int sharedGpusFitting(NodeState node, GpuRequest request) {
    long uniformNeed = uniformNeedMiB(node, request);
    int uniformShare = uniformShare(node, request);
    if (uniformNeed > 0 && request.devices() == 1 && node.minComputeFree() >= uniformShare) {
      return node.maxFreeMiB() >= uniformNeed ? 1 : 0; // the share fits wherever the memory does
    }
    int fitting = 0;
    for (int i = 0; i < node.gpuCount(); i++) {
      if (node.memoryKnown(i) && node.freeMiB(i) >= needMiB(node, request, i, uniformNeed)
          && computeFits(node, request, i, uniformShare)) {
        fitting++;
      }
    }
    return fitting;
  }

  /**
   * A swap request: GPUs where it fits outright count first, then those needing the least swap,
   * while the node's swap room, shared by all its GPUs, lasts.
   */
  private static boolean fitsWithSwap(NodeState node, GpuRequest request) {
    long uniformNeed = uniformNeedMiB(node, request);
    int uniformShare = uniformShare(node, request);
    int fitting = 0;
    long taken = 0; // bit i set: GPU i counted (GpuNode caps a node at 64 GPUs)
    for (int i = 0; i < node.gpuCount() && fitting < request.devices(); i++) {
      if (node.sharable(i) && node.freeMiB(i) >= needMiB(node, request, i, uniformNeed)
          && computeFits(node, request, i, uniformShare)) {
        fitting++;
        taken |= 1L << i;
      }
    }
    long room = node.swapRoomMiB();
    while (fitting < request.devices()) {
      int gpu = leastSwap(node, request, taken, room, uniformNeed, uniformShare);
      if (gpu < 0) {
        return false;
      }
      room -= swapNeedMiB(node, request, gpu, uniformNeed);
      taken |= 1L << gpu;
      fitting++;
    }
    return true;
  }

  /**
   * The GPU, not in {@code excluded}, where the request fits with the least of the node's swap, at
   * most {@code room}; lowest index breaks ties. -1 if none.
   */
  private static int leastSwap(
      NodeState node, GpuRequest request, long excluded, long room, long uniformNeed, int uniformShare) {
    int best = -1;
    long bestSwap = Long.MAX_VALUE;
    for (int i = 0; i < node.gpuCount(); i++) {
      if ((excluded & (1L << i)) != 0 || !node.sharable(i) || !computeFits(node, request, i, uniformShare)) {
        continue;
      }
      long need = needMiB(node, request, i, uniformNeed);
      if (need > node.totalMiB(i)) {
        continue; // more than the GPU can ever hold at once, swap or not
      }
      long swap = swapNeedMiB(node, request, i, uniformNeed);
      if (swap <= room && swap < bestSwap) {
        best = i;
        bestSwap = swap;
      }
    }
    return best;
  }

  /** The part of the request's memory on GPU {@code gpu} that does not fit its free memory. */
  private static long swapNeedMiB(NodeState node, GpuRequest request, int gpu, long uniformNeed) {
    return Math.max(0, needMiB(node, request, gpu, uniformNeed) - node.freeMiB(gpu));
  }

  /** The request's compute share on every GPU of a uniform node; -1 when sizes differ or are unknown. */
  private static int uniformShare(NodeState node, GpuRequest request) {
    long uniform = node.uniformMemoryMiB();
    return uniform > 0 ? request.computeSharePercent(uniform) : -1;
  }

  /**
   * Whether the request's compute share fits beside what GPU {@code gpu}'s paced tenants hold. A
   * swap request without a share of its own takes what is left, up to its fraction's share (see
   * {@link #computeShareOn}): it needs only some compute left.
   */
  private static boolean computeFits(NodeState node, GpuRequest request, int gpu, int uniformShare) {
    int share = uniformShare >= 0 ? uniformShare : request.computeSharePercent(node.totalMiB(gpu));
    if (share == 0) {
      return true;
    }
    return node.computeFree(gpu) >= (takesWhatIsLeft(request) ? 1 : share);
  }

  /**
   * A pod on GPU memory swap may hold more of a GPU's memory than is there, with its neighbours:
   * their fractions add up past 1, so their fractions' compute shares cannot all be guaranteed. Such
   * a pod, unless it asked for a share, is guaranteed the compute its GPU has left, up to its
   * fraction's share.
   */
  private static boolean takesWhatIsLeft(GpuRequest request) {
    return request.swap() && request.computeShare() == GpuShare.UNSET;
  }

  /**
   * The compute share the assignment records for the request on GPU {@code gpu}: what it asked
   * for, or for a swap request what is left up to its fraction's share; {@link GpuShare#UNSET}
   * where it is its fraction's share, which needs no words (the agent and the ledger both work it
   * out from the fraction), so such assignments read as they always did.
   */
  private static int computeShareOn(NodeState node, GpuRequest request, int gpu) {
    if (request.computeShare() != GpuShare.UNSET) {
      return request.computeSharePercent(node.totalMiB(gpu));
    }
    int own = request.computeSharePercent(node.totalMiB(gpu));
    return request.swap() && node.computeFree(gpu) < own ? node.computeFree(gpu) : GpuShare.UNSET;
  }

  /** Which sentence explains a failure; with its figures it is the memo key. */
  private enum Reason {
    INVALID(true),
    NO_GPUS(true),
    TOO_FEW_GPUS(true),
    MEMORY_UNKNOWN(true),
    NONE_LARGE_ENOUGH(true),
    TOO_FEW_LARGE_ENOUGH(true),
    WHOLE_BUSY(false),
    NO_ROOM(false),
    TOO_FEW_FREE(false),
    LARGEST_FREE(false),
    COMPUTE_TAKEN(false),
    COMPUTE_TOO_FEW(false),
    SWAP_SHORT(false);

    final boolean unresolvable;

    Reason(boolean unresolvable) {
      this.unresolvable = unresolvable;
    }
  }

  /**
   * The failure for a reason and the figures its sentence prints, built only the first time the
   * memo sees them. {@code a} is below 2^24 (MiB are capped by {@link
   * WellKnown#MAX_GPU_MEMORY_MIB}); {@code b}, {@code c}, {@code d} are GPU counts or indices, at
   * most {@link dev.tessera.extender.model.GpuNode#MAX_GPUS} (below 2^7). So reason and figures
   * pack into one long without collisions.
   */
  private static Refusal failure(
      FailureMemo memo, GpuRequest request, Reason reason, long a, long b, long c, long d) {
    long key = ((long) reason.ordinal() << 52) | (a << 24) | (b << 14) | (c << 7) | d;
    Refusal known = memo.get(key);
    if (known != null) {
      return known;
    }
    return memo.put(key, new Refusal(text(request, reason, a, b, c, d), reason.unresolvable,
        reason == Reason.INVALID ? ReasonClass.INVALID_REQUEST : ReasonClass.INSUFFICIENT_GPU));
  }

  private static String text(GpuRequest request, Reason reason, long a, long b, long c, long d) {
    String needs = "needs " + request.describe() + "; ";
    return switch (reason) {
      case INVALID -> request.invalidReason();
      case NO_GPUS -> "node has no GPUs";
      case TOO_FEW_GPUS -> needs + "node has only " + gpuCount(a);
      case MEMORY_UNKNOWN ->
          "GPU memory size unknown on this node (no " + WellKnown.GFD_MEMORY_MIB
              + " label or agent report); fractional requests need it";
      case NONE_LARGE_ENOUGH -> needs + "no GPU here is that large (the largest has " + a + " MiB)";
      case TOO_FEW_LARGE_ENOUGH -> needs + "only " + gpuCount(a) + " here " + (a == 1 ? "is" : "are") + " that large";
      case WHOLE_BUSY -> {
        long free = a & 0x7F;
        long unhealthy = a >>> 7;
        yield needs + free + " of " + d + " free (" + b + " held whole, " + c + " shared by fractions"
            + (unhealthy == 0 ? "" : ", " + unhealthy + " unhealthy") + ")";
      }
      case NO_ROOM -> needs + "no GPU has room (" + c + " of " + d + " in use, none with free memory)";
      case TOO_FEW_FREE -> needs + "only " + gpuCount(a) + " " + (a == 1 ? "has" : "have") + " that free";
      case LARGEST_FREE ->
          needs + "largest free is "
              + (request.kind() == GpuRequest.Kind.FRACTION ? GpuRequest.hundredthsText(a) : a + " MiB")
              + " on GPU " + d;
      case COMPUTE_TAKEN ->
          needs + "GPU " + d + " has the memory but not the compute: its paced pods are guaranteed " + a
              + "% of it and this pod needs " + c + "% (set " + WellKnown.COMPUTE_SHARE + " lower, or \""
              + WellKnown.COMPUTE_SHARE_NONE + "\" to run unpaced)";
      case COMPUTE_TOO_FEW ->
          needs + "only " + gpuCount(a) + " with the memory " + (a == 1 ? "has" : "have") + " " + c
              + "% of compute left to guarantee";
      case SWAP_SHORT ->
          needs + "no GPU has room for it, even with the " + a + " MiB of GPU memory swap the node has left";
    };
  }

  private static Refusal explainWhole(NodeState node, GpuRequest request, FailureMemo memo) {
    int gpus = node.gpuCount();
    if (gpus == 0) {
      return failure(memo, request, Reason.NO_GPUS, 0, 0, 0, 0);
    }
    if (request.devices() > gpus) {
      return failure(memo, request, Reason.TOO_FEW_GPUS, gpus, 0, 0, 0);
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
    // Free and unhealthy counts (each at most 64) share the 24-bit figure.
    long freeAndUnhealthy = node.freeWholeGpus() | ((long) node.unhealthyGpus() << 7);
    return failure(memo, request, Reason.WHOLE_BUSY, freeAndUnhealthy, heldWhole, shared, gpus);
  }

  private static Refusal explainShared(NodeState node, GpuRequest request, FailureMemo memo) {
    int gpus = node.gpuCount();
    if (gpus == 0) {
      return failure(memo, request, Reason.NO_GPUS, 0, 0, 0, 0);
    }
    if (request.devices() > gpus) {
      return failure(memo, request, Reason.TOO_FEW_GPUS, gpus, 0, 0, 0);
    }
    long uniformNeed = uniformNeedMiB(node, request);
    int uniformShare = uniformShare(node, request);
    long swapRoom = request.swap() ? node.swapRoomMiB() : 0;
    int fitting = 0;
    int fittingBoth = 0;
    int couldEverFit = 0;
    int memoryKnown = 0;
    int largestFreeGpu = -1;
    long largestFree = -1;
    long largestGpu = 0;
    int computeGpu = -1;
    int leastGuaranteed = Integer.MAX_VALUE;
    int shareNeeded = 0;
    for (int i = 0; i < gpus; i++) {
      if (!node.memoryKnown(i)) {
        continue;
      }
      long total = node.totalMiB(i);
      memoryKnown++;
      largestGpu = Math.max(largestGpu, total);
      long need = needMiB(node, request, i, uniformNeed);
      if (need > total) {
        continue;
      }
      couldEverFit++;
      long free = node.freeMiB(i);
      if (free >= need || (swapRoom > 0 && node.sharable(i) && need - free <= swapRoom)) {
        fitting++;
        if (computeFits(node, request, i, uniformShare)) {
          fittingBoth++;
        } else if (node.computeGuaranteed(i) < leastGuaranteed) {
          computeGpu = i;
          leastGuaranteed = node.computeGuaranteed(i);
          shareNeeded = takesWhatIsLeft(request) ? 1
              : uniformShare >= 0 ? uniformShare : request.computeSharePercent(total);
        }
      }
      if (free > largestFree) {
        largestFree = free;
        largestFreeGpu = i;
      }
    }
    if (memoryKnown == 0) {
      return failure(memo, request, Reason.MEMORY_UNKNOWN, 0, 0, 0, 0);
    }
    if (couldEverFit == 0) {
      return failure(memo, request, Reason.NONE_LARGE_ENOUGH, largestGpu, 0, 0, 0);
    }
    if (couldEverFit < request.devices()) {
      return failure(memo, request, Reason.TOO_FEW_LARGE_ENOUGH, couldEverFit, 0, 0, 0);
    }
    if (fitting >= request.devices() && fittingBoth < request.devices()) {
      // The memory is there; the compute is guaranteed to others.
      return request.devices() == 1
          ? failure(memo, request, Reason.COMPUTE_TAKEN, Math.min(leastGuaranteed, MAX_FIGURE), 0, shareNeeded, computeGpu)
          : failure(memo, request, Reason.COMPUTE_TOO_FEW, fittingBoth, 0, shareNeeded, 0);
    }
    if (request.swap() && (swapRoom > 0 || fitting >= request.devices())) {
      // No GPU has the room even with swap (or the GPUs need more of it together than there is).
      return failure(memo, request, Reason.SWAP_SHORT, Math.min(swapRoom, MAX_FIGURE), 0, 0, 0);
    }
    if (largestFree <= 0) {
      return failure(memo, request, Reason.NO_ROOM, 0, 0, gpus - node.freeWholeGpus(), gpus);
    }
    if (request.devices() > 1) {
      return failure(memo, request, Reason.TOO_FEW_FREE, fitting, 0, 0, 0);
    }
    // Keyed by what the sentence shows: a fraction in hundredths, or MiB.
    long shown =
        request.kind() == GpuRequest.Kind.FRACTION
            ? Math.round(100.0 * largestFree / node.totalMiB(largestFreeGpu))
            : largestFree;
    return failure(memo, request, Reason.LARGEST_FREE, shown, 0, 0, largestFreeGpu);
  }

  /**
   * 0..10, higher is better. A pod without GPUs prefers nodes without GPUs (10; GPU nodes 0).
   * Bin-packing puts a shared request on a GPU that already has tenants
   * first (6..10, fuller is better), then on the fullest node (0..5), so whole GPUs stay free;
   * whole requests go to the fullest node. Spreading inverts fullness. A shared request that
   * fits only by the agent taking memory on loan back (killing a borrower's process) scores 0.
   */
  public int score(NodeState node, GpuRequest request) {
    return (int) Math.round(rank(node, request));
  }

  /**
   * {@link #score} before it is rounded to kube-scheduler's integer scale: where filter chooses the
   * node itself, nodes that would score the same (a GPU 0.25 full and one 0.3 full) are still told
   * apart, so bin-packing fills the fullest GPU first.
   */
  public double rank(NodeState node, GpuRequest request) {
    if (!request.wantsGpu()) {
      // A pod without GPUs is best placed where it cannot take a GPU pod's CPU and memory.
      return node.gpuCount() == 0 ? MAX_SCORE : 0;
    }
    if (!fits(node, request)) {
      return 0;
    }
    PlacementStrategy strategy = strategyFor(node);
    int gpus = node.gpuCount();
    if (request.kind() == GpuRequest.Kind.WHOLE) {
      double loadAfter = (node.load() + request.devices()) / gpus;
      return strategy == PlacementStrategy.BINPACK ? scaled(loadAfter) : scaled(1 - loadAfter);
    }
    int gpu;
    int[] chosen = null;
    if (request.devices() == 1 && !request.swap()) {
      gpu = chooseOneShared(node, request, strategy, 0);
    } else {
      chosen = chooseShared(node, request, strategy);
      gpu = chosen[0];
    }
    if (chosen != null && request.swap() && anyOnSwap(node, request, chosen)) {
      // Fits only with host memory standing in for the GPU's: last choice, whatever the strategy.
      return 0;
    }
    boolean reclaims = chosen == null ? takesALoanBack(node, request, gpu) : anyTakesALoanBack(node, request, chosen);
    if (reclaims) {
      // Fits only by killing a borrower's process: last choice, whatever the strategy.
      return 0;
    }
    long total = node.totalMiB(gpu);
    double share = (double) needMiB(request, total) / total;
    double gpuFullAfter = Math.min(1.0, (double) node.usedMiB(gpu) / total + share);
    double nodeLoadAfter = Math.min(1.0, (node.load() + share * request.devices()) / gpus);
    if (strategy == PlacementStrategy.SPREAD) {
      return scaled(1 - (gpuFullAfter + nodeLoadAfter) / 2);
    }
    boolean joinsTenants = chosen == null ? node.sharedTenants(gpu) > 0 : anyShared(node, chosen);
    if (joinsTenants) {
      // Rounding 6 + 4x gives 6..10; keep below 10.5 so the rounded score never passes 10.
      return 6 + 4 * gpuFullAfter;
    }
    return 5 * nodeLoadAfter;
  }

  /** The GPUs the pod gets on this node, or null when it does not fit. */
  public GpuAssignment pick(NodeState node, GpuRequest request) {
    if (!request.wantsGpu() || !fits(node, request)) {
      return null;
    }
    List<GpuShare> shares = new ArrayList<>(request.devices());
    if (request.kind() == GpuRequest.Kind.WHOLE) {
      for (int i = 0; i < node.gpuCount() && shares.size() < request.devices(); i++) {
        if (!node.heldWhole(i) && node.sharedTenants(i) == 0 && node.healthy(i)) {
          GpuDevice gpu = node.gpu(i);
          shares.add(new GpuShare(i, gpu.uuid(), gpu.memoryMiB(), 1.0));
        }
      }
      return new GpuAssignment(node.name(), true, shares);
    }
    for (int i : chooseShared(node, request, strategyFor(node))) {
      GpuDevice gpu = node.gpu(i);
      long need = needMiB(request, gpu.memoryMiB());
      double fraction =
          request.kind() == GpuRequest.Kind.FRACTION
              ? request.fraction()
              : Math.min(1.0, (double) need / gpu.memoryMiB());
      // The limit rides along for the node agent; the ledger counts only what the pod needs.
      long limit = Math.max(need, request.limitMiBPerDevice(gpu.memoryMiB()));
      int computeShare = computeShareOn(node, request, i);
      long swap = request.swap() ? Math.max(0, need - node.freeMiB(i)) : 0;
      shares.add(new GpuShare(i, gpu.uuid(), need, limit, fraction, computeShare, swap));
    }
    return new GpuAssignment(node.name(), false, shares);
  }

  /** Memory a shared request takes on a GPU this large; at least 1 MiB so tiny fractions count. */
  static long needMiB(GpuRequest request, long gpuMemoryMiB) {
    return Math.max(1, request.mibPerDevice(gpuMemoryMiB));
  }

  /**
   * The request's need on every GPU of a uniform node, worked out once for the node rather than
   * once per GPU; 0 when the node's sizes differ or are unknown (needs are at least 1 MiB).
   */
  private static long uniformNeedMiB(NodeState node, GpuRequest request) {
    long uniform = node.uniformMemoryMiB();
    return uniform > 0 ? needMiB(request, uniform) : 0;
  }

  /** The need on GPU {@code gpu}, given {@link #uniformNeedMiB} for its node. */
  private static long needMiB(NodeState node, GpuRequest request, int gpu, long uniformNeed) {
    return uniformNeed > 0 ? uniformNeed : needMiB(request, node.totalMiB(gpu));
  }

  /**
   * The best GPU for a shared request, skipping those {@code excluded} names: first one where the
   * pod fits without a loan being taken back (the agent would kill a borrower's process), then best fit
   * (least free that is enough) when bin-packing, most free when spreading; lowest index breaks
   * ties. -1 if none. Bit i of {@code excluded} set: skip GPU i.
   */
  private static int chooseOneShared(
      NodeState node, GpuRequest request, PlacementStrategy strategy, long excluded) {
    long uniformNeed = uniformNeedMiB(node, request);
    int uniformShare = uniformShare(node, request);
    int best = -1;
    long bestFree = 0;
    boolean bestUnlent = false;
    for (int i = 0; i < node.gpuCount(); i++) {
      if ((excluded & (1L << i)) != 0) {
        continue;
      }
      if (!node.memoryKnown(i)) {
        continue;
      }
      long free = node.freeMiB(i);
      long need = needMiB(node, request, i, uniformNeed);
      if (free < need || !computeFits(node, request, i, uniformShare)) {
        continue;
      }
      boolean unlent = node.unlentFreeMiB(i) >= need;
      boolean better =
          best < 0
              || (unlent != bestUnlent
                  ? unlent
                  : strategy == PlacementStrategy.BINPACK ? free < bestFree : free > bestFree);
      if (better) {
        best = i;
        bestFree = free;
        bestUnlent = unlent;
      }
    }
    return best;
  }

  /** True when the pod would fit on {@code gpu} only by the agent taking a loan back. */
  private static boolean takesALoanBack(NodeState node, GpuRequest request, int gpu) {
    return node.unlentFreeMiB(gpu) < needMiB(request, node.totalMiB(gpu));
  }

  /**
   * The GPUs for a shared request: those it fits outright first, by strategy; then, for a swap
   * request, those needing the least of the node's swap while it lasts.
   */
  private static int[] chooseShared(NodeState node, GpuRequest request, PlacementStrategy strategy) {
    int[] chosen = new int[request.devices()];
    long taken = 0; // bit i set: GPU i already chosen (GpuNode caps a node at 64 GPUs)
    long room = node.swapRoomMiB();
    long uniformNeed = uniformNeedMiB(node, request);
    int uniformShare = uniformShare(node, request);
    for (int k = 0; k < chosen.length; k++) {
      int next = chooseOneShared(node, request, strategy, taken);
      if (next < 0 && request.swap()) {
        next = leastSwap(node, request, taken, room, uniformNeed, uniformShare);
        if (next >= 0) {
          room -= swapNeedMiB(node, request, next, uniformNeed);
        }
      }
      if (next < 0) {
        throw new IllegalStateException("checked fit but found only " + k + " GPUs on " + node.name());
      }
      chosen[k] = next;
      taken |= 1L << next;
    }
    return chosen;
  }

  private static boolean anyOnSwap(NodeState node, GpuRequest request, int[] gpus) {
    for (int gpu : gpus) {
      if (node.freeMiB(gpu) < needMiB(request, node.totalMiB(gpu))) {
        return true;
      }
    }
    return false;
  }

  private static boolean anyTakesALoanBack(NodeState node, GpuRequest request, int[] gpus) {
    for (int gpu : gpus) {
      if (takesALoanBack(node, request, gpu)) {
        return true;
      }
    }
    return false;
  }

  private static boolean anyShared(NodeState node, int[] gpus) {
    for (int gpu : gpus) {
      if (node.sharedTenants(gpu) > 0) {
        return true;
      }
    }
    return false;
  }

  private static double scaled(double zeroToOne) {
    return Math.max(0, Math.min(1, zeroToOne)) * MAX_SCORE;
  }

  private static String gpuCount(long n) {
    return n + (n == 1 ? " GPU" : " GPUs");
  }

}
