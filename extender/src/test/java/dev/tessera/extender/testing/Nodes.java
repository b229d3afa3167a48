package dev.tessera.extender.testing;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.model.GpuDevice;
import dev.tessera.extender.model.GpuNode;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.scheduling.NodeState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Fluent test builder for {@link GpuNode}, in the style of kube-scheduler's {@code MakeNode()}:
 *
 * <pre>{@code
 * GpuNode n = Nodes.node("a100-1").gpus(8).memoryMiB(81920).strategy(SPREAD).build();
 * NodeState s = Nodes.node("a100-1").gpus(2).ledger().withFraction("p", 0, 0.5).state();
 * }</pre>
 *
 * <p>Defaults: no GPUs, model {@value #DEFAULT_MODEL}, {@value #DEFAULT_MEMORY_MIB} MiB per GPU, UUIDs
 * {@code GPU-<node>-<index>}, no strategy label (the extender's default applies).
 */
public final class Nodes {
  public static final String DEFAULT_MODEL = "NVIDIA-A100-SXM4-80GB";
  public static final long DEFAULT_MEMORY_MIB = 81920;

  private Nodes() {}

  public static Builder node(String name) {
    return new Builder(name);
  }

  /** The UUID the builder gives GPU {@code index} of node {@code name}. */
  public static String uuid(String node, int index) {
    return "GPU-" + node + "-" + index;
  }

  public static final class Builder {
    private final String name;
    private int gpus;
    private String model = DEFAULT_MODEL;
    private long memoryMiB = DEFAULT_MEMORY_MIB;
    private final Map<Integer, Long> memoryOverrides = new HashMap<>();
    private PlacementStrategy strategy;
    private boolean uuids = true;
    private String pool = WellKnown.DEFAULT_POOL;

    private Builder(String name) {
      this.name = name;
    }

    public Builder gpus(int count) {
      this.gpus = count;
      return this;
    }

    public Builder model(String model) {
      this.model = model;
      return this;
    }

    /** Memory of every GPU; 0 means unknown (as when no label or agent report gives it). */
    public Builder memoryMiB(long mib) {
      this.memoryMiB = mib;
      return this;
    }

    /** Memory of one GPU, for nodes with mixed GPUs or one GPU of unknown size. */
    public Builder gpuMemoryMiB(int index, long mib) {
      memoryOverrides.put(index, mib);
      return this;
    }

    public Builder strategy(PlacementStrategy strategy) {
      this.strategy = strategy;
      return this;
    }

    /** The node pool the node is in. */
    public Builder pool(String pool) {
      this.pool = pool;
      return this;
    }

    /** GPUs known only from labels: no UUIDs yet. */
    public Builder noUuids() {
      this.uuids = false;
      return this;
    }

    public GpuNode build() {
      List<GpuDevice> devices = new ArrayList<>(gpus);
      for (int i = 0; i < gpus; i++) {
        devices.add(
            new GpuDevice(
                i, uuids ? uuid(name, i) : null, model, memoryOverrides.getOrDefault(i, memoryMiB)));
      }
      return new GpuNode(name, devices, strategy, List.of(), Map.of(), pool);
    }

    public NodeState empty() {
      return NodeState.empty(build());
    }

    public Ledger ledger() {
      return Ledger.on(build());
    }
  }
}
