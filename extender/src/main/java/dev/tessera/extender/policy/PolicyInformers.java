package dev.tessera.extender.policy;

import dev.tessera.api.conditions.Condition;
import dev.tessera.api.policy.DepartmentResource;
import dev.tessera.api.policy.NodePoolResource;
import dev.tessera.api.policy.PodGroupResource;
import dev.tessera.api.policy.PolicyRef;
import dev.tessera.api.policy.PolicyResource;
import dev.tessera.api.policy.ProjectResource;
import dev.tessera.extender.informers.InformerSync;
import dev.tessera.extender.informers.PodGroupLookup;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a {@link PolicyCatalog} current from the API server: informers on the four policy kinds
 * ({@link NodePoolResource}, {@link DepartmentResource}, {@link ProjectResource}, {@link
 * PodGroupResource}) and on nodes, whose labels decide whether two pools select the same node.
 * Node events count only when a node comes, goes or changes its labels; status heartbeats do not
 * cause work.
 *
 * <p>Any change marks the catalog stale; one recomputation runs on the injected executor a short
 * moment later, however many events arrived meanwhile (a burst of a thousand objects at start-up
 * is one pass over the informers' stores through {@link PolicyValidation}). The first catalog, and
 * after it each one that differs from the one before, goes to the listener on the executor's
 * thread (the first on the thread calling {@link #start}).
 *
 * <p>After each recomputation every object's {@value Condition#ACCEPTED} condition is brought in
 * line with its verdict through the status subresource, only where it differs ({@link
 * StatusWriter}), so the echo of a status write recomputes the same catalog and writes nothing. A
 * rejected object is logged once at WARN with its reasons (again only when they change), and at
 * INFO when it is accepted again. A status write the API refuses is logged and retried after
 * {@link #RETRY_DELAY}.
 *
 * <p>Handlers never throw. The executor should be single-threaded or at least tolerate a task that
 * blocks on API calls (status writes) for a while; recomputations never overlap.
 */
public final class PolicyInformers implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PolicyInformers.class);

  /** How long a change waits for more before the catalog is recomputed. */
  public static final Duration DEFAULT_COALESCE = Duration.ofMillis(50);
  /** When to try again after a status write failed for another reason than a conflict. */
  static final Duration RETRY_DELAY = Duration.ofSeconds(30);

  private final Consumer<PolicyCatalog> listener;
  private final ScheduledExecutorService executor;
  private final Duration coalesce;
  private final StatusWriter statuses;

  private final SharedIndexInformer<NodePoolResource> poolInformer;
  private final SharedIndexInformer<DepartmentResource> departmentInformer;
  private final SharedIndexInformer<ProjectResource> projectInformer;
  private final SharedIndexInformer<PodGroupResource> podGroupInformer;
  private final KubernetesClient client;
  private final SharedIndexInformer<Node> nodeInformer;
  private final List<SharedIndexInformer<?>> informers;

  /** Set once a recomputation is scheduled and not yet begun. */
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final AtomicBoolean retryScheduled = new AtomicBoolean();
  /** Serialises recomputations. */
  private final ReentrantLock recomputeLock = new ReentrantLock();
  /** Guarded by recomputeLock: the rejection message last logged per object. */
  private final Map<PolicyRef, String> logged = new HashMap<>();

  private volatile PolicyCatalog catalog = PolicyCatalog.EMPTY;
  /** Guarded by recomputeLock: whether the listener has had a catalog (the first one always goes). */
  private boolean delivered;
  private volatile boolean synced;

  private final Object lifecycle = new Object();
  /** Guarded by lifecycle. */
  private boolean started;
  /** Guarded by lifecycle; read unguarded as a hint by the tasks. */
  private volatile boolean closed;

  /**
   * @param listener gets each new catalog, on the executor's thread; must not block for long
   * @param clock stamps the conditions' lastTransitionTime
   * @param executor runs the recomputations and status writes
   */
  public PolicyInformers(
      KubernetesClient client, Consumer<PolicyCatalog> listener, Clock clock, ScheduledExecutorService executor) {
    this(client, listener, clock, executor, DEFAULT_COALESCE);
  }

  /** @param coalesce how long a change waits for others before the catalog is recomputed */
  public PolicyInformers(
      KubernetesClient client,
      Consumer<PolicyCatalog> listener,
      Clock clock,
      ScheduledExecutorService executor,
      Duration coalesce) {
    this.client = Objects.requireNonNull(client, "client");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.coalesce = Objects.requireNonNull(coalesce, "coalesce");
    if (coalesce.isNegative()) {
      throw new IllegalArgumentException("coalesce delay must not be negative, was " + coalesce);
    }
    this.statuses = new StatusWriter(client, Objects.requireNonNull(clock, "clock"));
    this.poolInformer = client.resources(NodePoolResource.class).runnableInformer(0);
    this.departmentInformer = client.resources(DepartmentResource.class).runnableInformer(0);
    this.projectInformer = client.resources(ProjectResource.class).runnableInformer(0);
    this.podGroupInformer = client.resources(PodGroupResource.class).inAnyNamespace().runnableInformer(0);
    this.nodeInformer = client.nodes().runnableInformer(0);
    this.informers = List.of(poolInformer, departmentInformer, projectInformer, podGroupInformer, nodeInformer);
    poolInformer.addEventHandler(new Changes<>());
    departmentInformer.addEventHandler(new Changes<>());
    projectInformer.addEventHandler(new Changes<>());
    podGroupInformer.addEventHandler(new Changes<>());
    nodeInformer.addEventHandler(new NodeLabelChanges());
  }

  /**
   * A pod group the informer has not delivered yet, read from the API server and judged by the
   * same rules, against the pools, departments and projects the informers hold now.
   */
  public PodGroupLookup.Result fetchPodGroup(String namespace, String name) {
    PodGroupResource resource;
    try {
      resource = client.resources(PodGroupResource.class).inNamespace(namespace).withName(name).get();
    } catch (KubernetesClientException e) {
      return new PodGroupLookup.Result.Unknown("reading it from the API server failed (HTTP " + e.getCode() + ")");
    }
    if (resource == null) {
      return new PodGroupLookup.Result.Missing();
    }
    Map<String, Map<String, String>> nodeLabels = Map.of(); // pools are not judged here, only the group
    PolicyCatalog judged = PolicyValidation.validate(poolInformer.getStore().list(),
        departmentInformer.getStore().list(), projectInformer.getStore().list(), List.of(resource), nodeLabels);
    return judged.podGroup(namespace, name)
        .<PodGroupLookup.Result>map(PodGroupLookup.Result.Found::new)
        .orElseGet(() -> new PodGroupLookup.Result.Rejected(
            String.join("; ", judged.verdict(PolicyRef.podGroup(namespace, name)).problems())));
  }

  /**
   * Starts the informers, waits until all have listed everything, then computes the first catalog
   * (the listener has it, and statuses are written, before this returns).
   *
   * @throws IllegalStateException naming what did not sync, when not all have within the timeout
   *     or one failed to start (the informers are stopped again)
   */
  public void start(Duration syncTimeout) {
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("policy informers are closed");
      }
      if (started) {
        throw new IllegalStateException("policy informers are already started");
      }
      started = true;
    }
    InformerSync.startAll("the policy informers", named(), syncTimeout,
        "Check that the API server is reachable, that the CRDs in deploy/05-crds.yaml are installed, and that"
            + " the extender may list and watch them",
        "Are the CRDs in deploy/05-crds.yaml installed, and may the extender list and watch them"
            + " (deploy/10-extender-rbac.yaml)?");
    synced = true;
    recompute();
  }

  /** The catalog as last computed; {@link PolicyCatalog#EMPTY} before {@link #start}. */
  public PolicyCatalog catalog() {
    return catalog;
  }

  @Override
  public void close() {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
    }
    stopInformers();
  }

  // --- recomputation ---

  /** Marks the catalog stale; at most one recomputation is waiting at any time. */
  private void changed() {
    if (!synced || closed) {
      return; // start() computes from the full stores once they are synced
    }
    if (scheduled.compareAndSet(false, true)) {
      try {
        executor.schedule(this::recomputeQuietly, coalesce.toNanos(), TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        scheduled.set(false);
        log.debug("policy recomputation not scheduled: the executor is shut down");
      }
    }
  }

  private void recomputeQuietly() {
    scheduled.set(false); // changes from here on schedule another run
    try {
      recompute();
    } catch (RuntimeException e) {
      // Thrown out of a scheduled task, it would only be swallowed by the executor.
      log.error("recomputing the scheduling policy failed; the previous catalog stays in force until the"
          + " next change: {}", e.toString(), e);
    }
  }

  private void recompute() {
    recomputeLock.lock();
    try {
      if (closed) {
        return;
      }
      List<NodePoolResource> pools = poolInformer.getStore().list();
      List<DepartmentResource> departments = departmentInformer.getStore().list();
      List<ProjectResource> projects = projectInformer.getStore().list();
      List<PodGroupResource> podGroups = podGroupInformer.getStore().list();
      Map<String, Map<String, String>> nodeLabels = new HashMap<>();
      for (Node node : nodeInformer.getStore().list()) {
        ObjectMeta meta = node.getMetadata();
        if (meta != null && meta.getName() != null) {
          nodeLabels.put(meta.getName(), meta.getLabels() == null ? Map.of() : meta.getLabels());
        }
      }
      PolicyCatalog next = PolicyValidation.validate(pools, departments, projects, podGroups, nodeLabels);
      if (!delivered || !next.equals(catalog)) {
        catalog = next;
        delivered = true;
        deliver(next);
      }
      logVerdicts(next);
      boolean failed = false;
      failed |= writeStatuses(pools, r -> PolicyRef.nodePool(r.getMetadata().getName()), next);
      failed |= writeStatuses(departments, r -> PolicyRef.department(r.getMetadata().getName()), next);
      failed |= writeStatuses(projects, r -> PolicyRef.project(r.getMetadata().getName()), next);
      failed |= writeStatuses(podGroups, PolicyInformers::podGroupRef, next);
      if (failed) {
        retryLater();
      }
    } finally {
      recomputeLock.unlock();
    }
  }

  private void deliver(PolicyCatalog next) {
    try {
      listener.accept(next);
    } catch (RuntimeException e) {
      log.error("the policy catalog listener failed: {}", e.toString(), e);
    }
  }

  /**
   * Brings each object's condition in line with its verdict. Returns whether a write failed for a
   * reason that will not bring a new event by itself.
   */
  private <R extends PolicyResource<?, ?>> boolean writeStatuses(
      List<R> resources, Function<R, PolicyRef> refOf, PolicyCatalog next) {
    boolean failed = false;
    for (R resource : resources) {
      if (resource.getMetadata() == null || resource.getMetadata().getName() == null) {
        continue; // the API cannot hold it; nothing to write to
      }
      PolicyRef ref = refOf.apply(resource);
      Verdict verdict = next.verdict(ref);
      if (verdict == null) {
        continue;
      }
      try {
        StatusWriter.Outcome outcome = statuses.apply(resource, verdict);
        if (outcome == StatusWriter.Outcome.WRITTEN) {
          log.debug("{}: status condition {} written ({})", ref, Condition.ACCEPTED, verdict.accepted());
        }
      } catch (KubernetesClientException e) {
        failed = true;
        log.warn("could not write the {} condition of {} (HTTP {}): {}. Trying again in {}; check that the"
            + " extender may update {}/status", Condition.ACCEPTED, ref, e.getCode(), e.getMessage(), RETRY_DELAY,
            resource.getPlural());
      } catch (RuntimeException e) {
        failed = true;
        log.error("could not write the {} condition of {}: {}", Condition.ACCEPTED, ref, e.toString(), e);
      }
    }
    return failed;
  }

  private static PolicyRef podGroupRef(PodGroupResource r) {
    return new PolicyRef(PolicyRef.Kind.POD_GROUP, r.getMetadata().getNamespace(), r.getMetadata().getName());
  }

  private void retryLater() {
    if (closed || !retryScheduled.compareAndSet(false, true)) {
      return;
    }
    try {
      executor.schedule(() -> {
        retryScheduled.set(false);
        changed();
      }, RETRY_DELAY.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      retryScheduled.set(false);
    }
  }

  /** WARN once per rejection (and again when its reasons change); INFO when accepted again. */
  private void logVerdicts(PolicyCatalog next) {
    Set<PolicyRef> present = new HashSet<>(next.verdicts().keySet());
    logged.keySet().removeIf(ref -> !present.contains(ref));
    next.verdicts().forEach((ref, verdict) -> {
      if (verdict.accepted()) {
        if (logged.remove(ref) != null) {
          log.info("{} is accepted again and back in the scheduling policy", ref);
        }
        return;
      }
      String reasons = String.join("; ", verdict.problems());
      if (!reasons.equals(logged.get(ref))) {
        logged.put(ref, reasons);
        log.warn("{} is rejected and ignored by scheduling until its spec is fixed: {}. Its status condition"
            + " {} says the same (kubectl describe {})", ref, reasons, Condition.ACCEPTED,
            ref.kind().apiKind().toLowerCase(Locale.ROOT) + " " + ref.name()
                + (ref.namespace() == null ? "" : " -n " + ref.namespace()));
      }
    });
  }

  // --- handlers ---

  private final class Changes<T extends HasMetadata> implements ResourceEventHandler<T> {
    @Override
    public void onAdd(T obj) {
      changedQuietly();
    }

    @Override
    public void onUpdate(T oldObj, T newObj) {
      changedQuietly();
    }

    @Override
    public void onDelete(T obj, boolean deletedFinalStateUnknown) {
      if (obj instanceof PolicyResource<?, ?> resource) {
        try {
          statuses.forget(resource);
        } catch (RuntimeException e) {
          log.debug("could not forget {}: {}", obj.getMetadata(), e.toString());
        }
      }
      changedQuietly();
    }
  }

  private final class NodeLabelChanges implements ResourceEventHandler<Node> {
    @Override
    public void onAdd(Node node) {
      changedQuietly();
    }

    @Override
    public void onUpdate(Node oldNode, Node node) {
      try {
        if (!Objects.equals(labels(oldNode), labels(node))) {
          changed();
        }
      } catch (RuntimeException e) {
        log.error("could not handle a node update: {}", e.toString(), e);
      }
    }

    @Override
    public void onDelete(Node node, boolean deletedFinalStateUnknown) {
      changedQuietly();
    }

    private Map<String, String> labels(Node node) {
      return node == null || node.getMetadata() == null ? null : node.getMetadata().getLabels();
    }
  }

  private void changedQuietly() {
    try {
      changed();
    } catch (RuntimeException e) {
      log.error("could not schedule a policy recomputation: {}", e.toString(), e);
    }
  }

  private void stopInformers() {
    InformerSync.stopAll(informers);
  }

  private Map<String, SharedIndexInformer<?>> named() {
    String[] names = {"nodepools", "departments", "projects", "podgroups", "nodes"};
    Map<String, SharedIndexInformer<?>> out = new LinkedHashMap<>();
    for (int i = 0; i < informers.size(); i++) {
      out.put(names[i], informers.get(i));
    }
    return out;
  }
}
