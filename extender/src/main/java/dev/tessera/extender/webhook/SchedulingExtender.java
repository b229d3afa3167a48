package dev.tessera.extender.webhook;

import dev.tessera.extender.cluster.ClusterCache;
import dev.tessera.extender.cluster.PodEvents;
import dev.tessera.extender.model.GpuAssignment;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.model.WellKnown;
import dev.tessera.extender.scheduling.ClusterSnapshot;
import dev.tessera.extender.scheduling.FailureMemo;
import dev.tessera.extender.scheduling.GpuRequestParser;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.scheduling.Placement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The extender's decisions: filter and prioritize answer from the cache's current snapshot; bind
 * assumes the pod's GPUs in the cache, then writes binding and assignment in one API call, and
 * forgets the assumption if that fails.
 */
public final class SchedulingExtender implements ExtenderHandler {
  private static final Logger log = LoggerFactory.getLogger(SchedulingExtender.class);

  /** Warning event on a fractional pod bound without {@value WellKnown#GPU_SHARE_RESOURCE}. */
  public static final String GPU_SHARE_MISSING = "GpuShareNotRequested";

  static final String UNKNOWN_NODE = "node is not known to the extender yet (its cache has no such node)";

  /**
   * A pod as the bind path needs it, read from the cluster.
   *
   * @param asksForGpuShare some container requests {@value WellKnown#GPU_SHARE_RESOURCE}
   */
  public record PendingPod(PodKey key, GpuRequest request, boolean asksForGpuShare) {}

  /** Finds a pod by namespace and name among those the informers know (pending ones too). */
  @FunctionalInterface
  public interface PodLookup {
    Optional<PendingPod> find(String namespace, String name);
  }

  /** Creates the binding, with the assignment when there is one; returns "" or the failure. */
  @FunctionalInterface
  public interface PodBinder {
    String bind(PodKey pod, String node, GpuAssignment assignmentOrNull);
  }

  private final ClusterCache cache;
  private final Placement placement;
  private final PodLookup pods;
  private final PodBinder binder;
  private final PodEvents events;
  /** One memo per I/O thread: filter runs on the event loops, never two calls on one thread at once. */
  private final ThreadLocal<FailureMemo> memos = ThreadLocal.withInitial(FailureMemo::new);

  public SchedulingExtender(ClusterCache cache, PodLookup pods, PodBinder binder, PodEvents events) {
    this.cache = Objects.requireNonNull(cache, "cache");
    this.placement = cache.placement();
    this.pods = Objects.requireNonNull(pods, "pods");
    this.binder = Objects.requireNonNull(binder, "binder");
    this.events = Objects.requireNonNull(events, "events");
  }

  @Override
  public FilterDecision filter(WirePod pod, List<String> nodeNames) {
    GpuRequest request = requestOf(pod);
    int sent = nodeNames.size();
    if (!request.wantsGpu()) {
      // Nothing of ours to check: CPU-only pods go wherever kube-scheduler's own plugins say.
      return FilterDecision.allPass(sent);
    }
    String[] reasons = new String[sent];
    boolean[] unresolvable = new boolean[sent];
    ClusterSnapshot snapshot = cache.snapshot();
    FailureMemo memo = memos.get().forRequest(request);
    for (int i = 0; i < sent; i++) {
      NodeState node = snapshot.node(nodeNames.get(i));
      if (node == null) {
        reasons[i] = UNKNOWN_NODE;
        continue;
      }
      Placement.Failure failure = placement.check(node, request, memo);
      if (failure != null) {
        reasons[i] = failure.reason();
        unresolvable[i] = failure.unresolvable();
      }
    }
    return new FilterDecision(reasons, unresolvable, "");
  }

  @Override
  public int[] prioritize(WirePod pod, List<String> nodeNames) {
    GpuRequest request = requestOf(pod);
    int[] scores = new int[nodeNames.size()];
    ClusterSnapshot snapshot = cache.snapshot();
    for (int i = 0; i < scores.length; i++) {
      NodeState node = snapshot.node(nodeNames.get(i));
      scores[i] = node == null ? 0 : placement.score(node, request);
    }
    return scores;
  }

  @Override
  public String bind(BindRequest request) {
    Optional<PendingPod> found = pods.find(request.podNamespace(), request.podName());
    if (found.isEmpty()) {
      return "pod " + request.podNamespace() + "/" + request.podName() + " not found";
    }
    PendingPod pod = found.get();
    if (request.podUid() != null
        && !request.podUid().isEmpty()
        && !request.podUid().equals(pod.key().uid())) {
      return "pod " + pod.key() + " has UID " + pod.key().uid() + ", not " + request.podUid()
          + " (it was recreated)";
    }
    if (pod.request().kind() == GpuRequest.Kind.INVALID) {
      return "pod " + pod.key() + ": " + pod.request().invalidReason();
    }
    if (!pod.request().wantsGpu()) {
      return binder.bind(pod.key(), request.node(), null);
    }
    ClusterCache.AssumeResult assumed = cache.assume(pod.key(), request.node(), pod.request());
    if (assumed instanceof ClusterCache.AssumeResult.Refused refused) {
      return refused.reason();
    }
    GpuAssignment assignment = ((ClusterCache.AssumeResult.Assumed) assumed).assignment();
    String error;
    try {
      error = binder.bind(pod.key(), request.node(), assignment);
    } catch (RuntimeException e) {
      cache.forget(pod.key().uid());
      throw e;
    }
    if (!error.isEmpty()) {
      cache.forget(pod.key().uid());
      log.warn("binding {} to {} failed, its GPUs are released: {}", pod.key(), request.node(), error);
      return error;
    }
    events.normal(pod.key(), "GpuAssigned", describe(assignment));
    if (pod.request().shared() && !pod.asksForGpuShare()) {
      // Bound all the same: the pod may be meant for a node without the agent, and refusing would
      // only leave it pending. But on a Tessera node its container gets no GPU, so say so.
      events.warn(
          pod.key(),
          GPU_SHARE_MISSING,
          "the pod asks for a GPU fraction but no container requests " + WellKnown.GPU_SHARE_RESOURCE
              + "; kubelet will not ask the node agent for its GPU and the container will see none."
              + " Add resources.limits: {" + WellKnown.GPU_SHARE_RESOURCE + ": 1} to the GPU container");
    }
    return "";
  }

  @Override
  public Map<String, List<String>> preempt(WirePod pod, Map<String, List<String>> victimUidsByNode) {
    // Until the policy work decides which victims Tessera allows, kube-scheduler's choice stands.
    return new HashMap<>(victimUidsByNode);
  }

  @Override
  public boolean ready() {
    return cache.synced();
  }

  @Override
  public KnownNodeNames knownNodeNames() {
    return (chars, offset, length) -> cache.snapshot().knownName(chars, offset, length);
  }

  private GpuRequest requestOf(WirePod pod) {
    GpuRequest request =
        GpuRequestParser.parse(pod.annotations(), pod.gpuQuantities(), pod.initGpuQuantities());
    if (request.kind() == GpuRequest.Kind.INVALID) {
      events.warn(pod.key(), "InvalidGpuRequest", request.invalidReason());
    }
    return request;
  }

  static String describe(GpuAssignment assignment) {
    StringBuilder text = new StringBuilder("assigned ");
    for (int i = 0; i < assignment.shares().size(); i++) {
      var share = assignment.shares().get(i);
      text.append(i == 0 ? "GPU " : ", GPU ").append(share.index());
      if (!assignment.exclusive()) {
        text.append(" (").append(GpuRequest.fractionText(share.fraction())).append(", ")
            .append(share.memoryMiB()).append(" MiB)");
      }
    }
    return text.append(" on node ").append(assignment.node()).toString();
  }
}
