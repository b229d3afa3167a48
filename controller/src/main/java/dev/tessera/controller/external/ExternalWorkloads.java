package dev.tessera.controller.external;

import dev.tessera.api.WellKnown;
import dev.tessera.api.policy.PodGroupResource;
import dev.tessera.api.policy.PodGroupSpec;
import dev.tessera.api.workloads.ExternalWorkloadResource;
import dev.tessera.api.workloads.ExternalWorkloadSpec;
import dev.tessera.api.workloads.ExternalWorkloadSpec.Owner;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadPhase;
import dev.tessera.api.workloads.WorkloadStatus;
import dev.tessera.controller.workloads.controller.WorkloadController;
import dev.tessera.controller.workloads.controller.WorkloadEvents;
import dev.tessera.controller.workloads.lifecycle.Lifecycle;
import dev.tessera.controller.workloads.lifecycle.Observation;
import dev.tessera.extender.informers.InformerSync;
import dev.tessera.extender.ledger.PodRequests;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one {@link ExternalWorkloadResource} per top owner of the pods the pod webhook grouped
 * ({@code tessera.dev/workload-kind: external}), with its PodGroup when the owner's kind makes a
 * gang ({@link GroupingRules}), and writes its status from its pods as the workload controller
 * does for Tessera's kinds: the nine phases ({@link Lifecycle}), pods, GPUs, CPU, memory, nodes.
 * Both are owned by the top owner, so the cluster's garbage collector removes them with it.
 *
 * <p>One thread owns the work: informer threads only queue a workload's key, and the thread
 * reconciles each queued key from the informers' caches, so two events of one workload never race.
 * A write that conflicts is tried again after {@value #RETRY_MILLIS} ms.
 */
public final class ExternalWorkloads implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ExternalWorkloads.class);
  private static final String BY_WORKLOAD = "workload";
  static final long RETRY_MILLIS = 1_000;
  /** Kinds whose workload ends when its pods end, rather than running until deleted. */
  private static final Set<String> COMPLETING =
      Set.of("Job", "JobSet", "PyTorchJob", "TFJob", "MPIJob", "RayJob", "SparkApplication", "Pod");

  private final KubernetesClient client;
  private final Clock clock;
  private final TopOwners.Reader reader;
  private final WorkloadEvents events;
  private final ScheduledExecutorService worker =
      Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("tessera-external-workloads", true));
  /** Keys queued and not yet reconciled: an event for one of them queues nothing more. */
  private final Set<String> queued = ConcurrentHashMap.newKeySet();
  /** How long a workload may have no pods before it is Stopped (see {@link #stopWhenStillEmpty}). */
  static final Duration EMPTY_GRACE = Duration.ofSeconds(5);
  /** When each workload was first seen without pods; only the worker thread touches it. */
  private final Map<String, java.time.Instant> emptySince = new java.util.HashMap<>();
  /** Workloads whose owner annotation could not be read, reported once each. */
  private final Set<String> reported = ConcurrentHashMap.newKeySet();
  private SharedIndexInformer<Pod> pods;
  private SharedIndexInformer<ExternalWorkloadResource> workloads;

  public ExternalWorkloads(KubernetesClient client, Clock clock, TopOwners.Reader reader) {
    this.client = Objects.requireNonNull(client, "client");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.reader = Objects.requireNonNull(reader, "reader");
    this.events = new WorkloadEvents(client, clock);
  }

  /** Starts the informers and waits until both have listed. */
  public void start(Duration syncTimeout) {
    pods = client.pods().inAnyNamespace()
        .withLabel(WellKnown.WORKLOAD_KIND_LABEL, WorkloadKind.EXTERNAL.label()).runnableInformer(0);
    pods.addIndexers(Map.of(BY_WORKLOAD, pod -> List.of(keyOf(pod))));
    pods.addEventHandler(handler(ExternalWorkloads::keyOf));
    workloads = client.resources(ExternalWorkloadResource.class).inAnyNamespace().runnableInformer(0);
    workloads.addEventHandler(handler(w -> w.getMetadata().getNamespace() + "/" + w.getMetadata().getName()));
    InformerSync.startAll("the external workloads' informers",
        Map.of("grouped pods", pods, "externalworkloads", workloads), syncTimeout,
        "check that the ExternalWorkload CRD (deploy/06-workload-crds.yaml) is installed",
        "check the extender's RBAC for pods and externalworkloads (deploy/10-extender-rbac.yaml)");
  }

  private <T> ResourceEventHandler<T> handler(java.util.function.Function<T, String> key) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T object) {
        queue(key.apply(object), 0);
      }

      @Override
      public void onUpdate(T before, T after) {
        queue(key.apply(after), 0);
      }

      @Override
      public void onDelete(T object, boolean unknownFinalState) {
        queue(key.apply(object), 0);
      }
    };
  }

  private static String keyOf(Pod pod) {
    String name = pod.getMetadata().getLabels() == null ? null
        : pod.getMetadata().getLabels().get(WellKnown.WORKLOAD_LABEL);
    return pod.getMetadata().getNamespace() + "/" + (name == null ? "" : name);
  }

  private void queue(String key, long delayMillis) {
    if (key.endsWith("/") || !queued.add(key)) {
      return;
    }
    worker.schedule(() -> {
      queued.remove(key);
      try {
        reconcile(key);
      } catch (KubernetesClientException e) {
        log.warn("external workload {}: the API server refused a write (HTTP {}: {}); trying again in {} ms", key,
            e.getCode(), e.getMessage(), RETRY_MILLIS);
        queue(key, RETRY_MILLIS);
      } catch (RuntimeException e) {
        log.error("external workload {}: reconciling failed; trying again in {} ms. This is a bug: report it"
            + " with this stack trace", key, RETRY_MILLIS, e);
        queue(key, RETRY_MILLIS);
      }
    }, delayMillis, TimeUnit.MILLISECONDS);
  }

  private void reconcile(String key) {
    String namespace = key.substring(0, key.indexOf('/'));
    String name = key.substring(key.indexOf('/') + 1);
    List<Pod> members = pods.getIndexer().byIndex(BY_WORKLOAD, key);
    ExternalWorkloadResource workload = workloads.getIndexer().getByKey(key);
    if (members.isEmpty()) {
      if (workload != null) {
        stopWhenStillEmpty(key, workload);
      }
      return;
    }
    emptySince.remove(key);
    if (workload == null) {
      create(namespace, name, members);
      return; // its own add event brings it back here for its status
    }
    writeStatus(workload, members);
  }

  /**
   * A workload whose owner runs no pods (a Deployment scaled to zero, a RayCluster suspended) is
   * Stopped once it has had none for {@link #EMPTY_GRACE}: a ReplicaSet replacing its only pod
   * leaves it without one for a moment, which is no reason to say it stopped. A terminal phase
   * stays; a workload the garbage collector is taking with its owner goes anyway.
   */
  private void stopWhenStillEmpty(String key, ExternalWorkloadResource workload) {
    java.time.Instant since = emptySince.computeIfAbsent(key, k -> clock.instant());
    java.time.Duration empty = java.time.Duration.between(since, clock.instant());
    if (empty.compareTo(EMPTY_GRACE) < 0) {
      queue(key, EMPTY_GRACE.minus(empty).toMillis() + 1);
      return;
    }
    WorkloadPhase phase = workload.statusOrEmpty().workloadPhase();
    if (phase == null || phase.terminal() || phase == WorkloadPhase.STOPPED) {
      return;
    }
    String owner = workload.getSpec() == null || workload.getSpec().owner() == null ? "its owner"
        : workload.getSpec().owner().kind() + " " + workload.getSpec().owner().name();
    write(workload, new Lifecycle.Transition(WorkloadPhase.STOPPED, "NoPods",
        owner + " runs no pods now (scaled to zero, or between runs)"), List.of(), 0);
  }

  private void create(String namespace, String name, List<Pod> members) {
    if (members.stream().allMatch(p -> p.getMetadata().getDeletionTimestamp() != null)) {
      return; // going with their owner: the garbage collector took its workload first
    }
    Owner owner = members.stream()
        .map(p -> p.getMetadata().getAnnotations() == null ? null
            : Owner.parse(p.getMetadata().getAnnotations().get(WellKnown.TOP_OWNER_ANNOTATION)))
        .filter(Objects::nonNull).findFirst().orElse(null);
    if (owner == null) {
      if (reported.add(namespace + "/" + name)) {
        log.warn("pods of workload {}/{} carry no readable {} annotation: the pod webhook writes it; no"
            + " ExternalWorkload is made for them", namespace, name, WellKnown.TOP_OWNER_ANNOTATION);
      }
      return;
    }
    Map<String, Object> object;
    try {
      // Only the kinds the RBAC lets it read; another kind's size is unknown (GroupingRules' fallback).
      Optional<Map<String, Object>> read = GroupingRules.readable(owner.apiVersion(), owner.kind())
          ? reader.read(namespace, owner.apiVersion(), owner.kind(), owner.name()) : Optional.of(Map.of());
      if (read.isEmpty()) {
        return; // the owner is gone and its pods go with it: nothing to track
      }
      object = read.get().isEmpty() ? null : read.get();
    } catch (TopOwners.ReadFailed e) {
      throw new KubernetesClientException("reading " + owner.kind() + " " + owner.name() + ": " + e.getMessage());
    }
    GroupingRules.Gang gang = GroupingRules.gang(owner.apiVersion(), owner.kind(), object);
    List<OwnerReference> ownedBy = owner.uid() == null ? List.of() : List.of(new OwnerReferenceBuilder()
        .withApiVersion(owner.apiVersion()).withKind(owner.kind()).withName(owner.name()).withUid(owner.uid())
        .withBlockOwnerDeletion(false).withController(false).build());
    String podGroup = gang.minMember() > 1 ? name : null;
    if (podGroup != null) {
      PodGroupResource group = new PodGroupResource();
      group.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).withOwnerReferences(ownedBy)
          .withLabels(Map.of(WellKnown.WORKLOAD_LABEL, name)).build());
      group.setSpec(new PodGroupSpec(gang.minMember(), null, null, null));
      createIfAbsent(group);
    }
    ExternalWorkloadResource workload = new ExternalWorkloadResource();
    workload.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).withOwnerReferences(ownedBy)
        .build());
    workload.setSpec(new ExternalWorkloadSpec(owner, gang.minMember(), podGroup, gang.rule()));
    if (createIfAbsent(workload)) {
      log.info("{} {}/{} is workload {} ({}{})", owner.kind(), namespace, owner.name(), name, gang.rule(),
          podGroup == null ? "" : "; PodGroup " + podGroup + " of " + gang.minMember());
    }
  }

  /** Creates it; false when it exists already (another pass, or a replica that led before). */
  private boolean createIfAbsent(io.fabric8.kubernetes.api.model.HasMetadata object) {
    try {
      client.resource(object).create();
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        return false;
      }
      throw e;
    }
  }

  private void writeStatus(ExternalWorkloadResource workload, List<Pod> members) {
    ExternalWorkloadSpec spec = workload.getSpec();
    int minMember = spec == null || spec.minMember() == null ? 1 : Math.max(1, spec.minMember());
    String ownerKind = spec == null || spec.owner() == null ? "" : spec.owner().kind();
    List<Pod> live = members.stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    List<Observation.PodView> views = live.stream().map(WorkloadController::view).toList();
    int requested = Math.max(minMember, live.size());
    WorkloadStatus status = workload.statusOrEmpty();
    WorkloadPhase previous = status.workloadPhase();
    Lifecycle.Transition transition = Lifecycle.next(previous, new Observation(false, false, true, requested, views,
        0, 0, COMPLETING.contains(ownerKind), Math.min(minMember, requested)));
    write(workload, transition, live, requested);
  }

  private void write(ExternalWorkloadResource workload, Lifecycle.Transition transition, List<Pod> live,
      int requested) {
    WorkloadStatus status = workload.statusOrEmpty();
    WorkloadStatus next = statusFor(workload, status, transition, live, requested);
    if (next.equals(status)) {
      return;
    }
    ExternalWorkloadResource copy = client.getKubernetesSerialization().clone(workload);
    copy.setStatus(next);
    try {
      client.resource(copy).updateStatus();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        queue(workload.getMetadata().getNamespace() + "/" + workload.getMetadata().getName(), RETRY_MILLIS);
        return;
      }
      if (e.getCode() == 404) {
        return; // gone with its owner
      }
      throw e;
    }
    if (!transition.phase().label().equals(status.phase())) {
      String message = (status.phase() == null ? "" : status.phase() + " -> ") + transition.phase().label() + ": "
          + transition.message();
      if (transition.phase() == WorkloadPhase.FAILED) {
        events.warn(workload, transition.reason(), message);
      } else {
        events.normal(workload, transition.reason(), message);
      }
    }
  }

  private WorkloadStatus statusFor(ExternalWorkloadResource workload, WorkloadStatus status,
      Lifecycle.Transition transition, List<Pod> live, int requested) {
    String now = DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS));
    String phase = transition.phase().label();
    List<WorkloadStatus.PhaseChange> history = Lifecycle.history(status, transition, now);
    int running = 0;
    double gpusRequested = 0;
    double gpusAllocated = 0;
    Quantity cpu = null;
    Quantity memory = null;
    Quantity cpuHeld = null;
    Quantity memoryHeld = null;
    Set<String> nodes = new TreeSet<>();
    for (Pod pod : live) {
      String podPhase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
      double gpus = PodRequests.of(pod).gpus(0);
      gpusRequested += gpus;
      cpu = WorkloadController.plusRequests(cpu, pod, "cpu");
      memory = WorkloadController.plusRequests(memory, pod, "memory");
      boolean finished = "Succeeded".equals(podPhase) || "Failed".equals(podPhase);
      if (pod.getSpec().getNodeName() != null) {
        nodes.add(pod.getSpec().getNodeName());
        if (!finished) {
          gpusAllocated += gpus;
          cpuHeld = WorkloadController.plusRequests(cpuHeld, pod, "cpu");
          memoryHeld = WorkloadController.plusRequests(memoryHeld, pod, "memory");
        }
      }
      running += "Running".equals(podPhase) ? 1 : 0;
    }
    return new WorkloadStatus(phase, status.conditions(), history, running, requested, gpusRequested, gpusAllocated,
        cpu == null ? null : cpu.toString(), memory == null ? null : memory.toString(),
        cpuHeld == null ? "0" : cpuHeld.toString(), memoryHeld == null ? "0" : memoryHeld.toString(),
        List.copyOf(nodes),
        status.createdAt() != null ? status.createdAt() : workload.getMetadata().getCreationTimestamp(),
        transition.phase().terminal() ? (status.completedAt() != null ? status.completedAt() : now) : null,
        null, transition.reason(), workload.getMetadata().getGeneration());
  }

  @Override
  public void close() {
    worker.shutdownNow();
    if (pods != null) {
      pods.close();
    }
    if (workloads != null) {
      workloads.close();
    }
  }
}
