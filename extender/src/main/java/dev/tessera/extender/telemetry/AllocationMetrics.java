package dev.tessera.extender.telemetry;

import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.ledger.PodIndex;
import dev.tessera.extender.model.Project;
import dev.tessera.extender.scheduling.Allocation;
import dev.tessera.extender.scheduling.ClusterSnapshot;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.scheduling.PolicySnapshot;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * GPUs held per pod and per workload, fractions counted by their share.
 *
 * <ul>
 *   <li>{@code tessera_pod_allocated_gpus{namespace, pod, node, project, pool}}: one series per pod
 *       holding GPUs (assumed or bound), read from the latest snapshot when scraped. Bounded: by
 *       the pods that hold GPUs (at most GPUs times tenants per GPU), and at most {@code
 *       maxPodSeries} of them; pods past that get none, {@code tessera_pod_series_omitted} says how
 *       many, and their GPUs still count in the per-workload, per-node and per-project series.
 *   <li>{@code tessera_workload_allocated_gpus{namespace, workload, kind, project, pool}}: the GPUs
 *       of the pods labelled {@code tessera.dev/workload} (and {@code tessera.dev/workload-kind}),
 *       summed at each {@link #update}; one series per running workload and pool.
 * </ul>
 *
 * Pods outside every project are labelled {@code project="(none)"}. {@link #update} runs on one
 * thread, off the scheduling path.
 */
public final class AllocationMetrics {
  static final String POD = "tessera.pod.allocated.gpus";
  static final String WORKLOAD = "tessera.workload.allocated.gpus";
  static final String OMITTED = "tessera.pod.series.omitted";
  /** The project label of pods in namespaces no project owns; never a Kubernetes name. */
  public static final String NO_PROJECT = "(none)";

  private record PodSeries(String uid, String namespace, String pod, String node, String project, String pool) {}

  private record WorkloadKey(String namespace, String workload, String kind, String project, String pool) {}

  private final MeterRegistry registry;
  private final Supplier<ClusterSnapshot> ledger;
  private final Supplier<PolicySnapshot> policy;
  private final Function<String, PodIndex.IndexedPod> pods;
  private final int maxPodSeries;
  private final GaugeSet<PodSeries> podGauges;
  private final GaugeSet<WorkloadKey> workloadGauges;
  /** The workloads' GPUs as of the last update; replaced whole. */
  private volatile Map<WorkloadKey, Double> workloadGpus = Map.of();
  private volatile int omitted;

  /**
   * @param pods the indexed pod by UID, or null ({@link PodIndex#get}); must not block
   * @param maxPodSeries the most per-pod series kept
   */
  public AllocationMetrics(
      MeterRegistry registry,
      Supplier<ClusterSnapshot> ledger,
      Supplier<PolicySnapshot> policy,
      Function<String, PodIndex.IndexedPod> pods,
      int maxPodSeries) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.ledger = Objects.requireNonNull(ledger, "ledger");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.pods = Objects.requireNonNull(pods, "pods");
    if (maxPodSeries < 0) {
      throw new IllegalArgumentException("maxPodSeries must be >= 0, was " + maxPodSeries);
    }
    this.maxPodSeries = maxPodSeries;
    this.podGauges = new GaugeSet<>(registry, this::registerPod);
    this.workloadGauges = new GaugeSet<>(registry, this::registerWorkload);
    Gauge.builder(OMITTED, this, m -> m.omitted)
        .description("Pods holding GPUs left without a tessera_pod_allocated_gpus series (over the cap)")
        .register(registry);
  }

  /** Sums the workloads' GPUs and brings the per-pod and per-workload series in line. */
  public void update() {
    ClusterSnapshot snapshot = ledger.get();
    PolicySnapshot policyNow = policy.get();
    List<PodSeries> holding = new java.util.ArrayList<>();
    Map<WorkloadKey, Double> byWorkload = new HashMap<>();
    snapshot.forEach(node -> {
      for (Allocation allocation : node.allocations().values()) {
        String namespace = allocation.pod().namespace();
        String project = projectOf(policyNow, namespace);
        String pool = node.node().pool();
        holding.add(new PodSeries(allocation.pod().uid(), namespace, allocation.pod().name(), node.name(), project, pool));
        PodIndex.IndexedPod indexed = pods.apply(allocation.pod().uid());
        if (indexed != null && indexed.workload() != null) {
          byWorkload.merge(new WorkloadKey(namespace, indexed.workload().name(), indexed.workload().kindLabel(),
              project, pool), gpus(allocation), Double::sum);
        }
      }
    });
    // Pods that have a series keep it; new ones get one while there is room under the cap.
    Set<PodSeries> keep = new HashSet<>();
    List<PodSeries> waiting = new java.util.ArrayList<>();
    for (PodSeries pod : holding) {
      (podGauges.contains(pod) ? keep : waiting).add(pod);
    }
    int room = Math.max(0, maxPodSeries - keep.size());
    for (int i = 0; i < waiting.size() && i < room; i++) {
      keep.add(waiting.get(i));
    }
    omitted = holding.size() - keep.size();
    podGauges.retain(keep);
    workloadGpus = Map.copyOf(byWorkload);
    workloadGauges.retain(byWorkload.keySet());
  }

  /** Pods holding GPUs left without a series at the last update. */
  int omitted() {
    return omitted;
  }

  static String projectOf(PolicySnapshot policy, String namespace) {
    Project project = policy.projectOf(namespace);
    return project == null ? NO_PROJECT : project.name();
  }

  /** The GPUs an allocation holds, fractions by their share. */
  static double gpus(Allocation allocation) {
    double sum = 0;
    for (GpuShare share : allocation.assignment().shares()) {
      sum += share.fraction();
    }
    return sum;
  }

  private List<Meter> registerPod(PodSeries key) {
    return List.of(Gauge.builder(POD, this, m -> m.podGpus(key))
        .description("GPUs the pod holds, fractions counted by their share")
        .tag("namespace", key.namespace())
        .tag("pod", key.pod())
        .tag("node", key.node())
        .tag("project", key.project())
        .tag("pool", key.pool())
        .strongReference(true)
        .register(registry));
  }

  private double podGpus(PodSeries key) {
    NodeState node = ledger.get().node(key.node());
    Allocation allocation = node == null ? null : node.allocations().get(key.uid());
    return allocation == null ? Double.NaN : gpus(allocation);
  }

  private List<Meter> registerWorkload(WorkloadKey key) {
    return List.of(Gauge.builder(WORKLOAD, this, m -> m.workloadGpus.getOrDefault(key, 0.0))
        .description("GPUs the workload's pods hold in the pool, fractions counted by their share")
        .tag("namespace", key.namespace())
        .tag("workload", key.workload())
        .tag("kind", key.kind())
        .tag("project", key.project())
        .tag("pool", key.pool())
        .strongReference(true)
        .register(registry));
  }
}
