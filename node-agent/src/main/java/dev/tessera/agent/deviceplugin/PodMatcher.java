package dev.tessera.agent.deviceplugin;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.agent.gpu.GpuBackend;
import dev.tessera.agent.gpu.GpuInfo;
import dev.tessera.agent.kube.KubeApi;
import dev.tessera.agent.kube.KubeApiException;
import dev.tessera.agent.kube.NodePods;
import dev.tessera.agent.kube.PodInfo;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Matches kubelet's {@code Allocate} calls, which carry no pod identity, to the pods bound to this
 * node, and marks each matched pod {@value PodAnnotations#GPU_ALLOCATED} so that the next call
 * picks another one. Which pod wins is {@link PodSelector}'s decision; this class keeps the pods
 * ({@link NodePods}: a watch on {@code spec.nodeName=<node>}) and makes the claim atomic.
 *
 * <h2>The race</h2>
 *
 * Two pods bound to this node may start at the same time, and nothing in {@code Allocate} says
 * which one a call is for. Claims are made under one node-local lock and remembered in memory at
 * once (the annotation written afterwards may take a moment to come back through the watch),
 * so two calls never get the same pod: each gets a different pod's GPUs, and no GPU is handed out
 * twice beyond what the extender decided. What the lock cannot guarantee is that each container
 * gets <em>its own</em> pod's GPUs: with two pods starting together, the oldest bind goes to
 * whichever call arrives first. kubelet admits pods one at a time, mostly in the order they were
 * bound, and the preference for a pod holding as many GPUs as the call asks for separates most
 * mixed cases; when two pods of the same size swap, each still runs on GPUs reserved for a pod of
 * its size, but the annotations (and the memory limits of shared GPUs) describe the other pod.
 * See docs/decisions.md, "Device plugin: matching Allocate to a pod".
 *
 * <p>When the watched copy has no candidate (kubelet may see a fresh binding before our watch does),
 * the pods of this node are listed from the API server once more before the call is refused.
 * If writing the annotation fails, the claim still stands in this process and the call succeeds
 * (a failed pod start is worse than a missing mark); the pod is then Running by the time anyone
 * could match it again, and running pods are never candidates.
 *
 * <p>Only one container per pod can ask for the resource: the whole assignment goes to the first
 * {@code Allocate} for the pod.
 */
public final class PodMatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PodMatcher.class);
  /** A fallback listing inside an Allocate call: kubelet waits for the answer. */
  private static final Duration LIST_TIMEOUT = Duration.ofSeconds(10);

  private final KubeApi api;
  private final String nodeName;
  private final GpuBackend gpus;
  private final Clock clock;
  private final PodSelector selector;
  private final NodePods pods;
  private final Consumer<PodRef> podGone;

  /** Makes select-and-claim atomic across concurrent Allocate calls. */
  private final ReentrantLock claimLock = new ReentrantLock();
  /** Guarded by claimLock: UIDs of pods this process matched; dropped when the pod is deleted. */
  private final Set<String> claimed = new HashSet<>();

  /**
   * @param api the API server; needs list/watch on pods and patch on pods
   * @param nodeName this node; only pods with this {@code spec.nodeName} are considered
   * @param resourceName the resource kubelet allocates, to point out pods that ask for it without
   *     an assignment
   * @param gpus this node's GPUs, to resolve assignment indices to UUIDs
   * @param clock the time written into {@value PodAnnotations#GPU_ALLOCATED}
   */
  public PodMatcher(KubeApi api, String nodeName, String resourceName, GpuBackend gpus, Clock clock) {
    this(api, nodeName, resourceName, gpus, clock, pod -> {});
  }

  /** @param podGone told of each pod of this node that was deleted, on the watch's thread */
  public PodMatcher(
      KubeApi api,
      String nodeName,
      String resourceName,
      GpuBackend gpus,
      Clock clock,
      Consumer<PodRef> podGone) {
    this.podGone = Objects.requireNonNull(podGone, "podGone");
    this.api = Objects.requireNonNull(api, "api");
    this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
    this.gpus = Objects.requireNonNull(gpus, "gpus");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.selector = new PodSelector(nodeName, resourceName);
    this.pods = new NodePods(api, nodeName);
    pods.addDeleteListener(this::forget);
  }

  /**
   * Lists the pods of this node and starts watching them.
   *
   * @throws IllegalStateException saying what to check, if the pods could not be listed in time
   */
  public void start(Duration syncTimeout) {
    try {
      pods.start(syncTimeout);
    } catch (KubeApiException e) {
      pods.close();
      String cause = e.getCause() instanceof HttpTimeoutException ? " within " + syncTimeout : ": " + e.getMessage();
      throw new IllegalStateException(
          "could not list the pods of node " + nodeName + cause + ". Check the API server address,"
              + " the agent's credentials and its RBAC (list, watch and patch pods)",
          e);
    }
    log.info("watching the pods bound to node {}: {} there now", nodeName, pods.list().size());
  }

  /**
   * Picks the pod this {@code Allocate} is for, claims it, and marks it allocated in the API.
   *
   * @return the claim, or why there is none (nothing is claimed then)
   */
  public Selection claim(int requestedDevices) {
    Selection selection;
    claimLock.lock();
    try {
      selection = select(requestedDevices);
      if (selection instanceof Selection.Found found) {
        claimed.add(found.claim().pod().uid());
      }
    } finally {
      claimLock.unlock();
    }
    if (selection instanceof Selection.Found found) {
      if (!found.countMatches()) {
        log.info(
            "no pending pod holds exactly {} GPU(s) as kubelet asked; matched {}, the oldest bind,"
                + " which holds {}",
            requestedDevices, found.claim().pod(), found.claim().gpus().size());
      }
      markAllocated(found.claim().pod());
    }
    return selection;
  }

  /** Which pod {@link #claim} would pick now, without claiming it (for GetPreferredAllocation). */
  public Selection peek(int requestedDevices) {
    claimLock.lock();
    try {
      return selector.select(pods.list(), requestedDevices, Set.copyOf(claimed), inventory());
    } finally {
      claimLock.unlock();
    }
  }

  @Override
  public void close() {
    pods.close();
  }

  /** Under claimLock. */
  private Selection select(int requestedDevices) {
    List<GpuInfo> inventory = inventory();
    Selection selection = selector.select(pods.list(), requestedDevices, claimed, inventory);
    if (selection instanceof Selection.Found) {
      return selection;
    }
    // kubelet may learn of a binding before our watch delivers it: ask the API server itself.
    try {
      Map<String, PodInfo> byUid = new LinkedHashMap<>();
      for (PodInfo pod : pods.list()) {
        byUid.put(pod.uid(), pod);
      }
      for (PodInfo pod : api.listPods(nodeName, LIST_TIMEOUT).pods()) {
        if (pod.uid() != null) {
          byUid.put(pod.uid(), pod);
        }
      }
      return selector.select(byUid.values(), requestedDevices, claimed, inventory);
    } catch (KubeApiException e) {
      log.warn(
          "could not list the pods of node {} from the API server ({}); answering from the"
              + " informer's copy only",
          nodeName, e.getMessage());
      return selection;
    }
  }

  private List<GpuInfo> inventory() {
    return gpus.inventory();
  }

  private void markAllocated(PodRef pod) {
    String now = DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS));
    ObjectNode patch = JsonNodeFactory.instance.objectNode();
    ObjectNode metadata = patch.putObject("metadata");
    metadata.put("uid", pod.uid()); // the API server refuses the patch if the pod was replaced
    metadata.putObject("annotations").put(PodAnnotations.GPU_ALLOCATED, now);
    try {
      api.patchPod(pod.namespace(), pod.name(), patch.toString());
    } catch (KubeApiException e) {
      log.warn(
          "pod {} got its GPUs, but marking it {} failed: {}. This agent will not match it again;"
              + " if the agent restarts before the pod runs, another container could be matched to"
              + " it. Check that the agent may patch pods",
          pod, PodAnnotations.GPU_ALLOCATED, e.getMessage());
    }
  }

  /** Forgets the claim of a deleted pod, so the set stays as small as the node's pod list. */
  private void forget(PodInfo pod) {
    claimLock.lock();
    try {
      claimed.remove(pod.uid());
    } finally {
      claimLock.unlock();
    }
    podGone.accept(new PodRef(pod.namespace(), pod.name(), pod.uid()));
  }
}
