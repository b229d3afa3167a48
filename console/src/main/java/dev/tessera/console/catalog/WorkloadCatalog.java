package dev.tessera.console.catalog;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.api.WellKnown;
import dev.tessera.api.policy.ProjectResource;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.api.workloads.WorkloadStatus;
import dev.tessera.console.history.DeletedWorkload;
import dev.tessera.console.history.HistoryEvent;
import dev.tessera.console.history.WorkloadHistory;
import dev.tessera.console.table.WorkloadRow;
import dev.tessera.console.table.WorkloadTable;
import io.fabric8.kubernetes.api.model.Pod;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every workload's row, kept current from the informers' events. One thread owns the state: each
 * event is applied on it in arrival order, so a workload, its pods and its project never race, and
 * informer threads only hand events over. Readers get an immutable {@link WorkloadTable}, rebuilt
 * at most once per change however many queries read it.
 */
public final class WorkloadCatalog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WorkloadCatalog.class);
  /** Changes kept for watches to resume from. */
  static final int CHANGES_KEPT = 10_000;

  private final RowBuilder rows;
  private final WorkloadHistory history;
  private final ObjectMapper json;
  private final Clock clock;
  private final Duration deletedRetention;
  private final ExecutorService owner;

  // Owned by the catalog's thread.
  private final Map<String, WorkloadResource<?>> workloads = new HashMap<>();
  private final Map<WorkloadKey, Map<String, PodRow>> podsOf = new HashMap<>();
  private final Map<String, WorkloadKey> workloadOfPod = new HashMap<>();
  /** Every pod a live workload has had, gone ones included: their events and metrics stay its. */
  private final Map<WorkloadKey, java.util.Set<String>> podsEver = new HashMap<>();
  private final Map<String, ProjectOf> projectOfNamespace = new HashMap<>();
  private final Map<String, List<String>> namespacesOfProject = new HashMap<>();
  private final Map<String, Integer> phasesRecorded = new HashMap<>();
  private final ChangeLog changes = new ChangeLog(CHANGES_KEPT);

  // Written by the catalog's thread, read by any.
  private final ConcurrentHashMap<String, WorkloadRow> live = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, WorkloadRow> deleted = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, WorkloadDetails> details = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<WorkloadKey, String> uidOf = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, List<Integer>> gpusOfPod = new ConcurrentHashMap<>();
  private final CopyOnWriteArrayList<Consumer<Change>> listeners = new CopyOnWriteArrayList<>();
  private volatile long version;
  /**
   * Tells this catalog's versions from another's: each replica of the console, and each start of
   * one, counts its own, so a version from elsewhere means nothing here.
   */
  private final String epoch = Long.toString(new java.security.SecureRandom().nextLong() >>> 1, 36);
  private volatile Tables tables =
      new Tables(-1, new WorkloadTable(List.of()), new WorkloadTable(List.of()), null);

  /**
   * The two views at one version.
   *
   * @param oldestDeleted when the oldest row of the Deleted view went: once it passes the retention
   *     the view is rebuilt without it, though nothing changed
   */
  private record Tables(long version, WorkloadTable live, WorkloadTable deleted, Instant oldestDeleted) {}

  /**
   * @param deletedRetention how long deleted workloads stay in the Deleted view
   */
  public WorkloadCatalog(RowBuilder rows, WorkloadHistory history, ObjectMapper json, Clock clock,
      Duration deletedRetention) {
    this.rows = Objects.requireNonNull(rows, "rows");
    this.history = Objects.requireNonNull(history, "history");
    this.json = Objects.requireNonNull(json, "json");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.deletedRetention = Objects.requireNonNull(deletedRetention, "deletedRetention");
    this.owner = Executors.newSingleThreadExecutor(new DefaultThreadFactory("tessera-console-catalog", true));
  }

  /**
   * Fills the Deleted view from the history store; a store that is down leaves it as it is, and
   * says so.
   *
   * @return whether the store answered
   */
  public boolean loadDeleted() {
    Instant since = clock.instant().minus(deletedRetention);
    try {
      for (DeletedWorkload gone : history.deletedSince(since)) {
        try {
          deleted.put(gone.uid(), json.readValue(gone.rowJson(), WorkloadRow.class));
        } catch (JsonProcessingException e) {
          log.warn("the Deleted view skips workload {}/{}: its kept row does not read ({})", gone.namespace(),
              gone.name(), e.getOriginalMessage());
        }
      }
      bump();
      return true;
    } catch (RuntimeException e) {
      log.warn("the Deleted view lists only workloads deleted from now on: the history store did not answer ({});"
          + " asking it again later", e.getMessage());
      return false;
    }
  }

  public void workloadChanged(WorkloadResource<?> workload) {
    owner.execute(() -> guarded("a workload's change", () -> applyWorkload(workload)));
  }

  public void workloadDeleted(WorkloadResource<?> workload) {
    owner.execute(() -> guarded("a workload's deletion", () -> removeWorkload(workload)));
  }

  public void podChanged(Pod pod) {
    owner.execute(() -> guarded("a pod's change", () -> applyPod(pod, false)));
  }

  public void podDeleted(Pod pod) {
    owner.execute(() -> guarded("a pod's deletion", () -> applyPod(pod, true)));
  }

  public void projectChanged(ProjectResource project) {
    owner.execute(() -> guarded("a project's change", () -> applyProject(project, false)));
  }

  public void projectDeleted(ProjectResource project) {
    owner.execute(() -> guarded("a project's deletion", () -> applyProject(project, true)));
  }

  /**
   * Runs {@code task} on the catalog's thread after every event handed over before it: for events
   * that need a pod's workload (history of pod events), and for tests to wait for the catalog.
   */
  public void afterPending(Runnable task) {
    owner.execute(() -> guarded("a queued task", task));
  }

  /** The workload a pod belongs to, by its uid; on the catalog's thread only (see {@link #afterPending}). */
  Optional<WorkloadRow> workloadOfPod(String podUid) {
    WorkloadKey key = workloadOfPod.get(podUid);
    String uid = key == null ? null : uidOf.get(key);
    return Optional.ofNullable(uid == null ? null : live.get(uid));
  }

  /** The workloads as they are now. */
  public WorkloadTable live() {
    return tables().live();
  }

  /** The workloads deleted within the retention, each with its last status and totals. */
  public WorkloadTable deleted() {
    return tables().deleted();
  }

  /** What this catalog's versions are counted in (see {@link #resourceVersion}). */
  public String epoch() {
    return epoch;
  }

  /** The version the tables are at; a watch from it misses nothing. */
  public long version() {
    return version;
  }

  /** A live workload's details, by kind and name. */
  public Optional<WorkloadDetails> details(String namespace, WorkloadKind kind, String name) {
    String uid = uidFor(new WorkloadKey(namespace, kind, name));
    return Optional.ofNullable(uid == null ? null : details.get(uid));
  }

  /** A live workload's row, by kind and name. */
  public Optional<WorkloadRow> row(String namespace, WorkloadKind kind, String name) {
    return details(namespace, kind, name).map(WorkloadDetails::row);
  }

  /**
   * The GPUs a pod of a live workload holds or last held on its node, by index; empty when unknown.
   * The metrics sources find a whole-GPU pod's series by it.
   */
  public List<Integer> gpusOf(String podUid) {
    return gpusOfPod.getOrDefault(podUid, List.of());
  }

  /** A deleted workload's last row, by uid. */
  public Optional<WorkloadRow> deletedRow(String uid) {
    return Optional.ofNullable(deleted.get(uid));
  }

  private String uidFor(WorkloadKey key) {
    return uidOf.get(key);
  }

  /**
   * Sends {@code listener} the changes after {@code fromVersion}, then every change as it happens,
   * on the catalog's thread (it must not block), until the returned handle is closed.
   *
   * @return empty when {@code fromVersion} is older than the changes kept (list again)
   */
  public Optional<AutoCloseable> watch(long fromVersion, Consumer<Change> listener) {
    java.util.concurrent.CompletableFuture<Optional<AutoCloseable>> answer = new java.util.concurrent.CompletableFuture<>();
    owner.execute(() -> {
      Optional<List<Change>> missed = changes.after(fromVersion);
      if (missed.isEmpty()) {
        answer.complete(Optional.empty());
        return;
      }
      missed.get().forEach(listener);
      listeners.add(listener);
      answer.complete(Optional.of(() -> listeners.remove(listener)));
    });
    try {
      return answer.get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting a watch", e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("the catalog did not start the watch: " + e.getMessage(), e);
    }
  }

  private Tables tables() {
    Tables current = tables;
    long now = version;
    Instant keptSince = clock.instant().minus(deletedRetention);
    if (current.version() == now
        && (current.oldestDeleted() == null || !current.oldestDeleted().isBefore(keptSince))) {
      return current;
    }
    List<WorkloadRow> recent = new ArrayList<>(deleted.size());
    Instant oldest = null;
    for (WorkloadRow row : deleted.values()) {
      if (row.deletedAt().isBefore(keptSince)) {
        deleted.remove(row.uid(), row); // past its retention: the store prunes its copy too
      } else {
        recent.add(row);
        oldest = oldest == null || row.deletedAt().isBefore(oldest) ? row.deletedAt() : oldest;
      }
    }
    // Two readers may both rebuild; either result is right for the version it read.
    Tables fresh = new Tables(now, new WorkloadTable(new ArrayList<>(live.values())), new WorkloadTable(recent),
        oldest);
    tables = fresh;
    return fresh;
  }

  private void applyWorkload(WorkloadResource<?> workload) {
    String uid = workload.getMetadata().getUid();
    WorkloadKey key = keyOf(workload);
    workloads.put(uid, workload);
    uidOf.put(key, uid);
    refresh(key);
    recordPhases(workload);
  }

  private void removeWorkload(WorkloadResource<?> workload) {
    String uid = workload.getMetadata().getUid();
    WorkloadKey key = keyOf(workload);
    workloads.remove(uid);
    uidOf.remove(key);
    for (String podUid : podsEver.getOrDefault(key, java.util.Set.of())) {
      workloadOfPod.remove(podUid);
      gpusOfPod.remove(podUid);
    }
    podsEver.remove(key);
    phasesRecorded.remove(uid);
    details.remove(uid);
    WorkloadRow last = live.remove(uid);
    if (last == null) {
      return;
    }
    recordPhases(workload);
    WorkloadRow gone = last.deleted(clock.instant());
    deleted.put(uid, gone);
    publish(Change.DELETED, gone);
    try {
      history.deleted(new DeletedWorkload(uid, gone.namespace(), workload.getKind(), gone.name(), gone.deletedAt(),
          json.writeValueAsString(gone)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a table row always writes as JSON", e);
    } catch (RuntimeException e) {
      log.warn("workload {}/{} was deleted but the history store did not keep it ({}); it is in the Deleted view"
          + " until this console restarts", gone.namespace(), gone.name(), e.getMessage());
    }
  }

  private void applyPod(Pod pod, boolean gone) {
    Map<String, String> labels = pod.getMetadata().getLabels();
    if (labels == null) {
      return;
    }
    WorkloadKind kind = WorkloadKey.kindOf(labels.get(WellKnown.WORKLOAD_KIND_LABEL));
    String name = labels.get(WellKnown.WORKLOAD_LABEL);
    if (kind == null || name == null) {
      return;
    }
    WorkloadKey key = new WorkloadKey(pod.getMetadata().getNamespace(), kind, name);
    String podUid = pod.getMetadata().getUid();
    if (gone) {
      Map<String, PodRow> pods = podsOf.get(key);
      if (pods != null) {
        pods.remove(podUid);
        if (pods.isEmpty()) {
          podsOf.remove(key);
        }
      }
      // Its events may still arrive: workloadOfPod keeps it until the workload goes.
    } else {
      PodRow row = RowBuilder.pod(pod);
      podsOf.computeIfAbsent(key, k -> new LinkedHashMap<>()).put(podUid, row);
      workloadOfPod.put(podUid, key);
      podsEver.computeIfAbsent(key, k -> new java.util.HashSet<>()).add(podUid);
      if (!row.gpus().isEmpty()) {
        gpusOfPod.put(podUid, row.gpus());
      }
    }
    refresh(key);
  }

  private void applyProject(ProjectResource project, boolean gone) {
    String name = project.getMetadata().getName();
    List<String> before = namespacesOfProject.getOrDefault(name, List.of());
    before.forEach(projectOfNamespace::remove);
    List<String> after = List.of();
    if (!gone && project.getSpec() != null && project.getSpec().namespaces() != null) {
      after = List.copyOf(project.getSpec().namespaces());
      ProjectOf of = new ProjectOf(name, project.getSpec().department());
      after.forEach(namespace -> projectOfNamespace.put(namespace, of));
      namespacesOfProject.put(name, after);
    } else {
      namespacesOfProject.remove(name);
    }
    java.util.Set<String> touched = new java.util.HashSet<>(before);
    touched.addAll(after);
    for (WorkloadKey key : List.copyOf(uidOf.keySet())) {
      if (touched.contains(key.namespace())) {
        refresh(key);
      }
    }
  }

  private void refresh(WorkloadKey key) {
    String uid = uidOf.get(key);
    WorkloadResource<?> workload = uid == null ? null : workloads.get(uid);
    if (workload == null) {
      return; // pods before their workload: the row comes with it
    }
    Map<String, PodRow> pods = podsOf.getOrDefault(key, Map.of());
    WorkloadRow row = rows.row(workload, pods.values(), projectOfNamespace.get(key.namespace()));
    details.put(uid, details(workload, row, List.copyOf(pods.values())));
    WorkloadRow before = live.put(uid, row);
    if (!row.equals(before)) {
      publish(before == null ? Change.ADDED : Change.MODIFIED, row);
    }
  }

  private static WorkloadDetails details(WorkloadResource<?> workload, WorkloadRow row, List<PodRow> pods) {
    WorkloadSpec spec = workload.workload();
    List<WorkloadDetails.ConnectionRow> connections = new ArrayList<>();
    List<WorkloadDetails.DataSourceRow> dataSources = new ArrayList<>();
    WorkloadStatus status = workload.statusOrEmpty();
    if (spec != null && spec.connections() != null) {
      for (WorkloadSpec.Connection connection : spec.connections()) {
        String type = connection.exposure() == null ? "ClusterIP" : connection.exposure();
        String address = null;
        if (status.connections() != null) {
          for (WorkloadStatus.ConnectionStatus served : status.connections()) {
            if (Objects.equals(served.name(), connection.name())) {
              address = served.address();
            }
          }
        }
        addConnection(connections, connection, type, address);
      }
    }
    if (spec != null && spec.dataSources() != null) {
      for (WorkloadSpec.DataSource source : spec.dataSources()) {
        dataSources.add(new WorkloadDetails.DataSourceRow(source.name(), "pvc", source.claimName(),
            source.mountPath(), source.readOnly()));
      }
    }
    return new WorkloadDetails(workload.getKind(), row, pods, connections, dataSources, workload.getSpec());
  }

  private static void addConnection(List<WorkloadDetails.ConnectionRow> connections,
      WorkloadSpec.Connection connection, String type, String address) {
    connections.add(new WorkloadDetails.ConnectionRow(connection.name(), type,
        "NodePort".equals(type) ? "node" : "cluster", connection.port(), address));
  }

  /** Records phase changes not recorded yet; the store's keys make a second recording harmless. */
  private void recordPhases(WorkloadResource<?> workload) {
    WorkloadStatus status = workload.statusOrEmpty();
    List<WorkloadStatus.PhaseChange> phases = status.phaseHistory();
    if (phases == null) {
      return;
    }
    String uid = workload.getMetadata().getUid();
    int done = phasesRecorded.getOrDefault(uid, 0);
    if (phases.size() <= done) {
      return;
    }
    List<HistoryEvent> events = new ArrayList<>();
    for (WorkloadStatus.PhaseChange change : phases.subList(done, phases.size())) {
      Instant since = RowBuilder.time(change.since());
      if (change.phase() == null || since == null) {
        continue;
      }
      boolean bad = "Failed".equals(change.phase()) || "Degraded".equals(change.phase());
      events.add(new HistoryEvent(uid + "/phase/" + change.phase() + "/" + change.since(), uid,
          workload.getMetadata().getNamespace(), workload.getKind(), workload.getMetadata().getName(), since,
          HistoryEvent.Category.STATUS, bad ? "Warning" : "Normal",
          change.reason() == null ? change.phase() : change.reason(),
          change.phase() + (change.message() == null ? "" : ": " + change.message()), null));
    }
    phasesRecorded.put(uid, phases.size());
    history.record(events);
  }

  private void publish(String type, WorkloadRow row) {
    long next = version + 1;
    Change change = new Change(next, type, row);
    changes.add(change);
    version = next;
    for (Consumer<Change> listener : listeners) {
      try {
        listener.accept(change);
      } catch (RuntimeException e) {
        listeners.remove(listener);
        log.warn("dropped a watcher that failed on a change ({})", e.toString());
      }
    }
  }

  private void bump() {
    owner.execute(() -> version = version + 1);
  }

  private static WorkloadKey keyOf(WorkloadResource<?> workload) {
    return new WorkloadKey(workload.getMetadata().getNamespace(), workload.workloadKind(),
        workload.getMetadata().getName());
  }

  private static void guarded(String what, Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      // One bad object must not stop the thread every later event waits on.
      log.error("could not apply {} to the Workloads table; the next event of that object tries again", what, e);
    }
  }

  @Override
  public void close() {
    owner.shutdownNow();
  }
}
