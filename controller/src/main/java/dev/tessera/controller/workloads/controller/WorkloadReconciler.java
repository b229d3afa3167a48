package dev.tessera.controller.workloads.controller;

import dev.tessera.api.WellKnown;
import dev.tessera.api.policy.PodGroupResource;
import dev.tessera.api.workloads.DistributedTrainingResource;
import dev.tessera.api.workloads.InferenceResource;
import dev.tessera.api.workloads.TrainingResource;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.api.workloads.WorkspaceResource;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The workload controller as java-operator-sdk runs it, one per kind: JOSDK queues a workload's
 * events, never runs two passes of one workload at once, retries a failed pass with backoff, keeps
 * the finalizer and calls {@link #cleanup} on deletion, and holds the caches of what a workload owns
 * (pods, endpoints, Services, its PodGroup, an inference's Deployment) in informers indexed by
 * their workload. The decisions are {@link WorkloadController}'s, the same for every kind.
 *
 * <p>One subclass per kind, because JOSDK reads the resource class off the type argument.
 */
abstract class WorkloadReconciler<W extends WorkloadResource<?>> implements Reconciler<W>, Cleaner<W> {
  private final WorkloadController core;
  private final WorkloadKind kind;
  /** Passes asked for outside JOSDK's events: a resync, a round of metric reads. */
  private final SimpleInboundEventSource<W> rechecks = new SimpleInboundEventSource<>("rechecks");
  /** Set when JOSDK prepares the event sources (at registration); read by the reconciling threads. */
  private volatile Caches<W> caches;
  /** Per workload, who waits for its next pass ({@link #recheck}): completed when that pass ends. */
  private final Map<ResourceID, List<CompletableFuture<Void>>> awaiting = new ConcurrentHashMap<>();

  WorkloadReconciler(WorkloadController core, WorkloadKind kind) {
    this.core = Objects.requireNonNull(core, "core");
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  WorkloadKind kind() {
    return kind;
  }

  /** The caches JOSDK fills: the workloads of this kind and, per type, what they own. */
  private record Caches<W extends HasMetadata>(
      IndexedResourceCache<W> workloads, Map<Class<?>, InformerEventSource<?, W>> owned) {}

  @Override
  public List<EventSource<?, W>> prepareEventSources(EventSourceContext<W> context) {
    Map<Class<?>, InformerEventSource<?, W>> owned = new LinkedHashMap<>();
    // In the order a deleted workload's objects are deleted: the Deployment before the pods it
    // would make again, the PodGroup last.
    if (kind == WorkloadKind.INFERENCE) {
      owned.put(Deployment.class, informer(context, Deployment.class, "deployments"));
    }
    owned.put(Pod.class, informer(context, Pod.class, "pods"));
    owned.put(Service.class, informer(context, Service.class, "services"));
    owned.put(PodGroupResource.class, informer(context, PodGroupResource.class, "podgroups"));
    // Endpoints carry their Service's labels: a change of readiness there changes the phase.
    owned.put(Endpoints.class, informer(context, Endpoints.class, "endpoints"));
    caches = new Caches<>(context.getPrimaryCache(), Collections.unmodifiableMap(owned));
    List<EventSource<?, W>> sources = new ArrayList<>(owned.values());
    sources.add(rechecks);
    return sources;
  }

  /**
   * The informer on one type of what this kind's workloads own: only objects labelled with a
   * workload of this kind (the controller labels all it makes; endpoints take their Service's
   * labels), each mapped to its workload.
   */
  private <R extends HasMetadata> InformerEventSource<R, W> informer(
      EventSourceContext<W> context, Class<R> type, String name) {
    return new InformerEventSource<>(InformerEventSourceConfiguration.from(type, context.getPrimaryResourceClass())
        .withName(name)
        .withLabelSelector(Blueprint.WORKLOAD_LABEL + "," + WellKnown.WORKLOAD_KIND_LABEL + "=" + kind.label())
        .withSecondaryToPrimaryMapper(this::workloadsOf)
        .build(), context);
  }

  /** The workloads of this kind an object belongs to: its labels', and its owners' (by reference). */
  private Set<ResourceID> workloadsOf(HasMetadata object) {
    Set<ResourceID> workloads = new HashSet<>();
    String namespace = object.getMetadata().getNamespace();
    Map<String, String> labels = object.getMetadata().getLabels();
    if (labels != null && labels.get(Blueprint.WORKLOAD_LABEL) != null
        && kind.label().equals(labels.get(WellKnown.WORKLOAD_KIND_LABEL))) {
      workloads.add(new ResourceID(labels.get(Blueprint.WORKLOAD_LABEL), namespace));
    }
    if (object.getMetadata().getOwnerReferences() != null) {
      object.getMetadata().getOwnerReferences().stream()
          .filter(o -> kind.kind().equals(o.getKind()) && Blueprint.API_VERSION.equals(o.getApiVersion()))
          .forEach(o -> workloads.add(new ResourceID(o.getName(), namespace)));
    }
    return workloads;
  }

  @Override
  public UpdateControl<W> reconcile(W workload, Context<W> context) {
    List<CompletableFuture<Void>> waiting = awaiting.remove(ResourceID.fromResource(workload));
    try {
      JosdkPass pass = new JosdkPass(workload, context);
      core.reconcile(workload, pass);
      // Without a timer of its own, JOSDK's maximum interval brings it back (WorkloadController.RECHECK).
      return pass.due == null ? UpdateControl.noUpdate() : UpdateControl.<W>noUpdate().rescheduleAfter(pass.due);
    } finally {
      if (waiting != null) {
        waiting.forEach(done -> done.complete(null));
      }
    }
  }

  @Override
  public DeleteControl cleanup(W workload, Context<W> context) {
    List<CompletableFuture<Void>> waiting = awaiting.remove(ResourceID.fromResource(workload));
    try {
      // Not let go yet: the deletion events of what it owns, or of the status it wrote, bring it back.
      return core.cleanup(workload, new JosdkPass(workload, context))
          ? DeleteControl.defaultDelete()
          : DeleteControl.noFinalizerRemoval();
    } finally {
      if (waiting != null) {
        waiting.forEach(done -> done.complete(null));
      }
    }
  }

  /** Whether a workload of this kind has this namespace and name (false before the controller starts). */
  boolean has(String namespace, String name) {
    Caches<W> known = caches;
    return known != null && known.workloads().get(new ResourceID(name, namespace)).isPresent();
  }

  /** Passes of every workload of this kind, completed once each has had one that began after this call. */
  CompletableFuture<Void> recheckAll() {
    Caches<W> known = caches;
    if (known == null) {
      return CompletableFuture.completedFuture(null); // not started: its first passes are still to come
    }
    List<CompletableFuture<Void>> passes = new ArrayList<>();
    known.workloads().list().forEach(w -> passes.add(recheck(ResourceID.fromResource(w))));
    return CompletableFuture.allOf(passes.toArray(CompletableFuture[]::new));
  }

  /**
   * A pass of the workload soon, completed when a pass that began after this call ends. One
   * already running finishes first: JOSDK keeps the event and runs another.
   */
  CompletableFuture<Void> recheck(ResourceID workload) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    // compute, not computeIfAbsent then add: atomic against the remove a starting pass makes.
    awaiting.compute(workload, (id, waiting) -> {
      List<CompletableFuture<Void>> all = waiting == null ? new ArrayList<>() : waiting;
      all.add(done);
      return all;
    });
    rechecks.propagateEvent(workload);
    return done;
  }

  /** One pass over one workload, on JOSDK's context and caches. */
  private final class JosdkPass implements WorkloadController.Pass {
    private final W workload;
    private final Context<W> context;
    private final String uid;
    /** The earliest timer the pass asked for, or null. */
    private Duration due;

    JosdkPass(W workload, Context<W> context) {
      this.workload = workload;
      this.context = context;
      this.uid = workload.getMetadata().getUid();
    }

    @Override
    public List<Pod> pods() {
      return owned(Pod.class);
    }

    /** What the workload's UID owns of one type, by name: the index finds by name, the UID tells whose. */
    private <R extends HasMetadata> List<R> owned(Class<R> type) {
      return context.getSecondaryResourcesAsStream(type)
          .filter(object -> WorkloadController.workloadUids(object).contains(uid))
          .sorted(Comparator.comparing(object -> object.getMetadata().getName()))
          .toList();
    }

    @Override
    public List<HasMetadata> owned() {
      List<HasMetadata> all = new ArrayList<>();
      caches.owned().keySet().stream().filter(type -> type != Endpoints.class)
          .forEach(type -> all.addAll(owned(type.asSubclass(HasMetadata.class))));
      return all;
    }

    @Override
    public <T extends HasMetadata> T cached(T object) {
      InformerEventSource<T, W> source = source(object);
      return source == null ? null : source.get(ResourceID.fromResource(object)).orElse(null);
    }

    @Override
    public Endpoints endpoints(String namespace, String name) {
      InformerEventSource<?, W> source = caches.owned().get(Endpoints.class);
      return (Endpoints) source.get(new ResourceID(name, namespace)).orElse(null);
    }

    @Override
    public void created(HasMetadata object) {
      InformerEventSource<HasMetadata, W> source = source(object);
      if (source != null) {
        source.handleRecentResourceCreate(ResourceID.fromResource(object), object);
      }
    }

    @Override
    public void updated(HasMetadata object, HasMetadata before) {
      InformerEventSource<HasMetadata, W> source = source(object);
      if (source != null) {
        source.handleRecentResourceUpdate(ResourceID.fromResource(object), object, before);
      }
    }

    @Override
    @SuppressWarnings("unchecked")
    public void statusWritten(WorkloadResource<?> written) {
      context.eventSourceRetriever().getControllerEventSource()
          .handleRecentResourceUpdate(ResourceID.fromResource(workload), (W) written, workload);
    }

    @Override
    public void recheckIn(Duration delay) {
      if (due == null || delay.compareTo(due) < 0) {
        due = delay;
      }
    }

    @Override
    public boolean recheck() {
      ResourceID id = ResourceID.fromResource(workload);
      if (!has(id.getNamespace().orElseThrow(), id.getName())) {
        return false;
      }
      rechecks.propagateEvent(id); // nobody waits for this one
      return true;
    }

    @SuppressWarnings("unchecked")
    private <T extends HasMetadata> InformerEventSource<T, W> source(T object) {
      return (InformerEventSource<T, W>) caches.owned().get(object.getClass());
    }
  }

  static final class Workspaces extends WorkloadReconciler<WorkspaceResource> {
    Workspaces(WorkloadController core) {
      super(core, WorkloadKind.WORKSPACE);
    }
  }

  static final class Trainings extends WorkloadReconciler<TrainingResource> {
    Trainings(WorkloadController core) {
      super(core, WorkloadKind.TRAINING);
    }
  }

  static final class DistributedTrainings extends WorkloadReconciler<DistributedTrainingResource> {
    DistributedTrainings(WorkloadController core) {
      super(core, WorkloadKind.DISTRIBUTED_TRAINING);
    }
  }

  static final class Inferences extends WorkloadReconciler<InferenceResource> {
    Inferences(WorkloadController core) {
      super(core, WorkloadKind.INFERENCE);
    }
  }
}
