package dev.tessera.controller.workloads.controller;

import dev.tessera.api.conditions.Condition;
import dev.tessera.api.policy.WorkloadPolicyResource;
import dev.tessera.api.syntax.SeriesSelector;
import dev.tessera.api.workloads.DistributedTrainingResource;
import dev.tessera.api.workloads.DistributedTrainingSpec;
import dev.tessera.api.workloads.InferenceResource;
import dev.tessera.api.workloads.InferenceSpec;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadPhase;
import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.api.workloads.WorkloadStatus;
import dev.tessera.controller.workloads.lifecycle.Lifecycle;
import dev.tessera.controller.workloads.lifecycle.Observation;
import dev.tessera.controller.workloads.policy.EffectivePolicy;
import dev.tessera.controller.workloads.policy.NamedPolicy;
import dev.tessera.controller.workloads.policy.WorkloadPolicies;
import dev.tessera.controller.workloads.scaling.RequestLoad;
import dev.tessera.extender.informers.InformerSync;
import dev.tessera.extender.informers.OnEveryChange;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.processing.retry.GenericRetry;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns workloads into what they own and keeps their phase: for each Workspace, Training,
 * DistributedTraining and Inference it creates the {@link Blueprint}'s PodGroup, Services and
 * pods, recreates a pod that was preempted (a training restarts, it does not fail), deletes the
 * pods of a stopped workload, and writes the phase {@link Lifecycle} derives from what it sees,
 * with a history entry and an event for every change.
 *
 * <p>It runs on java-operator-sdk ({@link WorkloadReconciler}, one per kind): JOSDK queues the
 * events of a workload and what it owns, never runs two passes of one workload at once (a burst of
 * pod events costs one pass), retries a failed pass with backoff ({@link #retry}), keeps the
 * finalizer, and brings a workload back when a timer of it runs out ({@link Pass#recheckIn}) or
 * {@link #RECHECK} after its last pass. Different workloads are reconciled in parallel.
 */
public final class WorkloadController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WorkloadController.class);

  /** Keeps a deleted workload (in Deleting) until the controller has removed what it owns. */
  public static final String FINALIZER = "tessera.dev/workload-cleanup";

  /** The status condition that says whether everything the workload owns could be created. */
  public static final String CREATED = "Created";

  /** How long fewer replicas must suffice before an autoscaled inference drops them, unless it says. */
  static final Duration DEFAULT_SCALE_DOWN_AFTER = Duration.ofMinutes(5);
  /**
   * Scrapes in a row a replica's metrics page may fail before its inference gets a Warning event:
   * one failure is a replica restarting, several are a wrong port, path or series.
   */
  static final int UNREAD_BEFORE_EVENT = 3;

  /** How long a pod may keep failing to pull its image before its workload fails. */
  static final Duration IMAGE_PULL_GRACE = Duration.ofMinutes(3);
  /** Image failures the kubelet retries by itself; others (an invalid name) fail at once. */
  private static final Set<String> RETRIED_PULL_FAILURES = Set.of("ErrImagePull", "ImagePullBackOff");

  /** How long a partly placed gang waits before the extender evicts it. */
  public static final int GANG_TIMEOUT_SECONDS = 300;

  /**
   * The longest a workload goes without a pass (JOSDK's maximum reconciliation interval): what
   * changes without an event of its own is seen by then (a claim's phase, GPU utilisation from the
   * node agents, a project's new policies). Timers that run out sooner ask for their own pass.
   */
  static final Duration RECHECK = Duration.ofSeconds(30);
  /** Timers are checked at most this often: a pass finds a limit not yet passed, never a busy loop. */
  private static final Duration SHORTEST_TIMER = Duration.ofSeconds(1);
  /** Workloads reconciled at once (JOSDK's default is 50; each pass makes a few API calls). */
  static final int RECONCILE_THREADS = 4;

  /**
   * What the caches hold of one workload and what a pass tells them back, as {@link
   * WorkloadReconciler} gives it: the controller's decisions do not depend on JOSDK's types.
   */
  interface Pass {
    /** Its pods (labelled with its UID, or owned by it when made before the label), by name. */
    List<Pod> pods();

    /** Everything the caches hold that it owns: its Deployment, pods, Services and PodGroup, in that order. */
    List<HasMetadata> owned();

    /** The object of this type, namespace and name as the cache holds it (whoever owns it), or null. */
    <T extends HasMetadata> T cached(T object);

    /** The Endpoints of one of its Services, or null. */
    Endpoints endpoints(String namespace, String name);

    /** Created by this pass: the next pass sees it even before its informer does. */
    void created(HasMetadata object);

    /** Changed by this pass from {@code before}: the next pass sees the change even before its informer does. */
    void updated(HasMetadata object, HasMetadata before);

    /** The workload with the status this pass wrote: the next pass reads that status. */
    void statusWritten(WorkloadResource<?> written);

    /** A timer of the workload runs out in {@code delay}: a pass then, unless one comes sooner. */
    void recheckIn(Duration delay);

    /** Asks for a pass of the workload soon, from any thread; false when the workload is gone. */
    boolean recheck();
  }

  private final KubernetesClient client;
  private final Clock clock;
  /** Writes the workload policies' status, off the informer's thread: those are API calls. */
  private final ExecutorService policyWriter;
  private final WorkloadEvents events;
  private final Function<String, String> projectOf;
  private final Function<dev.tessera.extender.model.PodKey, java.util.OptionalInt> gpuBusy;
  private final SharedIndexInformer<WorkloadPolicyResource> policyInformer;
  private volatile WorkloadPolicies policies = WorkloadPolicies.NONE;
  private final dev.tessera.extender.policy.StatusWriter policyStatus;
  private final InferenceScaler scaler = new InferenceScaler();
  private final RequestLoad requestLoad;
  private final Map<WorkloadKind, WorkloadReconciler<?>> reconcilers = new EnumMap<>(WorkloadKind.class);
  /** Set by start, stopped by close. */
  private volatile Operator operator;

  // What the controller remembers between passes, per workload (or per pod). JOSDK never runs two
  // passes of one workload at once, and hands each pass to a thread through its executor (so one
  // pass sees what the one before wrote); but it reconciles different workloads in parallel, so
  // these maps are concurrent. An entry is only ever touched by the passes of its own workload.

  /** Since when each idle workspace's GPUs have been at 0 %, by workload UID. */
  private final Map<String, java.time.Instant> idleSince = new ConcurrentHashMap<>();
  /** Inferences told that a replica's metrics cannot be read, by UID. */
  private final Set<String> unreadReported = ConcurrentHashMap.newKeySet();
  /** Since when each pod has failed to pull its image, by pod UID. */
  private final Map<String, java.time.Instant> pullFailingSince = new ConcurrentHashMap<>();
  /** Pods recreated after they disappeared, by workload UID. */
  private final Map<String, Set<String>> replaced = new ConcurrentHashMap<>();
  /**
   * Per inference UID, the replicas that were placed when it was last reconciled. Its ReplicaSet,
   * not this controller, replaces a lost replica, under a new name: this is how the controller
   * knows one went, as {@link #replaced} tells it of its own pods.
   */
  private final Map<String, Set<String>> placedReplicas = new ConcurrentHashMap<>();
  /** Per inference UID, placed replicas that went and whose places are still open. */
  private final Map<String, Set<String>> lostReplicas = new ConcurrentHashMap<>();
  /**
   * The resourceVersion of the status last written, by workload UID. The controller is the only
   * writer of a workload's status, and JOSDK gives the next pass the copy it wrote ({@link
   * Pass#statusWritten}); but JOSDK drops that copy at the next watch event of the workload, even
   * one older than the write, which would bring an old phase back: a pass would record its
   * transition again, or recreate the pods of a workload that just failed. A pass on a copy older
   * than the last write is skipped; the write's own event follows and brings the workload back.
   */
  private final Map<String, Long> writtenVersions = new ConcurrentHashMap<>();

  /**
   * @param policyWriter writes the workload policies' Accepted condition (API calls, kept off the
   *     informer's thread)
   * @param projectOf the project owning a namespace, or null: which project's workload policies
   *     apply
   */
  public WorkloadController(
      KubernetesClient client, Clock clock, ExecutorService policyWriter, Function<String, String> projectOf) {
    this(client, clock, policyWriter, projectOf, pod -> java.util.OptionalInt.empty(), RequestLoad.unread(clock));
  }

  /**
   * @param gpuBusy how busy (percent) the busiest GPU a pod holds is, as its node's agent last
   *     measured; empty when unknown. A workspace whose GPUs all stay at 0 for the policy's
   *     {@code maxIdleTime} is stopped.
   * @param requestLoad the request load of the replicas of inferences that scale on requests, read
   *     off their metrics pages in the background (its timer is the caller's to run)
   */
  public WorkloadController(
      KubernetesClient client,
      Clock clock,
      ExecutorService policyWriter,
      Function<String, String> projectOf,
      Function<dev.tessera.extender.model.PodKey, java.util.OptionalInt> gpuBusy,
      RequestLoad requestLoad) {
    this.gpuBusy = Objects.requireNonNull(gpuBusy, "gpuBusy");
    this.requestLoad = Objects.requireNonNull(requestLoad, "requestLoad");
    this.projectOf = Objects.requireNonNull(projectOf, "projectOf");
    this.client = Objects.requireNonNull(client, "client");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.policyWriter = Objects.requireNonNull(policyWriter, "policyWriter");
    this.events = new WorkloadEvents(client, clock);
    this.policyStatus = new dev.tessera.extender.policy.StatusWriter(client, clock);
    List.of(new WorkloadReconciler.Workspaces(this), new WorkloadReconciler.Trainings(this),
            new WorkloadReconciler.DistributedTrainings(this), new WorkloadReconciler.Inferences(this))
        .forEach(reconciler -> reconcilers.put(reconciler.kind(), reconciler));
    this.policyInformer = client.resources(WorkloadPolicyResource.class).runnableInformer(0);
    policyInformer.addEventHandler(new OnEveryChange<>(policy -> reloadPolicies()));
  }

  /** The retries of a failed pass: half a second, doubling, at most a minute, for as long as it fails. */
  static GenericRetry retry() {
    return new GenericRetry().setInitialInterval(Duration.ofMillis(500)).setIntervalMultiplier(2)
        .setMaxInterval(Duration.ofMinutes(1).toMillis()).withoutMaxAttempts();
  }

  private void reloadPolicies() {
    List<NamedPolicy> named = new ArrayList<>();
    for (WorkloadPolicyResource resource : policyInformer.getStore().list()) {
      if (resource.getSpec() != null) {
        named.add(NamedPolicy.of(resource));
      }
    }
    WorkloadPolicies next = WorkloadPolicies.of(named);
    next.problems().forEach((name, problems) ->
        log.warn("workload policy {} is not applied: {}", name, String.join("; ", problems)));
    policies = next;
    policyWriter.execute(() -> writePolicyStatuses(next));
    CompletableFuture<Void> unused = resync(); // every workload under the new policies now, not at its next recheck
  }

  /**
   * Says on each policy whether it is applied: its {@value Condition#ACCEPTED} condition, false
   * with the problems that keep it out. On the policy writer's thread: status writes are API calls.
   */
  private void writePolicyStatuses(WorkloadPolicies applied) {
    for (WorkloadPolicyResource resource : policyInformer.getStore().list()) {
      List<String> problems = resource.getSpec() == null ? List.of("spec is missing")
          : applied.problems().getOrDefault(resource.getMetadata().getName(), List.of());
      try {
        policyStatus.apply(resource, new dev.tessera.extender.policy.Verdict(problems, List.of()));
      } catch (KubernetesClientException e) {
        log.warn("could not write the Accepted condition of workload policy {}: {}; it is tried again on its next"
            + " change", resource.getMetadata().getName(), e.getMessage());
      }
    }
  }

  /**
   * Lists the workload policies, then starts the operator: JOSDK starts the informers of the
   * workloads and what they own, waits for them all to list, and only then reconciles, every
   * workload once with its pods known. Stops all of it if any fails. Called when this replica
   * starts to lead (JOSDK's own leader election is not used: the extender elects its leader).
   */
  public void start(Duration syncTimeout) {
    InformerSync.startAll("the workload policy informer", Map.of("workloadpolicies", policyInformer), syncTimeout,
        "Check that the CRD in deploy/07-workload-policy-crd.yaml is installed and that the extender may list and"
            + " watch it",
        "Is the workload policy CRD installed, and may the extender list and watch it (deploy/10-extender-rbac.yaml)?");
    AtomicInteger threads = new AtomicInteger();
    // Made here, not in the overrider, which JOSDK runs twice; the operator shuts it down on stop.
    ExecutorService reconciling = Executors.newFixedThreadPool(RECONCILE_THREADS, runnable -> {
      Thread thread = new Thread(runnable, "tessera-workloads-" + threads.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    Operator starting = new Operator(o -> o
        .withKubernetesClient(client)
        .withCloseClientOnStop(false) // the extender's client: its owner closes it
        // Finalizers by JSON patch, as the controller added them before JOSDK: no apply patch, which
        // would make JOSDK a field manager of every workload.
        .withUseSSAToPatchPrimaryResource(false)
        // What a pass created or changed (a pod, a Deployment's replicas) stays in JOSDK's caches
        // until the informer shows that version or a later one, not only until its next event (an
        // older one would bring back the replicas before a scale). resourceVersions are etcd
        // revisions on kube-apiserver and counters on the mock server; one that is not a number
        // falls back to JOSDK's default.
        .withParseResourceVersions(true)
        .withExecutorService(reconciling)
        .withCacheSyncTimeout(syncTimeout)
        .withStopOnInformerErrorDuringStartup(true)
        // JOSDK's default exits the process when an informer stops for good; the extender's other
        // informers do not, and a test's JVM must not.
        .withInformerStoppedHandler((informer, e) -> {
          if (e != null) {
            log.error("a workload controller informer stopped; the workloads it watches are not reconciled until"
                + " the extender restarts", e);
          }
        }));
    try {
      reconcilers.values().forEach(reconciler -> starting.register(reconciler, config -> config
          .withFinalizer(FINALIZER)
          // Every change of a workload, its status and metadata too, not only a new generation: a pass
          // that wrote the status comes back to take the next step, as one that added the finalizer does.
          .withGenerationAware(false)
          .withRetry(retry())
          .withReconciliationMaxInterval(RECHECK)));
      starting.start();
    } catch (RuntimeException e) {
      starting.stop(); // its informers and threads, whatever got started
      InformerSync.stopAll(List.of(policyInformer));
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IllegalStateException("the workload controller did not start: " + cause.getMessage() + ". Are the"
          + " workload CRDs (deploy/06-workload-crds.yaml) installed, and may the extender list and watch them, pods,"
          + " services, endpoints, deployments and podgroups (deploy/10-extender-rbac.yaml)?", e);
    }
    operator = starting;
  }

  /**
   * The UIDs of the workloads an object belongs to: its UID label's, or its owners' (pods made
   * before the label).
   */
  static List<String> workloadUids(HasMetadata object) {
    Map<String, String> labels = object.getMetadata().getLabels();
    String uid = labels == null ? null : labels.get(Blueprint.WORKLOAD_UID_LABEL);
    if (uid != null) {
      return List.of(uid);
    }
    List<String> owners = new ArrayList<>();
    if (object.getMetadata().getOwnerReferences() != null) {
      object.getMetadata().getOwnerReferences().stream()
          .filter(o -> Blueprint.API_VERSION.equals(o.getApiVersion()))
          .forEach(o -> owners.add(o.getUid()));
    }
    return owners;
  }

  @Override
  public void close() {
    Operator running = operator;
    if (running != null) {
      running.stop();
    }
    InformerSync.stopAll(List.of(policyInformer));
  }

  /**
   * One pass of a workload that is not being deleted (JOSDK has put the finalizer on it first).
   * Throws when a pass must be tried again: JOSDK does so with backoff.
   */
  void reconcile(WorkloadResource<?> workload, Pass pass) {
    if (olderThanWritten(workload)) {
      return;
    }
    WorkloadKind kind = workload.workloadKind();
    String namespace = workload.getMetadata().getNamespace();
    String name = workload.getMetadata().getName();
    EffectivePolicy policy = policies.effective(kind, projectOf.apply(namespace));
    WorkloadPhase current = status(workload).workloadPhase();
    if (current == null || current == WorkloadPhase.CREATING) {
      // Submitted: the policy's constraints decide whether it may run at all (its defaults filled in).
      List<String> violations = policy.violations(policy.applyDefaults(workload.workload()));
      if (!violations.isEmpty()) {
        setPhase(workload, new Lifecycle.Transition(WorkloadPhase.FAILED, REJECTED_BY_POLICY,
            "rejected by workload policy " + String.join(", ", policy.policies()) + ": " + String.join("; ", violations)),
            List.of(), pass);
        return;
      }
    }
    String problem = specProblem(workload, policy);
    if (problem != null) {
      setPhase(workload, new Lifecycle.Transition(
          WorkloadPhase.FAILED, INVALID_SPEC, problem), List.of(), pass);
      return;
    }
    Blueprint.Workload blueprint = blueprint(workload, policy);
    Blueprint.Desired desired = Blueprint.of(blueprint, GANG_TIMEOUT_SECONDS);
    WorkloadPhase previous = status(workload).workloadPhase();
    if (previous != null && previous.terminal()) {
      requestLoad.forget(namespace + "/" + name);
      forgetReplicas(workload.getMetadata().getUid());
      release(desired, pass); // in case it ended before a restart, or its Deployment made pods since
      return; // Completed and Failed are final: the status keeps why it ended
    }
    if (previous == null) {
      // Submitted: say so first; the status update brings it back here to create what it owns.
      setPhase(workload, Lifecycle.next(null, new Observation(false, false, false, blueprint.replicas(), List.of(), 0, 0,
          false)), List.of(), pass);
      return;
    }
    boolean stopped = Boolean.TRUE.equals(blueprint.spec().stopped());
    List<Pod> owned = pass.pods();
    if (!stopped && overRuntime(workload, policy, pass)) {
      events.warn(workload, "MaxRuntimeExceeded", "ran longer than the policy's maximum of "
          + policy.maxRuntime().orElseThrow() + " (policy " + String.join(", ", policy.policies()) + "); stopping it");
      client.resource(workload).patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"stopped\":true}}");
      return; // the patch brings it back here, stopped
    }
    if (!stopped && idleTooLong(workload, policy, owned, pass)) {
      events.warn(workload, "MaxIdleTimeExceeded", "its GPUs were idle longer than the policy's maximum of "
          + policy.maxIdleTime().orElseThrow() + " (policy " + String.join(", ", policy.policies()) + "); stopping it");
      client.resource(workload).patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"stopped\":true}}");
      return;
    }

    if (stopped) {
      requestLoad.forget(namespace + "/" + name);
      if (desired.deployment() != null) {
        client.resource(desired.deployment()).delete();
      }
      owned.forEach(pod -> client.resource(pod).delete());
      owned = List.of();
    } else {
      try {
        ensure(workload, desired.podGroup(), pass);
        desired.services().forEach(service -> ensure(workload, service, pass));
        Deployment deployment = desired.deployment() == null ? null : ensure(workload, desired.deployment(), pass);
        owned = ensurePods(workload, desired.pods(), owned, pass);
        if (workload instanceof InferenceResource inference) {
          scale(inference, deployment, owned, pass);
        }
      } catch (ObjectRefused refused) {
        refused(workload, refused, desired, pass);
        return;
      }
    }

    List<Observation.PodView> views = new ArrayList<>();
    Set<String> recreated = replaced.getOrDefault(workload.getMetadata().getUid(), new HashSet<>());
    for (Pod pod : owned) {
      Observation.PodView view = withPullGrace(workload, pod, view(pod), pass);
      views.add(view);
      if (recreated.contains(view.name())) {
        if (view.scheduled()) {
          recreated.remove(view.name()); // placed again: no longer waiting for its lost place
        } else {
          // The pod it replaces was preempted: say so, rather than "not scheduled yet".
          views.add(new Observation.PodView(view.name() + " (before)", true, false, "Failed", null, true));
        }
      }
    }
    if (recreated.isEmpty()) {
      replaced.remove(workload.getMetadata().getUid());
    }
    if (desired.deployment() != null && !stopped) {
      views.addAll(lostReplicas(workload.getMetadata().getUid(), owned, blueprint.replicas()));
    } else {
      forgetReplicas(workload.getMetadata().getUid()); // stopped: its replicas were released, not lost
    }
    // By here its pod group exists: ensure created it or threw (a stopped workload keeps its own).
    Observation seen = new Observation(false, stopped, true, blueprint.replicas(), views,
        servicesWithoutEndpoints(desired, pass), volumesNotBound(blueprint),
        kind == WorkloadKind.TRAINING || kind == WorkloadKind.DISTRIBUTED_TRAINING, blueprint.minimumPods());
    Lifecycle.Transition transition = Lifecycle.next(previous, seen);
    if (transition.phase().terminal()) {
      owned = release(desired, pass); // an elastic training's workers still waiting for GPUs go too
    }
    setPhase(workload, transition, owned, stopped ? status(workload).conditions() : created(workload), pass);
  }

  /** Why a workload failed before anything was made for it: its policy refused it. */
  private static final String REJECTED_BY_POLICY = "PolicyViolation";
  /** Why a workload failed before anything was made for it: its spec cannot run. */
  private static final String INVALID_SPEC = "InvalidSpec";

  /**
   * One pass of a deleted workload: deletes what it owns, one object at a time (the {@code delete}
   * verb; a collection delete would need {@code deletecollection}), says Deleting, and returns true
   * once its pods are gone, when JOSDK takes its finalizer off. Owner references make the cluster's
   * garbage collector delete the same; this does not wait for it. What it owns is found by its UID
   * in the caches, never by name: another kind's workload may have the same one.
   */
  boolean cleanup(WorkloadResource<?> workload, Pass pass) {
    if (olderThanWritten(workload)) {
      return false;
    }
    WorkloadStatus status = status(workload);
    List<HasMetadata> owned = pass.owned();
    if (owned.isEmpty() && status.workloadPhase() == WorkloadPhase.FAILED
        && (REJECTED_BY_POLICY.equals(status.reason()) || INVALID_SPEC.equals(status.reason()))) {
      // Refused before anything was made for it. Before JOSDK, such a workload never got the
      // finalizer and went at once; JOSDK puts it on first, so it lets go at once, without Deleting.
      forget(workload);
      return true;
    }
    owned.forEach(object -> client.resource(object).delete());
    List<Pod> pods = pass.pods();
    boolean gone = pods.isEmpty();
    WorkloadPhase previous = status.workloadPhase();
    if (!gone || !WorkloadPhase.DELETING.equals(previous)) {
      setPhase(workload, Lifecycle.next(previous, new Observation(true, false, true, requestedPods(workload),
          List.of(), 0, 0, false)), pods, pass);
      // Not all gone: the pods' deletion events bring it back here. All gone: the event of the
      // status just written does, and that pass lets go. Not this one: JOSDK takes the finalizer
      // off with a patch against the copy this pass was given, whose resourceVersion the write has
      // made stale, and its retries of the conflict diff against that same copy (ten conflicts on
      // kube-apiserver, then a retry of the whole pass).
      return false;
    }
    forget(workload);
    return true;
  }

  /** Forgets all that was remembered of a workload whose finalizer goes. */
  private void forget(WorkloadResource<?> workload) {
    String uid = workload.getMetadata().getUid();
    replaced.remove(uid);
    forgetReplicas(uid);
    scaler.forget(uid);
    requestLoad.forget(workload.getMetadata().getNamespace() + "/" + workload.getMetadata().getName());
    unreadReported.remove(uid);
    idleSince.remove(uid);
    writtenVersions.remove(uid);
  }

  /** Whether this copy of the workload is older than the status this controller last wrote on it. */
  private boolean olderThanWritten(WorkloadResource<?> workload) {
    Long written = writtenVersions.get(workload.getMetadata().getUid());
    Long version = resourceVersion(workload);
    return written != null && version != null && version < written;
  }

  /** The resourceVersion as a number; null when it is not one (the API promises nothing). */
  private static Long resourceVersion(HasMetadata object) {
    try {
      return Long.valueOf(object.getMetadata().getResourceVersion());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * An inference's replicas that were placed and went (evicted, preempted, their node drained)
   * while their places are still open, as preempted pods: it waits for them as a training waits
   * for its recreated pods, Pending with reason Preempted. A place counts as filled again once as
   * many replicas are placed as it asks for, whatever their names.
   */
  private List<Observation.PodView> lostReplicas(String uid, List<Pod> owned, int requested) {
    Set<String> present = new HashSet<>();
    Set<String> placed = new HashSet<>();
    for (Pod pod : owned) {
      present.add(pod.getMetadata().getName());
      Observation.PodView view = view(pod);
      if (view.scheduled() && !view.preempted()) { // one evicted in place counts as preempted already
        placed.add(pod.getMetadata().getName());
      }
    }
    Set<String> lost = lostReplicas.computeIfAbsent(uid, u -> new java.util.LinkedHashSet<>());
    for (String name : placedReplicas.getOrDefault(uid, Set.of())) {
      if (!present.contains(name)) {
        lost.add(name);
      }
    }
    placedReplicas.put(uid, placed);
    int open = Math.max(0, requested - placed.size());
    java.util.Iterator<String> filled = lost.iterator();
    while (lost.size() > open) {
      filled.next();
      filled.remove();
    }
    if (lost.isEmpty()) {
      lostReplicas.remove(uid);
    }
    List<Observation.PodView> views = new ArrayList<>();
    lost.forEach(name -> views.add(new Observation.PodView(name + " (before)", true, false, "Failed", null, true)));
    return views;
  }

  private void forgetReplicas(String uid) {
    placedReplicas.remove(uid);
    lostReplicas.remove(uid);
  }

  /** The conditions with {@value #CREATED} true: everything the workload owns exists. */
  private List<Condition> created(WorkloadResource<?> workload) {
    List<Condition> conditions = status(workload).conditions();
    Condition now = new Condition(CREATED, Condition.TRUE, "AllCreated", "everything the workload owns exists",
        workload.getMetadata().getGeneration(), null);
    Condition before = Condition.find(conditions, CREATED);
    return now.sameAs(before) ? conditions
        : withCondition(conditions, now.at(Condition.timestamp(clock.instant())));
  }

  /**
   * Sets an inference's Deployment to the replicas it should run: {@code minReplicas} without
   * autoscaling, else what {@link InferenceScaler} decides from its ready replicas' load, on the
   * metric it names. Each change is an event saying from what to what and why.
   */
  private void scale(InferenceResource inference, Deployment deployment, List<Pod> owned, Pass pass) {
    InferenceSpec spec = inference.getSpec();
    String namespace = inference.getMetadata().getNamespace();
    String name = inference.getMetadata().getName();
    int min = requestedPods(inference);
    int max = spec.maxReplicas() == null ? min : Math.max(min, spec.maxReplicas());
    int current = deployment.getSpec().getReplicas() == null ? 1 : deployment.getSpec().getReplicas();
    InferenceSpec.Autoscaling autoscaling = spec.autoscaling();
    // Checked by specProblems before it gets here: the metric is one of the three.
    ScalingMetric metric = autoscaling == null ? null : ScalingMetric.of(autoscaling.metric()).orElseThrow();
    if (metric == null || !autoscaling.scraped()) {
      requestLoad.forget(namespace + "/" + name);
      unreadReported.remove(inference.getMetadata().getUid());
    }
    InferenceScaler.Decision decision;
    if (metric == null) {
      decision = new InferenceScaler.Decision(min, "it runs minReplicas (" + min + "): it has no autoscaling");
    } else {
      // A replica being deleted has left its Service's endpoints: it takes no new requests.
      List<Pod> ready = owned.stream()
          .filter(pod -> view(pod).ready() && pod.getMetadata().getDeletionTimestamp() == null).toList();
      List<java.util.OptionalDouble> load = new ArrayList<>();
      if (autoscaling.scraped()) {
        load.addAll(requestLoad(inference, ready, pass));
      } else {
        for (Pod pod : ready) {
          java.util.OptionalInt busy = gpuBusy.apply(dev.tessera.extender.ledger.PodRequests.keyOf(pod));
          load.add(busy.isPresent() ? java.util.OptionalDouble.of(busy.getAsInt()) : java.util.OptionalDouble.empty());
        }
      }
      Duration after = dev.tessera.api.syntax.Durations.parse(autoscaling.scaleDownAfter())
          .orElse(DEFAULT_SCALE_DOWN_AFTER);
      decision = scaler.decide(inference.getMetadata().getUid(), current, min, max, metric, load,
          autoscaling.target(), after, clock.instant());
    }
    if (decision.replicas() == current) {
      return;
    }
    Deployment scaled = client.apps().deployments().inNamespace(namespace).withName(name).edit(d -> {
      d.getSpec().setReplicas(decision.replicas());
      return d;
    });
    pass.updated(scaled, deployment); // the next pass counts from the new replicas
    events.normal(inference, decision.replicas() > current ? "ScaledUp" : "ScaledDown",
        "from " + current + " to " + decision.replicas() + " replicas: " + decision.why());
  }

  /**
   * Each ready replica's request load as last read off its metrics page; empty for one not read
   * yet, or whose page could not be read. Tells {@link RequestLoad} which replicas to read from now
   * on: the reads happen on its threads, never this one, and a finished round of them brings the
   * inference back here. A replica whose page keeps failing is told once on the inference, as a
   * Warning event, until every replica is read again.
   */
  private List<java.util.OptionalDouble> requestLoad(InferenceResource inference, List<Pod> ready, Pass pass) {
    InferenceSpec spec = inference.getSpec();
    InferenceSpec.Autoscaling autoscaling = spec.autoscaling();
    String namespace = inference.getMetadata().getNamespace();
    String name = inference.getMetadata().getName();
    String key = namespace + "/" + name;
    RequestLoad.Source source = new RequestLoad.Source(SeriesSelector.parse(autoscaling.series()),
        InferenceSpec.REQUESTS_PER_SECOND.equals(autoscaling.metric()));
    List<RequestLoad.Replica> replicas = new ArrayList<>();
    int withoutAddress = 0;
    for (Pod pod : ready) {
      String ip = pod.getStatus().getPodIP();
      if (ip == null || ip.isEmpty()) {
        withoutAddress++;
        continue;
      }
      String host = ip.contains(":") ? "[" + ip + "]" : ip;
      replicas.add(new RequestLoad.Replica(pod.getMetadata().getUid(), pod.getMetadata().getName(),
          java.net.URI.create("http://" + host + ":" + spec.metricsPort() + autoscaling.pathOrDefault())));
    }
    requestLoad.track(key, source, replicas, () -> {
      if (!pass.recheck()) {
        requestLoad.forget(key); // deleted without the controller's finalizer: nothing else forgets it
      }
    });
    List<RequestLoad.Measure> measures = requestLoad.measures(key, replicas);
    List<java.util.OptionalDouble> load = new ArrayList<>();
    List<String> unread = new ArrayList<>();
    for (int i = 0; i < replicas.size(); i++) {
      RequestLoad.Measure measure = measures.get(i);
      load.add(measure.load());
      if (measure.failures() >= UNREAD_BEFORE_EVENT) {
        unread.add("pod " + replicas.get(i).name() + " at " + replicas.get(i).endpoint() + ": " + measure.problem());
      }
    }
    for (int i = 0; i < withoutAddress; i++) {
      load.add(java.util.OptionalDouble.empty()); // ready without an IP: unmeasured, and not for long
    }
    String uid = inference.getMetadata().getUid();
    if (unread.isEmpty()) {
      unreadReported.remove(uid);
    } else if (unreadReported.add(uid)) {
      events.warn(inference, "MetricsUnavailable", "cannot read " + autoscaling.metric() + " (" + source.series()
          + ") from " + String.join("; ", unread) + "; autoscaling waits until every ready replica is read. Check"
          + " spec.autoscaling's port, path and series");
    }
    return load;
  }

  /**
   * A workload that ended gives its GPUs back: its Deployment goes, and so do its pods that have not
   * finished (one waiting for its image holds its GPUs as a running one does; an elastic training's
   * worker still waiting for GPUs would take them). Finished pods stay, for their logs. Returns the
   * pods left.
   */
  private List<Pod> release(Blueprint.Desired desired, Pass pass) {
    if (desired.deployment() != null) {
      client.resource(desired.deployment()).delete();
    }
    List<Pod> left = new ArrayList<>();
    for (Pod pod : pass.pods()) {
      String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
      if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
        left.add(pod);
      } else if (pod.getMetadata().getDeletionTimestamp() == null) {
        client.resource(pod).delete();
      }
    }
    return left;
  }

  /**
   * A pod that cannot pull its image fails its workload only once it has kept failing for {@link
   * #IMAGE_PULL_GRACE}: a registry that is down for a moment is not a wrong image name. Until then
   * the pod counts as initialising, and one Warning event says what is happening.
   */
  private Observation.PodView withPullGrace(
      WorkloadResource<?> workload, Pod pod, Observation.PodView view, Pass pass) {
    String uid = pod.getMetadata().getUid();
    if (view.failure() == null || !RETRIED_PULL_FAILURES.contains(view.failure())) {
      pullFailingSince.remove(uid);
      return view;
    }
    java.time.Instant since = pullFailingSince.get(uid);
    if (since == null) {
      pullFailingSince.put(uid, clock.instant());
      events.warn(workload, "ImagePullRetrying", "pod " + view.name() + " cannot pull its image yet ("
          + view.failure() + "); the kubelet keeps trying, and the workload fails if it still cannot after "
          + IMAGE_PULL_GRACE.toMinutes() + " minutes");
      since = clock.instant();
    }
    Duration failing = Duration.between(since, clock.instant());
    if (failing.compareTo(IMAGE_PULL_GRACE) > 0) {
      pullFailingSince.remove(uid);
      return view;
    }
    recheckWhenPast(pass, IMAGE_PULL_GRACE.minus(failing));
    return new Observation.PodView(view.name(), view.scheduled(), view.ready(), view.phase(), null, view.preempted(),
        view.unschedulable());
  }

  /**
   * The API server refused an object the workload needs. A refusal of the object itself (400, 422:
   * invalid, or a name another workload owns) will not change until the workload does: it fails,
   * saying why. Anything else (403, a quota, an outage) may pass: the reason goes on its status and
   * it is tried again.
   */
  private void refused(WorkloadResource<?> workload, ObjectRefused refused, Blueprint.Desired desired, Pass pass) {
    String message = refused.getMessage();
    if (refused.permanent()) {
      setPhase(workload, new Lifecycle.Transition(WorkloadPhase.FAILED, refused.reason(), message),
          release(desired, pass), pass);
      return;
    }
    WorkloadStatus status = status(workload);
    Condition condition = new Condition(CREATED, Condition.FALSE, refused.reason(), message,
        workload.getMetadata().getGeneration(), null);
    Condition before = Condition.find(status.conditions(), CREATED);
    if (!condition.sameAs(before)) {
      events.warn(workload, refused.reason(), message);
      writeStatus(workload, status.withConditions(withCondition(status.conditions(),
          condition.at(Condition.timestamp(clock.instant())))), pass);
    }
    throw new TryAgain(workload.getKind() + " " + workload.getMetadata().getNamespace() + "/"
        + workload.getMetadata().getName() + ": " + message + "; trying again with backoff");
  }

  /**
   * A pass that did what it could and must be tried again (the API server refused an object for a
   * reason that may pass): thrown to JOSDK, which retries with backoff. Its message says it all.
   */
  static final class TryAgain extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TryAgain(String message) {
      super(message, null, false, false);
    }
  }

  private static List<Condition> withCondition(List<Condition> conditions, Condition condition) {
    List<Condition> next = new ArrayList<>();
    if (conditions != null) {
      conditions.stream().filter(c -> !condition.type().equals(c.type())).forEach(next::add);
    }
    next.add(condition);
    return next;
  }

  /**
   * The kind of another workload of this name in the namespace, if there is one: the objects two
   * workloads derive from one name would collide, so the admission webhook refuses the second.
   */
  public java.util.Optional<WorkloadKind> otherKindNamed(String namespace, String name, WorkloadKind kind) {
    for (WorkloadReconciler<?> reconciler : reconcilers.values()) {
      if (reconciler.kind() != kind && reconciler.has(namespace, name)) {
        return java.util.Optional.of(reconciler.kind());
      }
    }
    return java.util.Optional.empty();
  }

  /** The workload policies in force; the admission webhook reviews with them too. */
  public WorkloadPolicies policies() {
    return policies;
  }

  /**
   * The workload's status: as JOSDK's cache has it, which is the status this controller last wrote
   * even before the informer shows the write.
   */
  private static WorkloadStatus status(WorkloadResource<?> workload) {
    return workload.statusOrEmpty();
  }

  /**
   * Re-examines every workload now rather than at its next recheck; completes once each workload
   * known at the call has had a pass that began after it (at once before {@link #start}).
   */
  public CompletableFuture<Void> resync() {
    return CompletableFuture.allOf(reconcilers.values().stream()
        .map(WorkloadReconciler::recheckAll).toArray(CompletableFuture[]::new));
  }

  /**
   * Asks for a pass once {@code remaining} has gone by, when a limit is passed (strictly): at once
   * is never asked for, so a clock that stands still (a test's) costs a pass a second, not a loop.
   */
  private static void recheckWhenPast(Pass pass, Duration remaining) {
    Duration delay = remaining.plusMillis(1);
    pass.recheckIn(delay.compareTo(SHORTEST_TIMER) < 0 ? SHORTEST_TIMER : delay);
  }

  /**
   * Whether a running workspace's GPUs have all been at 0 % for longer than the policy's
   * {@code maxIdleTime}. Unknown utilisation (no agent report, no GPU) is never idle: a workspace
   * is stopped only on evidence. The idle clock lives in memory; a restart starts it again.
   */
  private boolean idleTooLong(WorkloadResource<?> workload, EffectivePolicy policy, List<Pod> owned, Pass pass) {
    String uid = workload.getMetadata().getUid();
    WorkloadPhase phase = status(workload).workloadPhase();
    if (workload.workloadKind() != WorkloadKind.WORKSPACE || policy.maxIdleTime().isEmpty()
        || (phase != WorkloadPhase.RUNNING && phase != WorkloadPhase.DEGRADED) || owned.isEmpty()) {
      idleSince.remove(uid);
      return false;
    }
    for (Pod pod : owned) {
      java.util.OptionalInt busy = gpuBusy.apply(dev.tessera.extender.ledger.PodRequests.keyOf(pod));
      if (busy.isEmpty() || busy.getAsInt() > 0) {
        idleSince.remove(uid);
        return false;
      }
    }
    java.time.Instant since = idleSince.computeIfAbsent(uid, u -> clock.instant());
    Duration idle = Duration.between(since, clock.instant());
    if (idle.compareTo(policy.maxIdleTime().get()) <= 0) {
      recheckWhenPast(pass, policy.maxIdleTime().get().minus(idle)); // unless a GPU gets busy meanwhile
      return false;
    }
    idleSince.remove(uid);
    return true;
  }

  /** Whether it has been running (since its last run began) longer than the policy allows. */
  private boolean overRuntime(WorkloadResource<?> workload, EffectivePolicy policy, Pass pass) {
    if (policy.maxRuntime().isEmpty() || status(workload).phaseHistory() == null) {
      return false;
    }
    String since = null;
    for (WorkloadStatus.PhaseChange change : status(workload).phaseHistory()) {
      if (WorkloadPhase.STOPPED.label().equals(change.phase())) {
        since = null;
      } else if (since == null && WorkloadPhase.RUNNING.label().equals(change.phase())) {
        since = change.since();
      }
    }
    if (since == null) {
      return false;
    }
    Duration running = Duration.between(java.time.Instant.parse(since), clock.instant());
    if (running.compareTo(policy.maxRuntime().get()) > 0) {
      return true;
    }
    recheckWhenPast(pass, policy.maxRuntime().get().minus(running));
    return false;
  }

  /** Why the spec cannot be run, or null. */
  private static String specProblem(WorkloadResource<?> workload, EffectivePolicy policy) {
    List<String> problems = specProblems(workload.workloadKind(), workload.getMetadata().getName(),
        workload.workload() == null ? null : policy.applyDefaults(workload.workload()),
        workload instanceof DistributedTrainingResource d ? d.getSpec() : null,
        workload instanceof InferenceResource i ? i.getSpec() : null);
    return problems.isEmpty() ? null : String.join("; ", problems);
  }

  /**
   * Everything that keeps a workload from running as submitted, whatever the policies say: the
   * admission webhook refuses it with these, and the controller fails one that got past it.
   *
   * @param spec its spec with the policy's defaults applied; null when it has none
   * @param distributed a distributed training's own spec; null for the other kinds
   * @param inference an inference's own spec; null for the other kinds
   */
  public static List<String> specProblems(WorkloadKind kind, String name, WorkloadSpec spec,
      DistributedTrainingSpec distributed, InferenceSpec inference) {
    if (spec == null) {
      return List.of("spec is missing");
    }
    List<String> problems = new ArrayList<>();
    if (spec.image() == null || spec.image().isBlank()) {
      problems.add("spec.image is required");
    }
    Integer workers = null;
    if (kind == WorkloadKind.DISTRIBUTED_TRAINING && distributed != null) {
      DistributedTrainingSpec d = distributed;
      workers = d.mostWorkers();
      if (d.framework() == null) {
        problems.add("spec.framework is required: one of " + DistributedTrainingSpec.FRAMEWORKS);
      } else if (!DistributedTrainingSpec.FRAMEWORKS.contains(d.framework())) {
        problems.add("spec.framework must be one of " + DistributedTrainingSpec.FRAMEWORKS + ", was " + d.framework());
      }
      problems.addAll(workerProblems(d));
    }
    if (kind == WorkloadKind.INFERENCE) {
      problems.addAll(AutoscalingChecks.problems(inference));
    }
    problems.addAll(DerivedNames.problems(kind, name, spec, workers));
    return problems;
  }

  /** What is wrong with a distributed training's size: fixed {@code workers}, or an elastic range. */
  private static List<String> workerProblems(DistributedTrainingSpec d) {
    if (!d.elastic()) {
      return d.workers() == null || d.workers() < 1
          ? List.of("spec.workers must be at least 1, was " + d.workers()
              + " (or give minWorkers and maxWorkers for an elastic training)")
          : List.of();
    }
    List<String> problems = new ArrayList<>();
    if (d.workers() != null) {
      problems.add("spec.workers fixes the size and spec.minWorkers/maxWorkers make it elastic: give one or the other");
    }
    if (d.minWorkers() == null || d.maxWorkers() == null) {
      problems.add("an elastic training needs both spec.minWorkers and spec.maxWorkers");
    } else if (d.minWorkers() < 1) {
      problems.add("spec.minWorkers must be at least 1, was " + d.minWorkers());
    } else if (d.maxWorkers() < d.minWorkers()) {
      problems.add("spec.maxWorkers (" + d.maxWorkers() + ") must be at least spec.minWorkers (" + d.minWorkers() + ")");
    }
    if (d.framework() != null && !DistributedTrainingSpec.PYTORCH.equals(d.framework())) {
      problems.add("elastic training (minWorkers/maxWorkers) needs framework pytorch, whose launcher (torchrun)"
          + " re-forms the group as workers come and go; " + d.framework() + " needs a fixed spec.workers");
    }
    return problems;
  }

  /** The workload as it runs: its spec with the policy's defaults where it left fields out. */
  private static Blueprint.Workload blueprint(WorkloadResource<?> workload, EffectivePolicy policy) {
    Blueprint.Distributed distributed = null;
    if (workload instanceof DistributedTrainingResource d) {
      Integer port = d.getSpec().masterPortOrDefault();
      DistributedTrainingSpec spec = d.getSpec();
      distributed = new Blueprint.Distributed(spec.framework(), spec.mostWorkers(), port == null ? 29500 : port,
          spec.elastic() ? spec.minWorkers() : null);
    }
    int serving = workload.workloadKind() == WorkloadKind.INFERENCE ? requestedPods(workload) : 1;
    return new Blueprint.Workload(workload.workloadKind(), workload.getMetadata().getNamespace(),
        workload.getMetadata().getName(), workload.getMetadata().getUid(), policy.applyDefaults(workload.workload()),
        distributed, serving);
  }

  /** Creates the desired pods that do not exist; a pod that existed before was preempted or evicted. */
  private List<Pod> ensurePods(WorkloadResource<?> workload, List<Pod> desired, List<Pod> owned, Pass pass) {
    Set<String> existing = new HashSet<>();
    owned.forEach(pod -> existing.add(pod.getMetadata().getName()));
    List<Pod> all = new ArrayList<>(owned);
    String uid = workload.getMetadata().getUid();
    boolean started = status(workload).phase() != null
        && !WorkloadPhase.CREATING.label().equals(status(workload).phase())
        && !WorkloadPhase.STOPPED.label().equals(status(workload).phase());
    for (Pod pod : desired) {
      if (existing.contains(pod.getMetadata().getName())) {
        continue;
      }
      Pod created = create(workload, pod, pass);
      if (created == null) {
        continue; // ours, and the informer has not shown it yet
      }
      all.add(created);
      if (started && hadPodsRunning(workload)) {
        replaced.computeIfAbsent(uid, u -> new HashSet<>()).add(pod.getMetadata().getName());
        events.warn(workload, "PodRestarted", "pod " + pod.getMetadata().getName()
            + " was preempted or evicted; created again, it waits to be scheduled");
      }
    }
    return all;
  }

  /** True when the status says the workload had requested pods running: a missing pod is a lost one. */
  private boolean hadPodsRunning(WorkloadResource<?> workload) {
    WorkloadStatus status = status(workload);
    return status.runningPods() != null && status.runningPods() > 0 || status.nodes() != null && !status.nodes().isEmpty();
  }

  /**
   * The object as it exists (in the cache), created unless it does. One that exists but belongs to
   * another workload (another kind's, of the same name) is refused, never taken over.
   */
  private <T extends HasMetadata> T ensure(WorkloadResource<?> workload, T object, Pass pass) {
    T existing = pass.cached(object);
    if (existing == null) {
      T created = create(workload, object, pass);
      return created != null ? created : object;
    }
    if (!ownedBy(existing, workload.getMetadata().getUid())) {
      throw ObjectRefused.taken(object, existing);
    }
    return existing;
  }

  /**
   * Creates the object; null when it exists already and is this workload's (the informer has not
   * shown it yet). One another workload owns, or one the API server refuses, is thrown as {@link
   * ObjectRefused}.
   */
  private <T extends HasMetadata> T create(WorkloadResource<?> workload, T object, Pass pass) {
    try {
      T created = client.resource(object).create();
      pass.created(created);
      return created;
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw ObjectRefused.of(object, e);
      }
      T existing;
      try {
        existing = client.resource(object).get(); // another kind's, which this kind's cache does not hold?
      } catch (KubernetesClientException notRead) {
        throw ObjectRefused.of(object, notRead);
      }
      if (existing != null && !ownedBy(existing, workload.getMetadata().getUid())) {
        throw ObjectRefused.taken(object, existing);
      }
      return null;
    }
  }

  private static boolean ownedBy(HasMetadata object, String uid) {
    return object.getMetadata().getOwnerReferences() != null
        && object.getMetadata().getOwnerReferences().stream().anyMatch(o -> uid.equals(o.getUid()));
  }

  /**
   * The workload's data sources whose claim is missing or not Bound (Lost, or Pending after its
   * volume went): its pods cannot use them, so a running workload is Degraded.
   */
  private int volumesNotBound(Blueprint.Workload workload) {
    List<WorkloadSpec.DataSource> sources = workload.spec().dataSources();
    if (sources == null || sources.isEmpty()) {
      return 0;
    }
    int missing = 0;
    for (WorkloadSpec.DataSource source : sources) {
      var claim = client.persistentVolumeClaims().inNamespace(workload.namespace()).withName(source.claimName()).get();
      if (claim == null || claim.getStatus() == null || !"Bound".equals(claim.getStatus().getPhase())) {
        missing++;
      }
    }
    return missing;
  }

  /** Services of the workload with no ready address, from the endpoints' cache (which holds only labelled ones). */
  private int servicesWithoutEndpoints(Blueprint.Desired desired, Pass pass) {
    int missing = 0;
    for (Service service : desired.services()) {
      if ("None".equals(service.getSpec().getClusterIP())) {
        continue; // the peers' headless service: reachability is the pods' readiness
      }
      Endpoints endpoints = pass.endpoints(service.getMetadata().getNamespace(), service.getMetadata().getName());
      boolean ready = endpoints != null && endpoints.getSubsets() != null
          && endpoints.getSubsets().stream().anyMatch(s -> s.getAddresses() != null && !s.getAddresses().isEmpty());
      if (!ready) {
        missing++;
      }
    }
    return missing;
  }

  /** A pod as the lifecycle sees it: placed, ready, its phase, why it cannot start, evicted, why it waits. */
  public static Observation.PodView view(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    boolean scheduled = pod.getSpec().getNodeName() != null && !pod.getSpec().getNodeName().isEmpty();
    List<ContainerStatus> containers = pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null
        ? List.of()
        : pod.getStatus().getContainerStatuses();
    boolean ready = "Running".equals(phase) && !containers.isEmpty() && containers.stream().allMatch(c -> Boolean.TRUE.equals(c.getReady()));
    String failure = null;
    List<ContainerStatus> all = new ArrayList<>(containers);
    if (pod.getStatus() != null && pod.getStatus().getInitContainerStatuses() != null) {
      all.addAll(pod.getStatus().getInitContainerStatuses());
    }
    for (ContainerStatus container : all) {
      if (container.getState() != null && container.getState().getWaiting() != null
          && container.getState().getWaiting().getReason() != null) {
        failure = container.getState().getWaiting().getReason();
        break;
      }
    }
    boolean evicted = "Failed".equals(phase) && pod.getStatus() != null && "Evicted".equals(pod.getStatus().getReason());
    String unschedulable = scheduled || pod.getStatus() == null || pod.getStatus().getConditions() == null ? null
        : pod.getStatus().getConditions().stream()
            .filter(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus())
                && "Unschedulable".equals(c.getReason()) && c.getMessage() != null && !c.getMessage().isBlank())
            .map(c -> c.getMessage().strip()).findFirst().orElse(null);
    return new Observation.PodView(pod.getMetadata().getName(), scheduled, ready, phase, failure, evicted,
        unschedulable);
  }

  private void setPhase(WorkloadResource<?> workload, Lifecycle.Transition transition, List<Pod> owned, Pass pass) {
    setPhase(workload, transition, owned, status(workload).conditions(), pass);
  }

  private void setPhase(WorkloadResource<?> workload, Lifecycle.Transition transition, List<Pod> owned,
      List<Condition> conditions, Pass pass) {
    WorkloadStatus status = status(workload);
    String now = DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS));
    String phase = transition.phase().label();
    List<WorkloadStatus.PhaseChange> history = Lifecycle.history(status, transition, now);
    boolean changed = !phase.equals(status.phase());
    int running = 0;
    int holding = 0;
    Quantity cpuAllocated = null;
    Quantity memoryAllocated = null;
    Set<String> nodes = new TreeSet<>();
    for (Pod pod : owned) {
      String podPhase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
      if (pod.getSpec().getNodeName() != null) {
        nodes.add(pod.getSpec().getNodeName());
        if (!"Succeeded".equals(podPhase) && !"Failed".equals(podPhase)) {
          // Bound and not finished: it holds what it requested on its node (the cache frees a finished pod's GPUs).
          holding++;
          cpuAllocated = plusRequests(cpuAllocated, pod, "cpu");
          memoryAllocated = plusRequests(memoryAllocated, pod, "memory");
        }
      }
      if ("Running".equals(podPhase)) {
        running++;
      }
    }
    // As its pods are built: the policy's defaults fill what the workload left out.
    WorkloadSpec spec = workload.workload() == null ? null
        : policies.effective(workload.workloadKind(), projectOf.apply(workload.getMetadata().getNamespace()))
            .applyDefaults(workload.workload());
    double gpusPerPod = spec == null || spec.gpu() == null ? 0
        : spec.gpu().count() != null ? spec.gpu().count()
        : spec.gpu().fraction() != null ? spec.gpu().fraction() * (spec.gpu().devices() == null ? 1 : spec.gpu().devices())
        : 0;
    int requested = transition.phase() == WorkloadPhase.FAILED && spec == null
        ? 0 : requestedPods(workload);
    WorkloadStatus next = new WorkloadStatus(
        phase,
        conditions,
        history,
        running,
        requested,
        gpusPerPod * requested,
        gpusPerPod * holding,
        spec == null ? null : times(spec.cpu(), requested),
        spec == null ? null : times(spec.memory(), requested),
        cpuAllocated == null ? "0" : cpuAllocated.toString(),
        memoryAllocated == null ? "0" : memoryAllocated.toString(),
        List.copyOf(nodes),
        status.createdAt() != null ? status.createdAt() : workload.getMetadata().getCreationTimestamp(),
        transition.phase().terminal() ? (status.completedAt() != null ? status.completedAt() : now) : null,
        connections(workload, owned, pass),
        transition.reason(),
        workload.getMetadata().getGeneration());
    if (next.equals(status)) {
      return;
    }
    if (!writeStatus(workload, next, pass)) {
      return; // the workload changed meanwhile: its next event reconciles it again
    }
    if (changed) {
      String message = (status.phase() == null ? "" : status.phase() + " -> ") + phase + ": " + transition.message();
      if (transition.phase() == WorkloadPhase.FAILED) {
        events.warn(workload, transition.reason(), message);
      } else {
        events.normal(workload, transition.reason(), message);
      }
    }
  }

  /** A pod's request times the pods, in its unit ("8Gi" for 3 pods is "24Gi"); null for none or a malformed one. */
  private static String times(String perPod, int pods) {
    if (perPod == null) {
      return null;
    }
    try {
      return Quantity.parse(perPod).multiply(pods).toString();
    } catch (RuntimeException e) {
      return null; // the pods cannot be created with it either
    }
  }

  /**
   * {@code sum} plus the pod's containers' requests of {@code resource}, in the first request's
   * unit ("8Gi" and "8Gi" make "16Gi"); null while nothing was added.
   */
  public static Quantity plusRequests(Quantity sum, Pod pod, String resource) {
    for (Container container : pod.getSpec().getContainers()) {
      Quantity request = container.getResources() == null || container.getResources().getRequests() == null
          ? null : container.getResources().getRequests().get(resource);
      if (request == null) {
        continue;
      }
      try {
        sum = sum == null ? Quantity.parse(request.toString()) : sum.add(request);
      } catch (RuntimeException e) {
        // a malformed quantity: the API server would not have stored the pod
      }
    }
    return sum;
  }

  /**
   * Where each of the workload's ports is reached: a ClusterIP port at its Service's DNS name
   * inside the cluster; a NodePort port at the address of the node its first pod runs on and the
   * port the API server allocated (any node's address serves it).
   */
  private List<WorkloadStatus.ConnectionStatus> connections(
      WorkloadResource<?> workload, List<Pod> owned, Pass pass) {
    WorkloadSpec spec = workload.workload();
    if (spec == null || spec.connections() == null || spec.connections().isEmpty()) {
      return null;
    }
    String serviceName = workload.getMetadata().getName() + Blueprint.CONNECT_SUFFIX;
    String host = serviceName + "." + workload.getMetadata().getNamespace() + ".svc";
    Service service = null;
    String nodeAddress = null;
    List<WorkloadStatus.ConnectionStatus> addresses = new ArrayList<>();
    for (WorkloadSpec.Connection connection : spec.connections()) {
      if (!"NodePort".equals(connection.exposure())) {
        addresses.add(new WorkloadStatus.ConnectionStatus(connection.name(), connection.port(), host + ":" + connection.port()));
        continue;
      }
      if (service == null) {
        Service named = new Service();
        named.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
            .withNamespace(workload.getMetadata().getNamespace()).withName(serviceName).build());
        service = pass.cached(named);
        nodeAddress = nodeAddress(owned);
      }
      Integer nodePort = service == null || service.getSpec().getPorts() == null ? null
          : service.getSpec().getPorts().stream().filter(p -> connection.name() == null || connection.name().equals(p.getName()))
              .map(io.fabric8.kubernetes.api.model.ServicePort::getNodePort).filter(Objects::nonNull).findFirst().orElse(null);
      addresses.add(new WorkloadStatus.ConnectionStatus(connection.name(), connection.port(),
          nodePort == null ? null : (nodeAddress == null ? "<any node>" : nodeAddress) + ":" + nodePort));
    }
    return addresses;
  }

  /** The external (else internal) address of the node the first scheduled pod runs on, or null. */
  private String nodeAddress(List<Pod> owned) {
    for (Pod pod : owned) {
      if (pod.getSpec().getNodeName() == null) {
        continue;
      }
      io.fabric8.kubernetes.api.model.Node node = client.nodes().withName(pod.getSpec().getNodeName()).get();
      if (node == null || node.getStatus() == null || node.getStatus().getAddresses() == null) {
        return null;
      }
      String internal = null;
      for (var address : node.getStatus().getAddresses()) {
        if ("ExternalIP".equals(address.getType())) {
          return address.getAddress();
        }
        if ("InternalIP".equals(address.getType())) {
          internal = address.getAddress();
        }
      }
      return internal;
    }
    return null;
  }

  /** Pods the workload runs: master plus workers, an inference's minimum replicas, else one. */
  private static int requestedPods(WorkloadResource<?> workload) {
    if (workload instanceof DistributedTrainingResource d && d.getSpec() != null && d.getSpec().mostWorkers() != null) {
      return d.getSpec().mostWorkers() + 1;
    }
    if (workload instanceof InferenceResource i && i.getSpec() != null && i.getSpec().minReplicas() != null) {
      return Math.max(1, i.getSpec().minReplicas());
    }
    return 1;
  }

  /**
   * Writes the status over the version read (optimistic locking: a pass on a stale copy never
   * overwrites a newer status); false when that version is no longer current. Not JOSDK's
   * UpdateControl.patchStatus, which writes after the pass without the version: the events of a
   * transition must follow a write that landed, and only once.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private boolean writeStatus(WorkloadResource<?> workload, WorkloadStatus status, Pass pass) {
    WorkloadResource copy = (WorkloadResource) client.getKubernetesSerialization().clone(workload);
    copy.setStatus(status);
    try {
      WorkloadResource<?> written = (WorkloadResource<?>) client.resource(copy).updateStatus();
      pass.statusWritten(written);
      Long version = resourceVersion(written);
      if (version != null) {
        writtenVersions.put(workload.getMetadata().getUid(), version);
      }
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409 || e.getCode() == 404) {
        return false;
      }
      throw e;
    }
  }
}
