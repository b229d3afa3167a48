package dev.tessera.extender.workloads.controller;

import dev.tessera.extender.cluster.InformerSync;
import dev.tessera.extender.cluster.OnEveryChange;
import dev.tessera.extender.workloads.PodGroupResource;
import dev.tessera.extender.workloads.lifecycle.Lifecycle;
import dev.tessera.extender.workloads.lifecycle.Observation;
import dev.tessera.extender.workloads.policy.EffectivePolicy;
import dev.tessera.extender.workloads.policy.NamedPolicy;
import dev.tessera.extender.workloads.policy.WorkloadPolicies;
import dev.tessera.extender.workloads.policy.WorkloadPolicyResource;
import dev.tessera.extender.workloads.spec.DistributedTrainingResource;
import dev.tessera.extender.workloads.spec.DistributedTrainingSpec;
import dev.tessera.extender.workloads.spec.InferenceResource;
import dev.tessera.extender.workloads.spec.TrainingResource;
import dev.tessera.extender.workloads.spec.WorkloadKind;
import dev.tessera.extender.workloads.spec.WorkloadPhase;
import dev.tessera.extender.workloads.spec.WorkloadResource;
import dev.tessera.extender.workloads.spec.WorkloadSpec;
import dev.tessera.extender.workloads.spec.WorkloadStatus;
import dev.tessera.extender.workloads.spec.WorkspaceResource;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
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
 * <p>Informer events only queue the workload's key; one thread reconciles, so a workload is never
 * reconciled by two threads at once and a burst of pod events costs one reconciliation.
 */
public final class WorkloadController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WorkloadController.class);

  /** Keeps a deleted workload (in Deleting) until the controller has removed what it owns. */
  public static final String FINALIZER = "tessera.dev/workload-cleanup";

  /** How long a partly placed gang waits before the extender evicts it. */
  public static final int GANG_TIMEOUT_SECONDS = 300;

  private final KubernetesClient client;
  private final Clock clock;
  private final ExecutorService worker;
  private final WorkloadEvents events;
  private final Function<String, String> projectOf;
  private final Function<dev.tessera.extender.model.PodKey, java.util.OptionalInt> gpuBusy;
  /** Only the worker thread touches it: since when each idle workspace's GPUs have been at 0 %. */
  private final Map<String, java.time.Instant> idleSince = new HashMap<>();
  private final SharedIndexInformer<WorkloadPolicyResource> policyInformer;
  private volatile WorkloadPolicies policies = WorkloadPolicies.NONE;
  private final Map<WorkloadKind, SharedIndexInformer<? extends WorkloadResource<?>>> informers = new HashMap<>();
  private final SharedIndexInformer<Pod> pods;
  /** Endpoints carry their Service's labels: a change of readiness there changes the phase. */
  private final SharedIndexInformer<Endpoints> endpoints;
  /** Keys queued and not yet reconciled: a second event for one of them adds nothing. */
  private final Set<String> queued = ConcurrentHashMap.newKeySet();
  /** Only the worker thread touches it: pods recreated after they disappeared, by workload UID. */
  private final Map<String, Set<String>> replaced = new HashMap<>();
  /**
   * Only the worker thread touches it: the status last written per workload UID. The controller is
   * its only writer, so this is the truth even while the informer still holds an older copy; without
   * it a reconcile racing the informer would see the old phase and record its transition twice.
   */
  private final Map<String, WorkloadStatus> written = new HashMap<>();

  /**
   * @param projectOf the project owning a namespace, or null: which project's workload policies
   *     apply
   */
  public WorkloadController(
      KubernetesClient client, Clock clock, ExecutorService worker, Function<String, String> projectOf) {
    this(client, clock, worker, projectOf, pod -> java.util.OptionalInt.empty());
  }

  /**
   * @param gpuBusy how busy (percent) the busiest GPU a pod holds is, as its node's agent last
   *     measured; empty when unknown. A workspace whose GPUs all stay at 0 for the policy's
   *     {@code maxIdleTime} is stopped.
   */
  public WorkloadController(
      KubernetesClient client,
      Clock clock,
      ExecutorService worker,
      Function<String, String> projectOf,
      Function<dev.tessera.extender.model.PodKey, java.util.OptionalInt> gpuBusy) {
    this.gpuBusy = Objects.requireNonNull(gpuBusy, "gpuBusy");
    this.projectOf = Objects.requireNonNull(projectOf, "projectOf");
    this.client = Objects.requireNonNull(client, "client");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.worker = Objects.requireNonNull(worker, "worker");
    this.events = new WorkloadEvents(client, clock);
    informers.put(WorkloadKind.WORKSPACE, client.resources(WorkspaceResource.class).inAnyNamespace().runnableInformer(0));
    informers.put(WorkloadKind.TRAINING, client.resources(TrainingResource.class).inAnyNamespace().runnableInformer(0));
    informers.put(WorkloadKind.DISTRIBUTED_TRAINING,
        client.resources(DistributedTrainingResource.class).inAnyNamespace().runnableInformer(0));
    informers.put(WorkloadKind.INFERENCE, client.resources(InferenceResource.class).inAnyNamespace().runnableInformer(0));
    informers.forEach((kind, informer) -> informer.addEventHandler(new OnEveryChange<WorkloadResource<?>>(
        workload -> enqueue(kind, workload.getMetadata().getNamespace(), workload.getMetadata().getName()))));
    this.pods = client.pods().inAnyNamespace().withLabel(Blueprint.WORKLOAD_LABEL).runnableInformer(0);
    pods.addEventHandler(new OnEveryChange<>(this::ownedPodChanged));
    this.endpoints = client.endpoints().inAnyNamespace().withLabel(Blueprint.WORKLOAD_LABEL).runnableInformer(0);
    endpoints.addEventHandler(new OnEveryChange<>(this::endpointsChanged));
    this.policyInformer = client.resources(WorkloadPolicyResource.class).runnableInformer(0);
    policyInformer.addEventHandler(new OnEveryChange<>(policy -> reloadPolicies()));
  }

  private void reloadPolicies() {
    List<NamedPolicy> named = new ArrayList<>();
    for (WorkloadPolicyResource resource : policyInformer.getStore().list()) {
      if (resource.getSpec() != null) {
        named.add(resource.named());
      }
    }
    WorkloadPolicies next = WorkloadPolicies.of(named);
    next.problems().forEach((name, problems) ->
        log.warn("workload policy {} is not applied: {}", name, String.join("; ", problems)));
    policies = next;
  }

  /** Starts the informers and waits for them all to list; stops them all if they do not. */
  public void start(Duration syncTimeout) {
    InformerSync.startAll("the workload informers", named(), syncTimeout,
        "Check that the CRDs in deploy/06-workload-crds.yaml and 07-workload-policy-crd.yaml are installed and"
            + " that the extender may list and watch them, pods and endpoints",
        "Are the workload CRDs installed, and may the extender list and watch them (deploy/10-extender-rbac.yaml)?");
  }

  private Map<String, SharedIndexInformer<?>> named() {
    Map<String, SharedIndexInformer<?>> named = new LinkedHashMap<>();
    informers.forEach((kind, informer) -> named.put(kind.kind() + "s", informer));
    named.put("pods", pods);
    named.put("endpoints", endpoints);
    named.put("workloadpolicies", policyInformer);
    return named;
  }

  @Override
  public void close() {
    InformerSync.stopAll(named().values());
  }

  private void enqueue(WorkloadKind kind, String namespace, String name) {
    String key = kind.name() + "/" + namespace + "/" + name;
    if (queued.add(key)) {
      worker.execute(() -> {
        queued.remove(key);
        try {
          reconcile(kind, namespace, name);
        } catch (RuntimeException e) {
          log.error("reconciling {} {}/{} failed; retrying on its next change", kind.kind(), namespace, name, e);
        }
      });
    }
  }

  private void reconcile(WorkloadKind kind, String namespace, String name) {
    WorkloadResource<?> workload = informers.get(kind).getStore().getByKey(namespace + "/" + name);
    if (workload == null) {
      deleteOwned(namespace, name); // owner references do it on a real cluster; this is quicker and sure
      return;
    }
    EffectivePolicy policy = policies.effective(kind, projectOf.apply(namespace));
    WorkloadPhase current = status(workload).workloadPhase();
    if (current == null || current == WorkloadPhase.CREATING) {
      // Submitted: the policy's constraints decide whether it may run at all (its defaults filled in).
      List<String> violations = policy.violations(policy.applyDefaults(workload.workload()));
      if (!violations.isEmpty()) {
        setPhase(workload, new Lifecycle.Transition(WorkloadPhase.FAILED, "PolicyViolation",
            "rejected by workload policy " + String.join(", ", policy.policies()) + ": " + String.join("; ", violations)),
            List.of());
        return;
      }
    }
    String problem = specProblem(workload, policy);
    if (problem != null) {
      setPhase(workload, new Lifecycle.Transition(
          WorkloadPhase.FAILED, "InvalidSpec", problem), List.of());
      return;
    }
    Blueprint.Workload blueprint = blueprint(workload, policy);
    Blueprint.Desired desired = Blueprint.of(blueprint, GANG_TIMEOUT_SECONDS);
    WorkloadPhase previous = status(workload).workloadPhase();
    boolean deleting = workload.getMetadata().getDeletionTimestamp() != null;
    if (deleting) {
      deleteOwned(namespace, name);
      boolean gone = ownedPods(workload).isEmpty();
      if (!gone || !WorkloadPhase.DELETING.equals(previous)) {
        setPhase(workload, Lifecycle.next(previous, new Observation(true, false, true, blueprint.replicas(), List.of(),
            0, 0, false)), ownedPods(workload));
        if (!gone) {
          return; // the pods' deletion events bring it back here
        }
      }
      replaced.remove(workload.getMetadata().getUid());
      written.remove(workload.getMetadata().getUid());
      idleSince.remove(workload.getMetadata().getUid());
      removeFinalizer(workload);
      return;
    }
    if (!hasFinalizer(workload)) {
      addFinalizer(workload);
      return; // the update brings it back here
    }
    if (previous != null && previous.terminal()) {
      return; // Completed and Failed are final: the status keeps why it ended
    }
    if (previous == null) {
      // Submitted: say so first; the status update brings it back here to create what it owns.
      setPhase(workload, Lifecycle.next(null, new Observation(false, false, false, blueprint.replicas(), List.of(), 0, 0,
          false)), List.of());
      return;
    }
    boolean stopped = Boolean.TRUE.equals(blueprint.spec().stopped());
    List<Pod> owned = ownedPods(workload);
    if (!stopped && overRuntime(workload, policy)) {
      events.warn(workload, "MaxRuntimeExceeded", "ran longer than the policy's maximum of "
          + policy.maxRuntime().orElseThrow() + " (policy " + String.join(", ", policy.policies()) + "); stopping it");
      client.resource(workload).patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"stopped\":true}}");
      return; // the patch brings it back here, stopped
    }
    if (!stopped && idleTooLong(workload, policy, owned)) {
      events.warn(workload, "MaxIdleTimeExceeded", "its GPUs were idle longer than the policy's maximum of "
          + policy.maxIdleTime().orElseThrow() + " (policy " + String.join(", ", policy.policies()) + "); stopping it");
      client.resource(workload).patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"stopped\":true}}");
      return;
    }

    boolean podGroup;
    if (stopped) {
      if (desired.deployment() != null) {
        client.resource(desired.deployment()).delete();
      }
      owned.forEach(pod -> client.resource(pod).delete());
      owned = List.of();
      podGroup = true;
    } else {
      podGroup = ensure(desired.podGroup());
      desired.services().forEach(this::ensure);
      if (desired.deployment() != null) {
        ensure(desired.deployment());
      }
      owned = ensurePods(workload, desired.pods(), owned);
    }

    List<Observation.PodView> views = new ArrayList<>();
    Set<String> recreated = replaced.getOrDefault(workload.getMetadata().getUid(), new HashSet<>());
    for (Pod pod : owned) {
      Observation.PodView view = view(pod);
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
    Observation seen = new Observation(false, stopped, podGroup, blueprint.replicas(), views,
        servicesWithoutEndpoints(desired), volumesNotBound(blueprint),
        kind == WorkloadKind.TRAINING || kind == WorkloadKind.DISTRIBUTED_TRAINING);
    Lifecycle.Transition transition = Lifecycle.next(
        previous, seen);
    setPhase(workload, transition, owned);
  }

  private static boolean hasFinalizer(WorkloadResource<?> workload) {
    return workload.getMetadata().getFinalizers() != null && workload.getMetadata().getFinalizers().contains(FINALIZER);
  }

  private void addFinalizer(WorkloadResource<?> workload) {
    List<String> finalizers = new ArrayList<>(
        workload.getMetadata().getFinalizers() == null ? List.of() : workload.getMetadata().getFinalizers());
    finalizers.add(FINALIZER);
    patchFinalizers(workload, finalizers);
  }

  private void removeFinalizer(WorkloadResource<?> workload) {
    List<String> finalizers = new ArrayList<>(
        workload.getMetadata().getFinalizers() == null ? List.of() : workload.getMetadata().getFinalizers());
    if (finalizers.remove(FINALIZER)) {
      patchFinalizers(workload, finalizers);
    }
  }

  @SuppressWarnings("unchecked")
  private void patchFinalizers(WorkloadResource<?> workload, List<String> finalizers) {
    try {
      editFinalizers((Class<WorkloadResource<?>>) workload.getClass(), workload.getMetadata().getNamespace(),
          workload.getMetadata().getName(), finalizers);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404 && e.getCode() != 409) {
        throw e;
      }
      // 409: changed meanwhile; the next event (or the periodic resync) tries again
    }
  }

  private <T extends io.fabric8.kubernetes.api.model.HasMetadata> void editFinalizers(
      Class<T> type, String namespace, String name, List<String> finalizers) {
    client.resources(type).inNamespace(namespace).withName(name).edit(current -> {
      current.getMetadata().setFinalizers(finalizers);
      return current;
    });
  }

  /** The workload policies in force; the admission webhook reviews with them too. */
  public WorkloadPolicies policies() {
    return policies;
  }

  /** The workload's status: as last written by this controller, else as the informer has it. */
  private WorkloadStatus status(WorkloadResource<?> workload) {
    WorkloadStatus mine = written.get(workload.getMetadata().getUid());
    return mine != null ? mine : workload.statusOrEmpty();
  }

  /** Re-examines every workload: time limits pass without any event to say so. */
  public void resync() {
    informers.forEach((kind, informer) -> informer.getStore().list().forEach(w ->
        enqueue(kind, w.getMetadata().getNamespace(), w.getMetadata().getName())));
  }

  /**
   * Whether a running workspace's GPUs have all been at 0 % for longer than the policy's
   * {@code maxIdleTime}. Unknown utilisation (no agent report, no GPU) is never idle: a workspace
   * is stopped only on evidence. The idle clock lives in memory; a restart starts it again.
   */
  private boolean idleTooLong(WorkloadResource<?> workload, EffectivePolicy policy, List<Pod> owned) {
    String uid = workload.getMetadata().getUid();
    WorkloadPhase phase = status(workload).workloadPhase();
    if (workload.workloadKind() != WorkloadKind.WORKSPACE || policy.maxIdleTime().isEmpty()
        || (phase != WorkloadPhase.RUNNING && phase != WorkloadPhase.DEGRADED) || owned.isEmpty()) {
      idleSince.remove(uid);
      return false;
    }
    for (Pod pod : owned) {
      java.util.OptionalInt busy = gpuBusy.apply(dev.tessera.extender.cluster.PodRequests.keyOf(pod));
      if (busy.isEmpty() || busy.getAsInt() > 0) {
        idleSince.remove(uid);
        return false;
      }
    }
    java.time.Instant since = idleSince.computeIfAbsent(uid, u -> clock.instant());
    if (Duration.between(since, clock.instant()).compareTo(policy.maxIdleTime().get()) <= 0) {
      return false;
    }
    idleSince.remove(uid);
    return true;
  }

  /** Whether it has been running (since its last run began) longer than the policy allows. */
  private boolean overRuntime(WorkloadResource<?> workload, EffectivePolicy policy) {
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
    return since != null
        && Duration.between(java.time.Instant.parse(since), clock.instant()).compareTo(policy.maxRuntime().get()) > 0;
  }

  /** Why the spec cannot be run, or null. */
  private static String specProblem(WorkloadResource<?> workload, EffectivePolicy policy) {
    WorkloadSpec spec = workload.workload() == null ? null : policy.applyDefaults(workload.workload());
    if (spec == null) {
      return "spec is missing";
    }
    if (spec.image() == null || spec.image().isBlank()) {
      return "spec.image is required";
    }
    if (workload instanceof DistributedTrainingResource distributed) {
      DistributedTrainingSpec d = distributed.getSpec();
      if (d.framework() == null || !DistributedTrainingSpec.FRAMEWORKS.contains(d.framework())) {
        return "spec.framework must be one of " + DistributedTrainingSpec.FRAMEWORKS + ", was " + d.framework();
      }
      if (d.workers() == null || d.workers() < 1) {
        return "spec.workers must be at least 1, was " + d.workers();
      }
    }
    return null;
  }

  /** The workload as it runs: its spec with the policy's defaults where it left fields out. */
  private static Blueprint.Workload blueprint(WorkloadResource<?> workload, EffectivePolicy policy) {
    Blueprint.Distributed distributed = null;
    if (workload instanceof DistributedTrainingResource d) {
      Integer port = d.getSpec().masterPortOrDefault();
      distributed = new Blueprint.Distributed(d.getSpec().framework(), d.getSpec().workers(), port == null ? 29500 : port);
    }
    int serving = workload.workloadKind() == WorkloadKind.INFERENCE ? requestedPods(workload) : 1;
    return new Blueprint.Workload(workload.workloadKind(), workload.getMetadata().getNamespace(),
        workload.getMetadata().getName(), workload.getMetadata().getUid(), policy.applyDefaults(workload.workload()),
        distributed, serving);
  }

  private List<Pod> ownedPods(WorkloadResource<?> workload) {
    List<Pod> owned = new ArrayList<>();
    for (Pod pod : pods.getStore().list()) {
      if (pod.getMetadata().getNamespace().equals(workload.getMetadata().getNamespace())
          && workload.getMetadata().getName().equals(pod.getMetadata().getLabels().get(Blueprint.WORKLOAD_LABEL))
          && (workload.workloadKind() == WorkloadKind.INFERENCE // its replicas belong to a ReplicaSet
              || pod.getMetadata().getOwnerReferences() != null
                  && pod.getMetadata().getOwnerReferences().stream().anyMatch(o -> workload.getMetadata().getUid().equals(o.getUid())))) {
        owned.add(pod);
      }
    }
    return owned;
  }

  /** Creates the desired pods that do not exist; a pod that existed before was preempted or evicted. */
  private List<Pod> ensurePods(WorkloadResource<?> workload, List<Pod> desired, List<Pod> owned) {
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
      try {
        all.add(client.resource(pod).create());
        if (started && seenBefore(workload, pod.getMetadata().getName())) {
          replaced.computeIfAbsent(uid, u -> new HashSet<>()).add(pod.getMetadata().getName());
          events.warn(workload, "PodRestarted", "pod " + pod.getMetadata().getName()
              + " was preempted or evicted; created again, it waits to be scheduled");
        }
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
      }
    }
    return all;
  }

  /** True when the status says the workload had requested pods running: a missing pod is a lost one. */
  private boolean seenBefore(WorkloadResource<?> workload, String podName) {
    WorkloadStatus status = status(workload);
    return status.runningPods() != null && status.runningPods() > 0 || status.nodes() != null && !status.nodes().isEmpty();
  }

  private boolean ensure(io.fabric8.kubernetes.api.model.HasMetadata object) {
    try {
      if (client.resource(object).get() == null) {
        client.resource(object).create();
      }
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        return true;
      }
      throw e;
    }
  }

  /**
   * Deletes what the workload owns, one object at a time (the {@code delete} verb; a collection
   * delete would need {@code deletecollection}). Owner references make the cluster's garbage
   * collector do the same; this does not wait for it.
   */
  private void deleteOwned(String namespace, String name) {
    client.apps().deployments().inNamespace(namespace).withLabel(Blueprint.WORKLOAD_LABEL, name).list().getItems()
        .forEach(d -> client.resource(d).delete());
    client.pods().inNamespace(namespace).withLabel(Blueprint.WORKLOAD_LABEL, name).list().getItems()
        .forEach(p -> client.resource(p).delete());
    client.services().inNamespace(namespace).withLabel(Blueprint.WORKLOAD_LABEL, name).list().getItems()
        .forEach(svc -> client.resource(svc).delete());
    PodGroupResource group = client.resources(PodGroupResource.class).inNamespace(namespace).withName(name).get();
    if (group != null && name.equals(group.getMetadata().getLabels() == null ? null
        : group.getMetadata().getLabels().get(Blueprint.WORKLOAD_LABEL))) {
      client.resource(group).delete();
    }
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

  /** Services of the workload with no ready address, from the endpoints informer (which sees only labelled ones). */
  private int servicesWithoutEndpoints(Blueprint.Desired desired) {
    int missing = 0;
    for (Service service : desired.services()) {
      if ("None".equals(service.getSpec().getClusterIP())) {
        continue; // the peers' headless service: reachability is the pods' readiness
      }
      Endpoints endpoints = this.endpoints.getStore().getByKey(
          service.getMetadata().getNamespace() + "/" + service.getMetadata().getName());
      boolean ready = endpoints != null && endpoints.getSubsets() != null
          && endpoints.getSubsets().stream().anyMatch(s -> s.getAddresses() != null && !s.getAddresses().isEmpty());
      if (!ready) {
        missing++;
      }
    }
    return missing;
  }

  static Observation.PodView view(Pod pod) {
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
    return new Observation.PodView(pod.getMetadata().getName(), scheduled, ready, phase, failure, evicted);
  }

  private void setPhase(WorkloadResource<?> workload, Lifecycle.Transition transition, List<Pod> owned) {
    WorkloadStatus status = status(workload);
    String now = DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS));
    String phase = transition.phase().label();
    List<WorkloadStatus.PhaseChange> history = status.phaseHistory() == null ? new ArrayList<>() : new ArrayList<>(status.phaseHistory());
    boolean changed = !phase.equals(status.phase());
    if (changed) {
      history.add(new WorkloadStatus.PhaseChange(phase, now, transition.reason(), transition.message()));
    }
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
        status.conditions(),
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
        connections(workload),
        transition.reason(),
        workload.getMetadata().getGeneration());
    if (next.equals(status)) {
      return;
    }
    if (!writeStatus(workload, next)) {
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
  private static Quantity plusRequests(Quantity sum, Pod pod, String resource) {
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

  /** Where each of the workload's ports is reached from inside the cluster. */
  private static List<WorkloadStatus.ConnectionStatus> connections(WorkloadResource<?> workload) {
    WorkloadSpec spec = workload.workload();
    if (spec == null || spec.connections() == null || spec.connections().isEmpty()) {
      return null;
    }
    String host = workload.getMetadata().getName() + "-connect." + workload.getMetadata().getNamespace() + ".svc";
    List<WorkloadStatus.ConnectionStatus> addresses = new ArrayList<>();
    for (WorkloadSpec.Connection connection : spec.connections()) {
      addresses.add(new WorkloadStatus.ConnectionStatus(connection.name(), connection.port(), host + ":" + connection.port()));
    }
    return addresses;
  }


  /** Pods the workload runs: master plus workers, an inference's minimum replicas, else one. */
  private static int requestedPods(WorkloadResource<?> workload) {
    if (workload instanceof DistributedTrainingResource d && d.getSpec() != null && d.getSpec().workers() != null) {
      return d.getSpec().workers() + 1;
    }
    if (workload instanceof InferenceResource i && i.getSpec() != null && i.getSpec().minReplicas() != null) {
      return Math.max(1, i.getSpec().minReplicas());
    }
    return 1;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  /** Writes the status over the version read; false when that version is no longer current. */
  private boolean writeStatus(WorkloadResource<?> workload, WorkloadStatus status) {
    WorkloadResource copy = (WorkloadResource) client.getKubernetesSerialization().clone(workload);
    copy.setStatus(status);
    try {
      client.resource(copy).updateStatus();
      written.put(workload.getMetadata().getUid(), status);
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409 || e.getCode() == 404) {
        return false;
      }
      throw e;
    }
  }

  private void endpointsChanged(Endpoints e) {
    String workload = e.getMetadata().getLabels().get(Blueprint.WORKLOAD_LABEL);
    String kind = e.getMetadata().getLabels().get(dev.tessera.extender.model.WellKnown.WORKLOAD_KIND_LABEL);
    for (WorkloadKind candidate : WorkloadKind.values()) {
      if (candidate.label().equals(kind)) {
        enqueue(candidate, e.getMetadata().getNamespace(), workload);
      }
    }
  }

  private void ownedPodChanged(Pod pod) {
    String kindLabel = pod.getMetadata().getLabels().get(dev.tessera.extender.model.WellKnown.WORKLOAD_KIND_LABEL);
    if (WorkloadKind.INFERENCE.label().equals(kindLabel)) {
      enqueue(WorkloadKind.INFERENCE, pod.getMetadata().getNamespace(),
          pod.getMetadata().getLabels().get(Blueprint.WORKLOAD_LABEL));
      return;
    }
    if (pod.getMetadata().getOwnerReferences() == null) {
      return;
    }
    pod.getMetadata().getOwnerReferences().forEach(owner -> {
      for (WorkloadKind kind : WorkloadKind.values()) {
        if (kind.kind().equals(owner.getKind()) && Blueprint.API_VERSION.equals(owner.getApiVersion())) {
          enqueue(kind, pod.getMetadata().getNamespace(), owner.getName());
        }
      }
    });
  }
}
