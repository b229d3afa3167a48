package dev.tessera.extender.informers;

import dev.tessera.api.WellKnown;
import dev.tessera.api.assignment.AssignmentCodec;
import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.extender.actions.PodEvents;
import dev.tessera.extender.actions.RecentKeys;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.ledger.CpuLedger;
import dev.tessera.extender.ledger.DoubleBookings;
import dev.tessera.extender.ledger.NodeInventory;
import dev.tessera.extender.ledger.PodIndex;
import dev.tessera.extender.ledger.PodRequests;
import dev.tessera.extender.model.GpuNode;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.scheduling.Allocation;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a {@link ClusterCache} current from the API server: informers on nodes and on pods in all
 * namespaces (pending pods too: the bind path looks them up here).
 *
 * <p>Nodes: add and update give the cache the node's {@link NodeInventory}; delete removes it.
 *
 * <p>Pods bound to a node and not finished:
 *
 * <ul>
 *   <li>with a valid {@value WellKnown#GPU_ASSIGNMENT} for that node: {@link
 *       ClusterCache#podBound}, which also confirms the extender's own assumption;
 *   <li>without one, but asking for GPUs (placed by another scheduler, or before Tessera): {@link
 *       ClusterCache#podBoundWithoutAssignment}, so its GPUs are not handed out twice;
 *   <li>with a malformed assignment or one naming another node: a WARN, a Warning event {@value
 *       #INVALID_ASSIGNMENT} on the pod, and accounted as without assignment.
 * </ul>
 *
 * Pods that finished (Succeeded, Failed) or were deleted, including deletions the informer only
 * learns of on relist, release what they held. Pods without GPUs are ignored. Handlers never
 * throw: a bad object is logged with its name and skipped.
 *
 * <p>{@link #start} waits for both informers to list everything, replaces the cache's content
 * with what they hold and marks it synced. Every resync period it reconciles again from the
 * informers' stores on the injected scheduler; a difference there means events were missed (or a
 * bug), is corrected, and logged at WARN. Handlers and reconciliation are serialised, so a
 * reconciliation never overwrites a newer event with an older listing; pods whose latest event is
 * still on its way to the handlers are left as the handlers have them.
 */
public final class ClusterInformers implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClusterInformers.class);

  /** Event reason on a pod whose assignment annotation cannot be used. */
  public static final String INVALID_ASSIGNMENT = "InvalidGpuAssignment";

  static final int MAX_REMEMBERED_WARNINGS = 10_000;

  private final ClusterCache cache;
  private final PodEvents events;
  private final DoubleBookings doubleBookings;
  private final NodeInventory inventory;
  private final Duration resyncPeriod;
  private final ScheduledExecutorService scheduler;
  private final SharedIndexInformer<Node> nodeInformer;
  private final SharedIndexInformer<Pod> podInformer;
  private final RecentKeys warned = new RecentKeys(MAX_REMEMBERED_WARNINGS);
  /** Pods as scheduling policy needs them; kept in step with the pod informer. */
  private final PodIndex podIndex = new PodIndex();
  private final CpuLedger cpu = new CpuLedger();

  /** Serialises handlers with reconciliation. */
  private final ReentrantLock applyLock = new ReentrantLock();
  /** Guarded by applyLock: pod UID to the resourceVersion the handlers last applied. */
  private final Map<String, String> applied = new HashMap<>();
  /** Guarded by applyLock: set once the first full reconciliation is done. */
  private boolean initialised;

  private final Object lifecycle = new Object();
  /** Guarded by lifecycle. */
  private boolean started;
  /** Guarded by lifecycle. */
  private boolean closed;
  /** Guarded by lifecycle. */
  private ScheduledFuture<?> resync;

  public ClusterInformers(
      KubernetesClient client,
      ClusterCache cache,
      PodEvents events,
      DoubleBookings doubleBookings,
      Duration resyncPeriod,
      ScheduledExecutorService scheduler) {
    this(client, cache, events, doubleBookings, new NodeInventory(), resyncPeriod, scheduler);
  }

  /**
   * @param resyncPeriod how often to reconcile the cache with the informers' stores; zero for
   *     never
   * @param scheduler runs the reconciliation; a single thread is enough
   */
  public ClusterInformers(
      KubernetesClient client,
      ClusterCache cache,
      PodEvents events,
      DoubleBookings doubleBookings,
      NodeInventory inventory,
      Duration resyncPeriod,
      ScheduledExecutorService scheduler) {
    Objects.requireNonNull(client, "client");
    this.cache = Objects.requireNonNull(cache, "cache");
    this.events = Objects.requireNonNull(events, "events");
    this.doubleBookings = Objects.requireNonNull(doubleBookings, "doubleBookings");
    this.inventory = Objects.requireNonNull(inventory, "inventory");
    this.resyncPeriod = Objects.requireNonNull(resyncPeriod, "resyncPeriod");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    if (resyncPeriod.isNegative()) {
      throw new IllegalArgumentException("resync period must not be negative, was " + resyncPeriod);
    }
    // fabric8's own resync only replays the store to the handlers; the reconciliation below does
    // more (it checks the cache against the store), so it stays off.
    this.nodeInformer = client.nodes().runnableInformer(0);
    this.podInformer = client.pods().inAnyNamespace().runnableInformer(0);
    nodeInformer.addEventHandler(new NodeHandler());
    podInformer.addEventHandler(new PodHandler());
  }

  /**
   * Starts both informers, waits until both have listed everything, fills the cache from them and
   * marks it synced, then schedules the periodic reconciliation.
   *
   * @throws IllegalStateException naming what did not sync, if both have not within the timeout,
   *     or an informer failed to start (the informers are stopped again)
   */
  public void start(Duration syncTimeout) {
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("informers are closed");
      }
      if (started) {
        throw new IllegalStateException("informers are already started");
      }
      started = true;
    }
    Map<String, SharedIndexInformer<?>> named = new LinkedHashMap<>();
    named.put("nodes", nodeInformer);
    named.put("pods", podInformer);
    InformerSync.startAll("the informers", named, syncTimeout,
        "Check that the API server is reachable and that the extender may list and watch nodes, and pods in all"
            + " namespaces",
        "Check the API server address, credentials and RBAC (list and watch nodes and pods)");

    reconcile();
    cache.markSynced();
    synchronized (lifecycle) {
      if (!closed && !resyncPeriod.isZero()) {
        long period = resyncPeriod.toMillis();
        resync = scheduler.scheduleWithFixedDelay(this::reconcileQuietly, period, period, TimeUnit.MILLISECONDS);
      }
    }
  }

  /** GPU and gang pods, pending ones included, as the informer last saw them. */
  public PodIndex podIndex() {
    return podIndex;
  }

  /** CPU allocatable and requested per node. */
  public CpuLedger cpu() {
    return cpu;
  }

  /**
   * Pending pods of {@code schedulerName} that kube-scheduler has tried and failed (condition
   * PodScheduled False): those it refused while the extender was away sit in its unschedulable
   * queue, and only a change to them brings them back quickly.
   */
  public List<PodKey> failedPending(String schedulerName) {
    List<PodKey> failed = new ArrayList<>();
    for (Pod pod : podInformer.getStore().list()) {
      if (pod.getSpec() == null || !schedulerName.equals(pod.getSpec().getSchedulerName())
          || (pod.getSpec().getNodeName() != null && !pod.getSpec().getNodeName().isEmpty())
          || pod.getMetadata().getDeletionTimestamp() != null || pod.getStatus() == null
          || pod.getStatus().getConditions() == null) {
        continue;
      }
      boolean triedAndFailed = pod.getStatus().getConditions().stream()
          .anyMatch(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()));
      if (triedAndFailed) {
        failed.add(PodRequests.keyOf(pod));
      }
    }
    return failed;
  }

  /** A pod as the informer last saw it, pending ones included. */
  public Optional<Pod> pod(String namespace, String name) {
    return Optional.ofNullable(podInformer.getStore().getByKey(namespace + "/" + name));
  }

  /**
   * Replaces the cache's nodes and bound pods with the informers' stores (keeping the cache's
   * pending assumptions) and returns how many pods' records it corrected. The first call (from
   * {@link #start}) fills the cache; later ones should find nothing to correct.
   *
   * @throws IllegalStateException before {@link #start}: empty stores would empty the cache
   */
  public int reconcile() {
    synchronized (lifecycle) {
      if (!started) {
        throw new IllegalStateException("reconcile() before start(): the informers have listed nothing yet");
      }
    }
    applyLock.lock();
    try {
      boolean first = !initialised;
      List<GpuNode> nodes = new ArrayList<>();
      for (Node node : nodeInformer.getStore().list()) {
        try {
          nodes.add(inventory.toGpuNode(node));
        } catch (RuntimeException e) {
          log.error("skipping node {} in reconciliation: {}", name(node.getMetadata()), e.toString(), e);
        }
      }

      List<Allocation> bound = new ArrayList<>();
      List<Unannotated> unannotated = new ArrayList<>();
      Set<String> inStore = new HashSet<>();
      for (Pod pod : podInformer.getStore().list()) {
        ObjectMeta meta = pod.getMetadata();
        String uid = meta == null ? null : meta.getUid();
        if (uid == null) {
          continue;
        }
        inStore.add(uid);
        if (!first && !Objects.equals(applied.get(uid), meta.getResourceVersion())) {
          carryOver(uid, bound); // its newest event has not reached the handlers yet
          continue;
        }
        try {
          Accounting accounting = classify(pod, false);
          if (accounting.kind == Accounting.Kind.HOLDS) {
            bound.add(new Allocation(accounting.key, accounting.assignment, false));
          } else if (accounting.kind == Accounting.Kind.UNANNOTATED) {
            unannotated.add(new Unannotated(accounting.foreign(), meta.getCreationTimestamp()));
          }
        } catch (RuntimeException e) {
          log.error("skipping pod {} in reconciliation: {}", name(meta), e.toString(), e);
        }
      }
      if (!first) {
        for (String uid : applied.keySet()) {
          if (!inStore.contains(uid)) {
            carryOver(uid, bound); // deleted, and the deletion is on its way to the handlers
          }
        }
      }
      // Oldest first, so that on an over-committed node the pods that came last stay unaccounted.
      unannotated.sort(
          Comparator.comparing((Unannotated u) -> u.createdAt == null ? "" : u.createdAt)
              .thenComparing(u -> u.pod.key().namespace())
              .thenComparing(u -> u.pod.key().name()));
      List<ClusterCache.ForeignPod> foreign = new ArrayList<>(unannotated.size());
      unannotated.forEach(u -> foreign.add(u.pod));

      int changed = cache.replaceAll(nodes, bound, foreign);
      doubleBookings.checkAll(cache.snapshot());
      initialised = true;
      if (first) {
        log.info(
            "cache filled from the API server: {} nodes, {} pods holding GPUs ({} of them without a"
                + " Tessera assignment)",
            nodes.size(), bound.size(), unannotated.size());
      } else if (changed > 0) {
        log.warn(
            "reconciliation corrected {} pod record(s) in the GPU ledger that differed from the API"
                + " server: informer events were missed or mis-applied. The ledger is right again; if"
                + " this repeats, look for informer errors or watch disconnects above",
            changed);
      } else {
        log.debug("reconciliation found the GPU ledger in step with the API server");
      }
      return changed;
    } finally {
      applyLock.unlock();
    }
  }

  @Override
  public void close() {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      if (resync != null) {
        resync.cancel(false);
      }
    }
    stopInformers();
  }

  // --- event handling ---

  private final class NodeHandler implements ResourceEventHandler<Node> {
    @Override
    public void onAdd(Node node) {
      upsert(node);
    }

    @Override
    public void onUpdate(Node oldNode, Node node) {
      upsert(node);
    }

    @Override
    public void onDelete(Node node, boolean deletedFinalStateUnknown) {
      applyLock.lock();
      try {
        String name = node.getMetadata().getName();
        cache.removeNode(name);
        inventory.forget(name);
        cpu.nodeGone(name);
      } catch (RuntimeException e) {
        log.error("could not remove node {} from the cache: {}", name(node.getMetadata()), e.toString(), e);
      } finally {
        applyLock.unlock();
      }
    }

    private void upsert(Node node) {
      applyLock.lock();
      try {
        cpu.nodeChanged(node);
        cache.upsertNode(inventory.toGpuNode(node));
      } catch (RuntimeException e) {
        log.error("could not read node {}; the cache keeps its previous view: {}", name(node.getMetadata()), e.toString(), e);
      } finally {
        applyLock.unlock();
      }
    }
  }

  private final class PodHandler implements ResourceEventHandler<Pod> {
    @Override
    public void onAdd(Pod pod) {
      apply(pod);
    }

    @Override
    public void onUpdate(Pod oldPod, Pod pod) {
      apply(pod);
    }

    @Override
    public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
      applyLock.lock();
      try {
        String uid = pod.getMetadata().getUid();
        if (uid != null) {
          cache.podGone(uid);
          applied.remove(uid);
          podIndex.remove(uid);
          cpu.podGone(uid);
        }
      } catch (RuntimeException e) {
        log.error("could not release pod {}: {}", name(pod.getMetadata()), e.toString(), e);
      } finally {
        applyLock.unlock();
      }
    }

    private void apply(Pod pod) {
      applyLock.lock();
      String uid = null;
      try {
        ObjectMeta meta = pod.getMetadata();
        uid = meta == null ? null : meta.getUid();
        if (uid == null) {
          return;
        }
        podIndex.upsert(pod);
        cpu.podChanged(pod);
        Accounting accounting = classify(pod, true);
        switch (accounting.kind) {
          case RELEASE -> cache.podGone(uid);
          case HOLDS -> {
            cache.podBound(accounting.key, accounting.assignment);
            doubleBookings.check(cache.snapshot().node(accounting.node));
          }
          case UNANNOTATED -> cache.podBoundWithoutAssignment(accounting.foreign());
          case IGNORE -> {}
        }
      } catch (RuntimeException e) {
        log.error("could not apply pod {} to the GPU ledger; skipping it until its next change or the"
            + " next reconciliation: {}", name(pod.getMetadata()), e.toString(), e);
      } finally {
        if (uid != null) {
          applied.put(uid, pod.getMetadata().getResourceVersion());
        }
        applyLock.unlock();
      }
    }
  }

  // --- classification ---

  /** How one pod counts in the ledger. */
  private static final class Accounting {
    enum Kind {
      /** Pending, or bound without GPUs: nothing to hold. */
      IGNORE,
      /** Finished: release whatever it held. */
      RELEASE,
      /** Bound with a valid assignment for its node. */
      HOLDS,
      /** Bound, asks for GPUs, no usable assignment. */
      UNANNOTATED
    }

    static final Accounting IGNORE = new Accounting(Kind.IGNORE, null, null, null, null);
    static final Accounting RELEASE = new Accounting(Kind.RELEASE, null, null, null, null);

    final Kind kind;
    final PodKey key;
    final GpuAssignment assignment;
    final String node;
    final GpuRequest request;

    Accounting(Kind kind, PodKey key, GpuAssignment assignment, String node, GpuRequest request) {
      this.kind = kind;
      this.key = key;
      this.assignment = assignment;
      this.node = node;
      this.request = request;
    }

    ClusterCache.ForeignPod foreign() {
      return new ClusterCache.ForeignPod(key, node, request);
    }
  }

  private record Unannotated(ClusterCache.ForeignPod pod, String createdAt) {}

  /** @param report log and record events for problems (handlers); false when reconciling */
  private Accounting classify(Pod pod, boolean report) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
      return Accounting.RELEASE;
    }
    String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    if (node == null || node.isEmpty()) {
      return Accounting.IGNORE;
    }
    PodKey key = PodRequests.keyOf(pod);
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    String text = annotations == null ? null : annotations.get(WellKnown.GPU_ASSIGNMENT);
    if (text != null) {
      AssignmentCodec.Decoded decoded = AssignmentCodec.decode(text);
      String problem;
      if (decoded instanceof AssignmentCodec.Decoded.Ok ok) {
        if (ok.assignment().node().equals(node)) {
          return new Accounting(Accounting.Kind.HOLDS, key, ok.assignment(), node, null);
        }
        problem = "it names node " + ok.assignment().node() + " but the pod is bound to " + node;
      } else {
        problem = ((AssignmentCodec.Decoded.Invalid) decoded).message();
      }
      if (report) {
        reportInvalidAssignment(key, node, text, problem);
      }
    }
    GpuRequest request = PodRequests.of(pod);
    if (!request.wantsGpu()) {
      return Accounting.IGNORE;
    }
    if (request.kind() == GpuRequest.Kind.INVALID) {
      if (report && warned.firstTime("request\n" + key.uid())) {
        log.warn(
            "pod {} is bound to {} with an invalid GPU request ({}) and no usable {} annotation; the"
                + " extender cannot tell which GPUs it uses and does not account for it",
            key, node, request.invalidReason(), WellKnown.GPU_ASSIGNMENT);
      }
      return Accounting.IGNORE;
    }
    return new Accounting(Accounting.Kind.UNANNOTATED, key, null, node, request);
  }

  private void reportInvalidAssignment(PodKey key, String node, String text, String problem) {
    String message =
        "annotation " + WellKnown.GPU_ASSIGNMENT + " cannot be used: " + problem
            + ". The extender accounts for the pod's GPUs as if it had no assignment; the node agent"
            + " may refuse to start it";
    if (warned.firstTime("assignment\n" + key.uid() + "\n" + text)) {
      log.warn("pod {} on node {}: {} (annotation: {})", key, node, message, abbreviate(text));
    }
    events.warn(key, INVALID_ASSIGNMENT, message);
  }

  /** Keeps the cache's confirmed record of a pod whose latest event is still in flight. */
  private void carryOver(String uid, List<Allocation> bound) {
    Allocation current = cache.allocation(uid);
    if (current != null && !current.assumed()) {
      bound.add(current);
    }
  }

  private void reconcileQuietly() {
    try {
      reconcile();
    } catch (RuntimeException e) {
      // Thrown out of a scheduled task, it would cancel every later run.
      log.error("reconciliation of the GPU ledger failed; trying again in {}: {}", resyncPeriod, e.toString(), e);
    }
  }

  private void stopInformers() {
    InformerSync.stopAll(List.of(nodeInformer, podInformer));
  }

  private static String name(ObjectMeta meta) {
    if (meta == null) {
      return "<no metadata>";
    }
    return meta.getNamespace() == null ? meta.getName() : meta.getNamespace() + "/" + meta.getName();
  }

  private static String abbreviate(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "...";
  }
}
