package dev.tessera.agent.deviceplugin;

import dev.tessera.agent.gpu.GpuInfo;
import dev.tessera.agent.kube.PodInfo;
import dev.tessera.api.WellKnown;
import dev.tessera.api.assignment.AssignmentCodec;
import dev.tessera.api.assignment.ComputeShares;
import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.api.assignment.GpuShare;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Decides which pod an {@code Allocate} is for, from pods and this node's GPUs; no I/O, no state.
 *
 * <p>A candidate is a pod bound to this node that asks for this plugin's resource, still Pending (kubelet allocates devices while it
 * admits the pod, before any container runs), not being deleted, not yet allocated (no {@value
 * PodAnnotations#GPU_ALLOCATED} and not claimed by this process), with a valid {@value
 * PodAnnotations#GPU_ASSIGNMENT} for this node whose GPUs this node has. Among candidates the
 * oldest bind wins (the {@code PodScheduled} condition's time, then the creation time, then
 * namespace/name), preferring a pod that holds as many GPUs as kubelet asked devices for.
 *
 * <p>When nothing matches, the {@link Selection.NotFound} names the pods that looked close (asking
 * for the resource without an assignment, with a broken assignment, one for another node...) so
 * that the error kubelet shows on the pod says what to fix.
 */
final class PodSelector {
  private static final long MIB = 1024L * 1024;
  /** Enough to find the culprit without an error message the size of the node. */
  private static final int MAX_DETAILS = 8;

  private final String nodeName;
  private final String resourceName;

  PodSelector(String nodeName, String resourceName) {
    this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
    this.resourceName = Objects.requireNonNull(resourceName, "resourceName");
  }

  /**
   * @param pods pods as the watch (or a fresh listing) has them; pods of other nodes are ignored
   * @param requestedDevices how many device IDs kubelet passed for the container
   * @param claimedUids pods this process already matched, whose annotation may not be visible yet
   * @param inventory this node's GPUs
   */
  Selection select(
      Collection<PodInfo> pods, int requestedDevices, Set<String> claimedUids, List<GpuInfo> inventory) {
    Map<Integer, GpuInfo> byIndex = new HashMap<>();
    Map<String, GpuInfo> byUuid = new HashMap<>();
    for (GpuInfo gpu : inventory) {
      byIndex.put(gpu.index(), gpu);
      byUuid.put(gpu.uuid(), gpu);
    }
    List<Candidate> candidates = new ArrayList<>();
    List<String> details = new ArrayList<>();
    int allocated = 0;
    for (PodInfo pod : pods) {
      if (!nodeName.equals(pod.nodeName()) || pod.uid() == null) {
        continue;
      }
      PodRef ref = new PodRef(pod.namespace(), pod.name(), pod.uid());
      String phase = pod.phase();
      if (pod.deletionTimestamp() != null || !(phase == null || "Pending".equals(phase))) {
        continue; // running, finished or going away: kubelet is not admitting it
      }
      Map<String, String> annotations = pod.annotations();
      if (annotations.containsKey(PodAnnotations.GPU_ALLOCATED) || claimedUids.contains(ref.uid())) {
        allocated++;
        continue;
      }
      if (!asksForResource(pod)) {
        // kubelet calls this plugin only for containers asking for its resource: whole-GPU pods
        // and fractional pods are told apart by which of the two plugins is admitting them.
        continue;
      }
      String text = annotations.get(PodAnnotations.GPU_ASSIGNMENT);
      if (text == null) {
        details.add(ref + " asks for " + resourceName + " but has no " + PodAnnotations.GPU_ASSIGNMENT
            + " (its schedulerName is " + pod.schedulerName() + "; it must be tessera-scheduler)");
        continue;
      }
      AssignmentCodec.Decoded read = AssignmentCodec.decode(text);
      if (read instanceof AssignmentCodec.Decoded.Invalid invalid) {
        details.add(ref + " has an unusable " + PodAnnotations.GPU_ASSIGNMENT + ": " + invalid.message());
        continue;
      }
      GpuAssignment assignment = ((AssignmentCodec.Decoded.Ok) read).assignment();
      if (!nodeName.equals(assignment.node())) {
        details.add(ref + " is bound to " + nodeName + " but its assignment is for node " + assignment.node());
        continue;
      }
      List<VisibleGpu> gpus = new ArrayList<>();
      ComputeShares.Setting computeShare = ComputeShares.parse(annotations.get(WellKnown.COMPUTE_SHARE));
      String problem = resolve(assignment, computeShare, byIndex, byUuid, gpus);
      if (problem != null) {
        details.add(ref + ": " + problem);
        continue;
      }
      // The order the container's CUDA will number them in (PCI bus order: see ContainerSettings),
      // so that the library's limit, usage file and GPU for ordinal i all mean the same GPU.
      gpus.sort(Comparator.comparingInt(VisibleGpu::index));
      List<String> annotationProblems = List.of();
      if (computeShare instanceof ComputeShares.Setting.Invalid invalid && !assignment.exclusive()) {
        annotationProblems = List.of(invalid.reason() + "; it is ignored, and the pod is guaranteed "
            + gpus.stream().map(g -> g.paced() ? g.computeSharePercent() + "%" : "all")
                .collect(Collectors.joining(", "))
            + (gpus.size() == 1 ? " of its GPU's compute" : " of its GPUs' compute")
            + " while others want it");
      }
      candidates.add(new Candidate(
          new PodClaim(ref, gpuContainer(pod), assignment.exclusive(), gpus, annotationProblems),
          bindTime(pod), created(pod)));
    }

    if (!candidates.isEmpty()) {
      candidates.sort(OLDEST_BIND_FIRST);
      for (Candidate candidate : candidates) {
        if (candidate.claim.gpus().size() == requestedDevices) {
          return new Selection.Found(candidate.claim, true);
        }
      }
      return new Selection.Found(candidates.get(0).claim, false);
    }
    return new Selection.NotFound(explain(requestedDevices, allocated, details));
  }

  /**
   * Fills {@code out} with the assignment's GPUs as this node has them; the problem, or null. The
   * compute share of a shared GPU is the one placement counted (the assignment's); an assignment
   * from an extender older than compute shares has none, and then the pod's annotation and
   * fraction decide, as they would have.
   */
  private static String resolve(
      GpuAssignment assignment,
      ComputeShares.Setting computeShare,
      Map<Integer, GpuInfo> byIndex,
      Map<String, GpuInfo> byUuid,
      List<VisibleGpu> out) {
    for (GpuShare gpu : assignment.shares()) {
      GpuInfo info = gpu.uuid() != null ? byUuid.get(gpu.uuid()) : byIndex.get(gpu.index());
      if (info == null) {
        String which = gpu.uuid() != null ? "GPU " + gpu.uuid() : "GPU index " + gpu.index();
        return "its assignment names " + which + ", which this node does not have (it has "
            + describe(byIndex.values()) + "); the extender's view of the node is stale or wrong";
      }
      long request = gpu.memoryMiB() * MIB;
      long limit = gpu.limitMiB() * MIB;
      if (request == 0 && !assignment.exclusive()) {
        // The extender knew the node only from labels; take the same share of the real memory.
        request = (long) Math.floor(gpu.fraction() * (info.memoryTotalBytes() / MIB)) * MIB;
        limit = Math.max(limit, request);
        if (request == 0) {
          return "its assignment gives no memory size for shared GPU " + info.uuid()
              + " and this node does not know the GPU's memory either";
        }
      }
      if (assignment.exclusive()) {
        out.add(new VisibleGpu(info.index(), info.uuid(), request, limit));
        continue;
      }
      int share = gpu.computeShare() != GpuShare.UNSET
          ? gpu.computeShare()
          : ComputeShares.of(computeShare, gpu.fraction());
      // 0 (opted out) and 100 both mean: not paced.
      int paced = share == ComputeShares.NOT_PACED ? ComputeShares.WHOLE : share;
      out.add(new VisibleGpu(info.index(), info.uuid(), request, limit, paced, gpu.swapMiB() * MIB));
    }
    return null;
  }

  /** The name of the (one) container that asks for this plugin's resource. */
  private String gpuContainer(PodInfo pod) {
    return pod.containers().stream()
        .filter(c -> c.resources().contains(resourceName))
        .map(PodInfo.ContainerInfo::name)
        .findFirst()
        .orElse("");
  }

  private boolean asksForResource(PodInfo pod) {
    return pod.containers().stream().anyMatch(c -> c.resources().contains(resourceName));
  }

  private String explain(int requestedDevices, int allocated, List<String> details) {
    StringBuilder text = new StringBuilder()
        .append("no pod bound to node ").append(nodeName)
        .append(" is waiting for its GPUs (kubelet asked for ").append(requestedDevices)
        .append(" device(s); ").append(allocated).append(" pending pod(s) here already have theirs)");
    if (!details.isEmpty()) {
      text.append(". Pods that came close: ");
      text.append(String.join("; ", details.subList(0, Math.min(MAX_DETAILS, details.size()))));
      if (details.size() > MAX_DETAILS) {
        text.append("; and ").append(details.size() - MAX_DETAILS).append(" more");
      }
    }
    return text.append(". Check that the pod sets schedulerName: tessera-scheduler and carries a ")
        .append(PodAnnotations.GPU_ASSIGNMENT).append(" annotation for this node (written by the extender")
        .append(" when it binds the pod)")
        .toString();
  }

  private static String describe(Collection<GpuInfo> gpus) {
    if (gpus.isEmpty()) {
      return "no GPUs";
    }
    return gpus.stream().sorted(Comparator.comparingInt(GpuInfo::index))
        .map(g -> g.index() + "=" + g.uuid())
        .reduce((a, b) -> a + ", " + b)
        .map(s -> "GPUs " + s)
        .orElseThrow();
  }

  private static final Comparator<Candidate> OLDEST_BIND_FIRST =
      Comparator.comparing((Candidate c) -> c.boundAt)
          .thenComparing(c -> c.createdAt)
          .thenComparing(c -> c.claim.pod().namespace())
          .thenComparing(c -> c.claim.pod().name());

  /** When the pod was bound: its PodScheduled condition's time, else its creation time. */
  private static Instant bindTime(PodInfo pod) {
    Instant at = instant(pod.scheduledAt());
    return at != null ? at : created(pod);
  }

  private static Instant created(PodInfo pod) {
    Instant at = instant(pod.creationTimestamp());
    return at == null ? Instant.MAX : at; // unknown: last
  }

  private static Instant instant(String text) {
    if (text == null) {
      return null;
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private record Candidate(PodClaim claim, Instant boundAt, Instant createdAt) {}
}
