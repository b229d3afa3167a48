package dev.tessera.agent.deviceplugin;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.agent.gpu.GpuBackend;
import dev.tessera.agent.gpu.GpuInfo;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.PodResource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Matches kubelet's {@code Allocate} calls, which carry no pod identity, to the pods bound to this
 * node, and marks each matched pod {@value PodAnnotations#GPU_ALLOCATED} so that the next call
 * picks another one. Which pod wins is {@link PodSelector}'s decision; this class keeps the pods
 * (an informer on {@code spec.nodeName=<node>}) and makes the claim atomic.
 *
 * <h2>The race</h2>
 *
 * Two pods bound to this node may start at the same time, and nothing in {@code Allocate} says
 * which one a call is for. Claims are made under one node-local lock and remembered in memory at
 * once (the annotation written afterwards may take a moment to come back through the informer),
 * so two calls never get the same pod: each gets a different pod's GPUs, and no GPU is handed out
 * twice beyond what the extender decided. What the lock cannot guarantee is that each container
 * gets <em>its own</em> pod's GPUs: with two pods starting together, the oldest bind goes to
 * whichever call arrives first. kubelet admits pods one at a time, mostly in the order they were
 * bound, and the preference for a pod holding as many GPUs as the call asks for separates most
 * mixed cases; when two pods of the same size swap, each still runs on GPUs reserved for a pod of
 * its size, but the annotations (and the memory limits of shared GPUs) describe the other pod.
 * See docs/decisions.md, "Device plugin: matching Allocate to a pod".
 *
 * <p>When the informer has no candidate (kubelet may see a fresh binding before our watch does),
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

  private final KubernetesClient client;
  private final String nodeName;
  private final GpuBackend gpus;
  private final Clock clock;
  private final PodSelector selector;
  private final SharedIndexInformer<Pod> informer;
  private final Consumer<PodRef> podGone;

  /** Makes select-and-claim atomic across concurrent Allocate calls. */
  private final ReentrantLock claimLock = new ReentrantLock();
  /** Guarded by claimLock: UIDs of pods this process matched; dropped when the pod is deleted. */
  private final Set<String> claimed = new HashSet<>();

  /**
   * @param client the API server; needs list/watch on pods and patch on pods
   * @param nodeName this node; only pods with this {@code spec.nodeName} are considered
   * @param resourceName the resource kubelet allocates, to point out pods that ask for it without
   *     an assignment
   * @param gpus this node's GPUs, to resolve assignment indices to UUIDs
   * @param clock the time written into {@value PodAnnotations#GPU_ALLOCATED}
   */
  public PodMatcher(KubernetesClient client, String nodeName, String resourceName, GpuBackend gpus, Clock clock) {
    this(client, nodeName, resourceName, gpus, clock, pod -> {});
  }

  /** @param podGone told of each pod of this node that was deleted, on the informer's thread */
  public PodMatcher(
      KubernetesClient client,
      String nodeName,
      String resourceName,
      GpuBackend gpus,
      Clock clock,
      Consumer<PodRef> podGone) {
    this.podGone = Objects.requireNonNull(podGone, "podGone");
    this.client = Objects.requireNonNull(client, "client");
    this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
    this.gpus = Objects.requireNonNull(gpus, "gpus");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.selector = new PodSelector(nodeName, resourceName);
    this.informer = podsOfThisNode().runnableInformer(0);
    informer.addEventHandler(new ForgetDeleted());
  }

  /**
   * Starts the informer and waits for its first listing.
   *
   * @throws IllegalStateException saying what to check, if the pods could not be listed in time
   */
  public void start(Duration syncTimeout) {
    try {
      informer.start().toCompletableFuture().get(syncTimeout.toMillis(), TimeUnit.MILLISECONDS);
      long deadline = System.nanoTime() + syncTimeout.toNanos();
      while (!informer.hasSynced()) {
        if (System.nanoTime() > deadline) {
          throw new TimeoutException();
        }
        Thread.sleep(10);
      }
    } catch (TimeoutException | ExecutionException e) {
      informer.stop();
      String cause = e instanceof ExecutionException ? ": " + e.getCause().getMessage() : " within " + syncTimeout;
      throw new IllegalStateException(
          "could not list the pods of node " + nodeName + cause + ". Check the API server address,"
              + " the agent's credentials and its RBAC (list, watch and patch pods)",
          e instanceof ExecutionException ? e.getCause() : e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      informer.stop();
      throw new IllegalStateException("interrupted while listing the pods of node " + nodeName, e);
    }
    log.info("watching the pods bound to node {}: {} there now", nodeName, informer.getStore().list().size());
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
      return selector.select(informer.getStore().list(), requestedDevices, Set.copyOf(claimed), inventory());
    } finally {
      claimLock.unlock();
    }
  }

  @Override
  public void close() {
    informer.stop();
  }

  /** Under claimLock. */
  private Selection select(int requestedDevices) {
    List<GpuInfo> inventory = inventory();
    Selection selection = selector.select(informer.getStore().list(), requestedDevices, claimed, inventory);
    if (selection instanceof Selection.Found) {
      return selection;
    }
    // kubelet may learn of a binding before our watch delivers it: ask the API server itself.
    try {
      Map<String, Pod> pods = new LinkedHashMap<>();
      for (Pod pod : informer.getStore().list()) {
        pods.put(pod.getMetadata().getUid(), pod);
      }
      for (Pod pod : podsOfThisNode().list().getItems()) {
        pods.put(pod.getMetadata().getUid(), pod);
      }
      return selector.select(pods.values(), requestedDevices, claimed, inventory);
    } catch (KubernetesClientException e) {
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
      client.pods().inNamespace(pod.namespace()).withName(pod.name())
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
    } catch (KubernetesClientException e) {
      log.warn(
          "pod {} got its GPUs, but marking it {} failed: {}. This agent will not match it again;"
              + " if the agent restarts before the pod runs, another container could be matched to"
              + " it. Check that the agent may patch pods",
          pod, PodAnnotations.GPU_ALLOCATED, e.getMessage());
    }
  }

  private FilterWatchListDeletable<Pod, PodList, PodResource> podsOfThisNode() {
    return client.pods().inAnyNamespace().withField("spec.nodeName", nodeName);
  }

  /** Forgets claims of deleted pods, so the set stays as small as the node's pod list. */
  private final class ForgetDeleted implements ResourceEventHandler<Pod> {
    @Override
    public void onAdd(Pod pod) {}

    @Override
    public void onUpdate(Pod oldPod, Pod newPod) {}

    @Override
    public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
      String uid = pod.getMetadata() == null ? null : pod.getMetadata().getUid();
      if (uid == null) {
        return;
      }
      claimLock.lock();
      try {
        claimed.remove(uid);
      } finally {
        claimLock.unlock();
      }
      ObjectMeta meta = pod.getMetadata();
      podGone.accept(new PodRef(meta.getNamespace(), meta.getName(), uid));
    }
  }
}
