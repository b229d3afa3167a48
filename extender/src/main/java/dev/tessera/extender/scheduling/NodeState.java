package dev.tessera.extender.scheduling;

import dev.tessera.api.assignment.ComputeShares;
import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.model.GpuDevice;
import dev.tessera.extender.model.GpuNode;
import dev.tessera.extender.model.ObservedGpu;
import dev.tessera.extender.model.PodKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Immutable view of one node's GPUs and who holds what: the per-GPU ledger. Every change makes a
 * new instance; readers never see a half-applied update.
 *
 * <p>Per GPU it keeps memory held by shared tenants, whether someone holds it whole, and how many
 * tenants share it. Held memory may exceed a GPU's size when the cluster itself is over-committed
 * (two schedulers placed on the same GPU): the ledger records what is, and free is then 0. It may
 * also exceed it by what pods were placed on the node's GPU memory swap, which is no
 * over-commitment: the node lends host memory for it.
 *
 * <p>Per GPU it also keeps the compute shares its paced tenants are guaranteed, summed: the
 * ledger's count or the node agent's, whichever is larger. A paced pod fits a GPU only if its share
 * fits beside them.
 */
public final class NodeState {
  private final GpuNode node;
  private final Map<String, Allocation> allocations;
  /*
   * Per-GPU facts copied out of the GpuNode: filter and prioritize read them for every node of
   * every call, and a flat array is one memory access where List -> GpuDevice is several.
   */
  private final int gpuCount;
  /** Per GPU: its memory size, 0 when unknown. */
  private final long[] totalMiB;
  /** Per GPU: false when the node agent reports it unhealthy. */
  private final boolean[] healthy;
  private final long[] sharedMiB;
  /** Per GPU: the shared tenants' limits summed, what they may use together at most. */
  private final long[] sharedLimitMiB;
  private final int[] sharedTenants;
  private final boolean[] exclusive;
  private final int freeWhole;
  /**
   * Per GPU: memory a shared request can still take: what the ledger has not handed out, and no
   * more than the agent measured free; 0 if held whole, unhealthy or of unknown size.
   */
  private final long[] freeMiB;
  /** Per GPU: what is free without taking any loan back (physically free now, by the agent). */
  private final long[] unlentFreeMiB;
  /** GPUs the node agent reports unhealthy: they take no new pod. */
  private final int unhealthy;
  /** The largest of {@link #freeMiB}: a one-GPU shared request fits only if it fits there. */
  private final long maxFreeMiB;
  /** Memory size every GPU of the node has, or 0 when sizes differ or are unknown. */
  private final long uniformMemoryMiB;
  /** Sum over GPUs of how full each is, in [0, gpuCount]: 1 per whole-held GPU, used/total else. */
  private final double load;
  /** GPUs claimed beyond what they have: two whole holders, a whole holder and tenants, or more memory than it has. */
  private final int overcommitted;
  /** Per GPU: compute shares guaranteed to paced tenants, percent: the ledger's or the agent's, the larger. */
  private final int[] computeGuaranteed;
  /** The least compute share left on any GPU: a paced request of at most this fits wherever memory does. */
  private final int minComputeFree;
  /** Per GPU: memory of its tenants placed on the node's swap, MiB. */
  private final long[] swapHeldMiB;
  /** Host memory the node lends to GPU swap not yet placed on, MiB. */
  private final long swapRoomMiB;

  private NodeState(GpuNode node, Map<String, Allocation> allocations) {
    this.node = node;
    this.allocations = allocations;
    int gpus = node.gpuCount();
    this.gpuCount = gpus;
    this.totalMiB = new long[gpus];
    this.healthy = new boolean[gpus];
    this.sharedMiB = new long[gpus];
    this.sharedLimitMiB = new long[gpus];
    this.sharedTenants = new int[gpus];
    this.exclusive = new boolean[gpus];
    this.computeGuaranteed = new int[gpus];
    this.swapHeldMiB = new long[gpus];
    int[] wholeHolders = new int[gpus];
    long swapHeld = 0;
    for (Allocation allocation : allocations.values()) {
      for (GpuShare share : allocation.assignment().shares()) {
        int i = share.index();
        if (i >= gpus) {
          continue; // the node shrank under a bound pod; it no longer has this GPU to account
        }
        if (allocation.assignment().exclusive()) {
          exclusive[i] = true;
          wholeHolders[i]++;
        } else {
          sharedMiB[i] += share.memoryMiB();
          sharedLimitMiB[i] += share.limitMiB();
          sharedTenants[i]++;
          computeGuaranteed[i] += share.computeSharePercent();
          swapHeldMiB[i] += share.swapMiB();
          swapHeld += share.swapMiB();
        }
      }
    }
    this.swapRoomMiB = Math.max(0, node.swapMiB() - swapHeld);
    int minCompute = ComputeShares.WHOLE;
    int free = 0;
    double sum = 0;
    this.freeMiB = new long[gpus];
    this.unlentFreeMiB = new long[gpus];
    long maxFree = 0;
    int sick = 0;
    long uniform = gpus == 0 ? 0 : node.gpus().get(0).memoryMiB();
    for (int i = 0; i < gpus; i++) {
      long total = node.gpus().get(i).memoryMiB();
      ObservedGpu observed = node.hasObservations() ? node.observed().get(i) : null;
      boolean usable = observed == null || observed.healthy();
      totalMiB[i] = total;
      healthy[i] = usable;
      long ledgerFree = exclusive[i] ? 0 : Math.max(0, total - sharedMiB[i]);
      // Memory on loan is the agent's to take back for a new tenant: only what is held narrows.
      long measuredFree = observed == null ? ledgerFree : Math.max(0, total - observed.heldMiB());
      freeMiB[i] = usable ? Math.min(ledgerFree, measuredFree) : 0;
      unlentFreeMiB[i] = observed == null || observed.borrowedMiB() == 0
          ? freeMiB[i]
          : Math.min(freeMiB[i], Math.max(0, total - observed.usedMiB()));
      maxFree = Math.max(maxFree, freeMiB[i]);
      if (observed != null && observed.computeGuaranteedPercent() > computeGuaranteed[i]) {
        // Paced tenants the ledger does not count (placed by another extender, or whose share the
        // agent read otherwise): what the library enforces is what is left.
        computeGuaranteed[i] = observed.computeGuaranteedPercent();
      }
      if (freeMiB[i] > 0) { // a GPU without room takes no shared pod whatever its compute
        minCompute = Math.min(minCompute, computeFree(i));
      }
      if (total != uniform) {
        uniform = 0;
      }
      if (!usable) {
        sick++;
      }
      if (exclusive[i]) {
        sum += 1;
      } else if (sharedTenants[i] == 0) {
        if (usable) {
          free++;
        }
      } else {
        sum += total > 0 ? Math.min(1.0, (double) sharedMiB[i] / total) : 1.0;
      }
    }
    int over = 0;
    for (int i = 0; i < gpus; i++) {
      if (wholeHolders[i] > 1 || (wholeHolders[i] == 1 && sharedTenants[i] > 0)
          || (totalMiB[i] > 0 && sharedMiB[i] > totalMiB[i] + swapHeldMiB[i])) {
        over++;
      }
    }
    this.overcommitted = over;
    this.minComputeFree = minCompute;
    this.maxFreeMiB = maxFree;
    this.unhealthy = sick;
    this.uniformMemoryMiB = uniform;
    this.freeWhole = free;
    this.load = sum;
  }

  public static NodeState empty(GpuNode node) {
    return new NodeState(node, Map.of());
  }

  /** The node with the given allocations, replacing its current ones. */
  public static NodeState of(GpuNode node, Collection<Allocation> allocations) {
    Map<String, Allocation> byUid = new HashMap<>();
    for (Allocation a : allocations) {
      byUid.put(a.pod().uid(), a);
    }
    return new NodeState(node, Collections.unmodifiableMap(byUid));
  }

  /** This node with the allocation added, or replacing the same pod's previous one. */
  public NodeState with(Allocation allocation) {
    Map<String, Allocation> copy = new HashMap<>(allocations);
    copy.put(allocation.pod().uid(), allocation);
    return new NodeState(node, Collections.unmodifiableMap(copy));
  }

  /** This node without the pod's allocation; the same instance if it held none. */
  public NodeState without(String podUid) {
    if (!allocations.containsKey(podUid)) {
      return this;
    }
    Map<String, Allocation> copy = new HashMap<>(allocations);
    copy.remove(podUid);
    return new NodeState(node, Collections.unmodifiableMap(copy));
  }

  /** The same allocations on a new description of the node (labels or GPUs changed). */
  public NodeState withNode(GpuNode newNode) {
    return new NodeState(newNode, allocations);
  }

  public GpuNode node() {
    return node;
  }

  public String name() {
    return node.name();
  }

  public int gpuCount() {
    return gpuCount;
  }

  /** The GPU itself, for what only it knows (UUID, model); read sizes from {@link #totalMiB}. */
  public GpuDevice gpu(int index) {
    return node.gpus().get(index);
  }

  /** The GPU's memory size, or 0 when unknown (as {@link GpuDevice#memoryMiB}). */
  public long totalMiB(int gpu) {
    return totalMiB[gpu];
  }

  /** Whether the GPU's memory size is known: fractions cannot be placed on it otherwise. */
  public boolean memoryKnown(int gpu) {
    return totalMiB[gpu] > 0;
  }

  public Map<String, Allocation> allocations() {
    return allocations;
  }

  /** GPUs with no tenant at all: what a whole-GPU request can take. */
  public int freeWholeGpus() {
    return freeWhole;
  }

  public boolean heldWhole(int gpu) {
    return exclusive[gpu];
  }

  public int sharedTenants(int gpu) {
    return sharedTenants[gpu];
  }

  public long usedMiB(int gpu) {
    return exclusive[gpu] ? totalMiB[gpu] : sharedMiB[gpu];
  }

  /**
   * What the tenants may use together at most: their limits summed, or the GPU's memory if held
   * whole. Above {@link #usedMiB} when dynamic fractions may borrow; it never narrows placement.
   */
  public long limitMiB(int gpu) {
    return exclusive[gpu] ? totalMiB[gpu] : sharedLimitMiB[gpu];
  }

  /** Memory a shared request can still take on this GPU: 0 if held whole or memory unknown. */
  public long freeMiB(int gpu) {
    return freeMiB[gpu];
  }

  /**
   * What a shared request can take on this GPU without the node agent killing a borrower: {@link
   * #freeMiB} less what dynamic fractions borrow there now. Equal to it where nothing is on loan.
   */
  public long unlentFreeMiB(int gpu) {
    return unlentFreeMiB[gpu];
  }

  /**
   * Percent of the GPU's compute not yet guaranteed to a paced tenant: 100 less their shares, by
   * the ledger or the node agent, whichever counts more; 0 if held whole.
   */
  public int computeFree(int gpu) {
    return exclusive[gpu] ? 0 : Math.max(0, ComputeShares.WHOLE - computeGuaranteed[gpu]);
  }

  /** The compute shares the GPU's paced tenants are guaranteed, summed, in percent. */
  public int computeGuaranteed(int gpu) {
    return computeGuaranteed[gpu];
  }

  /**
   * The least {@link #computeFree} of the node's GPUs with free memory: a paced request whose share
   * is no more fits wherever its memory does, so placement need not look at each GPU's compute.
   */
  public int minComputeFree() {
    return minComputeFree;
  }

  /** Memory of the GPU's tenants that placement counted on the node's swap, MiB. */
  public long swapHeldMiB(int gpu) {
    return swapHeldMiB[gpu];
  }

  /**
   * Host memory the node lends to GPU memory swap that no pod was placed on yet, MiB, shared by all
   * its GPUs; 0 when it has no swap or no fresh agent report.
   */
  public long swapRoomMiB() {
    return swapRoomMiB;
  }

  /**
   * Whether a shared request may go on this GPU at all, on swap if need be: its memory size is
   * known, no pod holds it whole, and the agent does not call it unhealthy.
   */
  public boolean sharable(int gpu) {
    return totalMiB[gpu] > 0 && !exclusive[gpu] && healthy[gpu];
  }

  /** False when the node agent reports the GPU unhealthy; true when no agent reports. */
  public boolean healthy(int gpu) {
    return healthy[gpu];
  }

  /** GPUs the node agent reports unhealthy; none when no agent reports. */
  public int unhealthyGpus() {
    return unhealthy;
  }

  /** The most memory a shared request can take on any one GPU of the node. */
  public long maxFreeMiB() {
    return maxFreeMiB;
  }

  /**
   * The memory size all the node's GPUs share, or 0 when they differ or are unknown. Nodes are
   * almost always uniform, which lets a one-GPU fit be decided without visiting each GPU.
   */
  public long uniformMemoryMiB() {
    return uniformMemoryMiB;
  }

  /** How full the node's GPUs are, 0..1: whole-held GPUs count 1, shared ones by memory. */
  public double loadFraction() {
    return gpuCount == 0 ? 0 : load / gpuCount;
  }

  /** Sum of per-GPU fullness, 0..gpuCount (see {@link #loadFraction}). */
  public double load() {
    return load;
  }

  /**
   * GPUs claimed by more than they have: held whole by two pods, held whole and shared, or shared
   * past their memory. The ledger counts every claim (the GPU takes no new pod), but it means two
   * pods were placed on the same capacity, which {@link #overlaps} names.
   */
  public int overcommittedGpus() {
    return overcommitted;
  }

  /** One over-committed GPU and the pods claiming it. */
  public record Overlap(int gpu, long totalMiB, List<PodKey> pods, long claimedMiB) {}

  /** The over-committed GPUs of the node with the pods claiming each; empty when there are none. */
  public List<Overlap> overlaps() {
    if (overcommitted == 0) {
      return List.of();
    }
    List<Overlap> found = new ArrayList<>();
    for (int i = 0; i < gpuCount; i++) {
      List<PodKey> claimants = new ArrayList<>();
      int whole = 0;
      long claimed = 0;
      for (Allocation allocation : allocations.values()) {
        for (GpuShare share : allocation.assignment().shares()) {
          if (share.index() == i) {
            claimants.add(allocation.pod());
            whole += allocation.assignment().exclusive() ? 1 : 0;
            claimed += allocation.assignment().exclusive() ? totalMiB[i] : share.memoryMiB();
          }
        }
      }
      boolean over = whole > 1 || (whole == 1 && claimants.size() > 1)
          || (totalMiB[i] > 0 && claimed > totalMiB[i] + swapHeldMiB[i]);
      if (over) {
        claimants.sort(java.util.Comparator.comparing(PodKey::toString));
        found.add(new Overlap(i, totalMiB[i], List.copyOf(claimants), claimed));
      }
    }
    return found;
  }

  @Override
  public String toString() {
    return "NodeState[" + node.name() + ", gpus=" + node.gpuCount() + ", freeWhole=" + freeWhole
        + ", pods=" + allocations.size() + "]";
  }
}
