package dev.tessera.extender.ledger;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.scheduling.PodTraits;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every live pod that asks for GPUs or belongs to a gang, as the pod informer last saw it, with
 * what scheduling policy needs of it: pending demand per project, gang members, reclaim victims.
 * Written by the informer's thread, read by any; lookups never block.
 */
public final class PodIndex {
  /**
   * One pod.
   *
   * @param node the node it is bound to, or null while pending
   * @param specPriority {@code spec.priority}, or null when the pod has none (its project's default
   *     priority then applies)
   * @param tessera whether kube-scheduler's Tessera profile schedules it
   * @param workload the workload that runs it (labels {@code tessera.dev/workload} and {@code
   *     tessera.dev/workload-kind}), or null
   * @param unschedulable kube-scheduler said it cannot place it ({@code PodScheduled=False},
   *     reason {@code Unschedulable}), perhaps without asking the extender: its own filters refuse a
   *     whole-GPU pod on nodes whose {@code nvidia.com/gpu} is all requested
   */
  public record IndexedPod(
      PodKey key,
      GpuRequest request,
      PodTraits traits,
      String node,
      String phase,
      Integer specPriority,
      Instant created,
      boolean tessera,
      WorkloadRef workload,
      boolean unschedulable) {
    /** Its priority: its own, else {@code projectDefault}. */
    public int priority(int projectDefault) {
      return specPriority != null ? specPriority : projectDefault;
    }

    public boolean pending() {
      return node == null;
    }

    public boolean finished() {
      return "Succeeded".equals(phase) || "Failed".equals(phase);
    }
  }

  /**
   * The workload a pod belongs to, by its labels.
   *
   * @param kindLabel the {@code tessera.dev/workload-kind} value: workspace, training, ...
   */
  public record WorkloadRef(String namespace, String name, String kindLabel) {}

  private final Map<String, IndexedPod> byUid = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> byGang = new ConcurrentHashMap<>();
  private final AtomicLong version = new AtomicLong();

  /** Records the pod's latest state, or forgets it when it neither asks for GPUs nor is in a gang. */
  public void upsert(Pod pod) {
    ObjectMeta meta = pod.getMetadata();
    if (meta == null || meta.getUid() == null || meta.getNamespace() == null) {
      return;
    }
    PodTraits traits = PodRequests.traitsOf(pod);
    GpuRequest request = PodRequests.of(pod);
    String uid = meta.getUid();
    if (!request.wantsGpu() && traits.gang() == null) {
      remove(uid);
      return;
    }
    String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    Integer priority = pod.getSpec() == null ? null : pod.getSpec().getPriority();
    String scheduler = pod.getSpec() == null ? null : pod.getSpec().getSchedulerName();
    IndexedPod indexed = new IndexedPod(
        PodRequests.keyOf(pod),
        request,
        traits,
        node == null || node.isEmpty() ? null : node,
        pod.getStatus() == null ? null : pod.getStatus().getPhase(),
        priority,
        created(meta),
        WellKnown.SCHEDULER_NAME.equals(scheduler),
        workloadOf(meta),
        unschedulable(pod));
    IndexedPod previous = byUid.put(uid, indexed);
    if (previous != null && previous.traits().gang() != null && !previous.traits().gang().equals(traits.gang())) {
      leaveGang(previous.traits().gang(), uid);
    }
    if (traits.gang() != null) {
      byGang.computeIfAbsent(traits.gang(), g -> ConcurrentHashMap.newKeySet()).add(uid);
    }
    version.incrementAndGet();
  }

  private static boolean unschedulable(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return false;
    }
    for (var condition : pod.getStatus().getConditions()) {
      if ("PodScheduled".equals(condition.getType()) && "False".equals(condition.getStatus())
          && "Unschedulable".equals(condition.getReason())) {
        return true;
      }
    }
    return false;
  }

  public void remove(String uid) {
    IndexedPod previous = byUid.remove(uid);
    if (previous != null) {
      if (previous.traits().gang() != null) {
        leaveGang(previous.traits().gang(), uid);
      }
      version.incrementAndGet();
    }
  }

  public IndexedPod get(String uid) {
    return byUid.get(uid);
  }

  /** Members of the gang the API server still has, finished ones included, by name. */
  public List<IndexedPod> gang(String gangKey) {
    Set<String> uids = byGang.get(gangKey);
    if (uids == null) {
      return List.of();
    }
    List<IndexedPod> members = new ArrayList<>(uids.size());
    for (String uid : uids) {
      IndexedPod pod = byUid.get(uid);
      if (pod != null) {
        members.add(pod);
      }
    }
    members.sort((a, b) -> a.key().name().compareTo(b.key().name()));
    return members;
  }

  /** Gangs with at least one member. */
  public Set<String> gangs() {
    return Set.copyOf(byGang.keySet());
  }

  public Collection<IndexedPod> all() {
    return byUid.values();
  }

  /** Changes with every recorded change. */
  public long version() {
    return version.get();
  }

  private void leaveGang(String gang, String uid) {
    byGang.computeIfPresent(gang, (g, members) -> {
      members.remove(uid);
      return members.isEmpty() ? null : members;
    });
  }

  private static WorkloadRef workloadOf(ObjectMeta meta) {
    Map<String, String> labels = meta.getLabels();
    String name = labels == null ? null : labels.get(WORKLOAD_LABEL);
    String kind = labels == null ? null : labels.get(WellKnown.WORKLOAD_KIND_LABEL);
    return name == null || kind == null ? null : new WorkloadRef(meta.getNamespace(), name, kind);
  }

  /** Label the workload controller puts on everything a workload owns. */
  public static final String WORKLOAD_LABEL = WellKnown.WORKLOAD_LABEL;

  /** The pod's creation timestamp; {@link Instant#EPOCH} when it has none or it cannot be read. */
  public static Instant createdOf(Pod pod) {
    return pod.getMetadata() == null ? Instant.EPOCH : created(pod.getMetadata());
  }

  private static Instant created(ObjectMeta meta) {
    String timestamp = meta.getCreationTimestamp();
    if (timestamp == null) {
      return Instant.EPOCH;
    }
    try {
      return Instant.parse(timestamp);
    } catch (DateTimeParseException e) {
      return Instant.EPOCH;
    }
  }
}
