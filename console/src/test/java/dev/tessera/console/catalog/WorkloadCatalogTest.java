package dev.tessera.console.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.api.WellKnown;
import dev.tessera.api.assignment.AssignmentCodec;
import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.api.assignment.GpuShare;
import dev.tessera.api.policy.ProjectResource;
import dev.tessera.api.policy.ProjectSpec;
import dev.tessera.api.workloads.ExternalWorkloadResource;
import dev.tessera.api.workloads.ExternalWorkloadSpec;
import dev.tessera.api.workloads.TrainingResource;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.api.workloads.WorkloadStatus;
import dev.tessera.console.ConsoleJson;
import dev.tessera.console.history.HistoryEvent;
import dev.tessera.console.table.WorkloadRow;
import dev.tessera.console.testing.MemoryHistory;
import dev.tessera.extender.testing.Await;
import dev.tessera.extender.testing.MutableClock;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The table follows workloads, their pods and projects through the informers, deletions included. */
class WorkloadCatalogTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-07T10:00:00Z"));
  private final ObjectMapper json = ConsoleJson.mapper();
  private final MemoryHistory history = new MemoryHistory();
  private EmbeddedApiServer api;
  private KubernetesClient client;
  private WorkloadCatalog catalog;
  private ProjectDirectory projects;
  private CatalogInformers informers;

  @BeforeEach
  void start() throws Exception {
    api = EmbeddedApiServer.start();
    client = api.client();
    catalog = new WorkloadCatalog(new RowBuilder("lab"), history, json, clock, Duration.ofDays(30));
    projects = new ProjectDirectory();
    informers = new CatalogInformers(client, catalog, projects, new EventRecorder(catalog, history), Duration.ZERO);
  }

  @AfterEach
  void stop() {
    informers.close();
    catalog.close();
    projects.close();
    api.close();
  }

  private static TrainingResource training(String namespace, String name) {
    TrainingResource training = new TrainingResource();
    training.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name)
        .withAnnotations(Map.of(WellKnown.CREATED_BY_ANNOTATION, "alice")).build());
    training.setSpec(new WorkloadSpec("pytorch:24.08", null, null, null,
        new WorkloadSpec.GpuSpec(null, null, 20_000L, 1, null, null), "2", null, "8Gi", null, List.of("a100"), null,
        null, List.of(new WorkloadSpec.DataSource("data", "datasets", "/data", true)), null, null));
    return training;
  }

  private static Pod pod(String namespace, String name, String workload, String node) {
    return new PodBuilder()
        .withNewMetadata().withNamespace(namespace).withName(name)
        .withLabels(Map.of(WellKnown.WORKLOAD_LABEL, workload, WellKnown.WORKLOAD_KIND_LABEL, "training"))
        .withAnnotations(Map.of(WellKnown.GPU_ASSIGNMENT, AssignmentCodec.encode(
            new GpuAssignment(node, false, List.of(new GpuShare(3, null, 20_000, 0.25))))))
        .endMetadata()
        .withNewSpec().withNodeName(node).addNewContainer().withName("main").withImage("pytorch:24.08")
        .withNewResources().addToRequests("cpu", new Quantity("2")).addToLimits("memory", new Quantity("8Gi"))
        .endResources().endContainer().endSpec()
        .withNewStatus().withPhase("Running").endStatus()
        .build();
  }

  private WorkloadRow awaitRow(String name, java.util.function.Predicate<WorkloadRow> ready) {
    return Await.awaitValue("row " + name + " in " + catalog.live().rows(), () -> catalog.live().rows().stream()
        .filter(row -> row.name().equals(name) && ready.test(row)).findFirst().orElse(null));
  }

  @Test
  void aWorkloadsRowJoinsItsPodsAndItsProject() throws Exception {
    ProjectResource project = new ProjectResource();
    project.setMetadata(new ObjectMetaBuilder().withName("vision").build());
    project.setSpec(new ProjectSpec(List.of("team-vision"), "research", null, null, null, null));
    client.resource(project).create();
    client.resource(training("team-vision", "resnet")).create();
    informers.start(Duration.ofSeconds(10));

    WorkloadRow row = awaitRow("resnet", r -> "vision".equals(r.project()));
    assertEquals("research", row.department());
    assertEquals("alice", row.createdBy());
    assertEquals("training", row.type());
    assertEquals("Creating", row.status());
    assertEquals(20_000L << 20, row.gpuMemoryRequest());
    assertEquals(2.0, row.cpuComputeRequest());
    assertEquals(List.of("a100"), row.nodePools());
    assertEquals("lab", row.cluster());
    assertEquals(1, row.dataSources());

    client.resource(pod("team-vision", "resnet-0", "resnet", "gpu-1")).create();
    WorkloadRow placed = awaitRow("resnet", r -> r.gpuMemoryAllocation() > 0);
    assertEquals(20_000L << 20, placed.gpuMemoryAllocation());
    var details = catalog.details("team-vision", WorkloadKind.TRAINING, "resnet").orElseThrow();
    assertEquals("gpu-1", details.pods().get(0).node());
    assertEquals(List.of(3), details.pods().get(0).gpus());
    assertEquals(8L << 30, details.pods().get(0).memoryLimitBytes());
    assertEquals("datasets", details.dataSources().get(0).claimName());
  }

  @Test
  void phasesGoToHistoryOnceAndADeletedWorkloadStaysInTheDeletedView() throws Exception {
    informers.start(Duration.ofSeconds(10));
    TrainingResource created = client.resource(training("ml", "bert")).create();
    awaitRow("bert", r -> true);
    List<Change> seen = new CopyOnWriteArrayList<>();
    long from = catalog.version();
    assertTrue(catalog.watch(from, seen::add).isPresent());

    created.setStatus(new WorkloadStatus("Running", null, List.of(
        new WorkloadStatus.PhaseChange("Pending", "2026-12-07T10:00:01Z", "Scheduling", "waiting for GPUs"),
        new WorkloadStatus.PhaseChange("Running", "2026-12-07T10:00:05Z", "Running", null)),
        1, 1, 1.0, 1.0, "2", "8Gi", "2", "8Gi", List.of("gpu-1"), null, null, null, "Running", 1L));
    client.resource(created).updateStatus();
    awaitRow("bert", r -> r.status().equals("Running"));
    Await.await("two phase entries", () -> history.events.size() == 2);
    HistoryEvent pending = history.events.get(created.getMetadata().getUid() + "/phase/Pending/2026-12-07T10:00:01Z");
    assertEquals("Pending: waiting for GPUs", pending.message());

    clock.advance(Duration.ofMinutes(5));
    client.resource(created).delete();
    Await.await("the row leaves the live view and is kept", () -> catalog.live().rows().isEmpty()
        && history.deleted.size() == 1);
    WorkloadRow gone = catalog.deleted().rows().get(0);
    assertEquals("Running", gone.status());
    assertEquals(clock.instant(), gone.deletedAt());
    assertEquals(1.0, gone.gpuComputeRequest());
    assertEquals(json.readValue(history.deleted.get(gone.uid()).rowJson(), WorkloadRow.class), gone);
    Await.await("added, modified and deleted seen by the watch",
        () -> seen.stream().map(Change::type).toList().equals(List.of("MODIFIED", "DELETED")));

    // A new console fills its Deleted view from the store; past the retention it is gone.
    try (WorkloadCatalog restarted = new WorkloadCatalog(new RowBuilder("lab"), history, json, clock,
        Duration.ofDays(30))) {
      restarted.loadDeleted();
      Await.await("deleted row loaded", () -> restarted.deleted().size() == 1);
      clock.advance(Duration.ofDays(31));
      Await.await("deleted row past retention", () -> restarted.deleted().size() == 0);
    }
  }

  @Test
  void eventsOfAWorkloadsPodAreFiledUnderTheWorkloadAndNoiseIsNot() throws Exception {
    informers.start(Duration.ofSeconds(10));
    client.resource(training("ml", "bert")).create();
    Pod pod = client.resource(pod("ml", "bert-0", "bert", "gpu-1")).create();
    String workloadUid = awaitRow("bert", r -> r.runningPods() == 1).uid();
    for (String reason : List.of(WellKnown.GPU_OUT_OF_MEMORY_REASON, "Pulled")) {
      client.resource(new EventBuilder()
          .withNewMetadata().withNamespace("ml").withName("bert-0." + reason).endMetadata()
          .withNewInvolvedObject().withKind("Pod").withNamespace("ml").withName("bert-0")
          .withUid(pod.getMetadata().getUid()).endInvolvedObject()
          .withType(reason.equals("Pulled") ? "Normal" : "Warning").withReason(reason).withMessage(reason + " happened")
          .withCount(1).withLastTimestamp("2026-12-07T10:01:00Z").build()).create();
    }
    Await.await("the OOM filed", () -> history.events.values().stream()
        .anyMatch(e -> e.category() == HistoryEvent.Category.GPU_OOM && e.workloadUid().equals(workloadUid)
            && "bert-0".equals(e.pod())));
    var done = new java.util.concurrent.CountDownLatch(1);
    catalog.afterPending(done::countDown);
    assertTrue(done.await(10, java.util.concurrent.TimeUnit.SECONDS));
    assertTrue(history.events.values().stream().noneMatch(e -> e.reason().equals("Pulled")), "image pulls are noise");
  }

  @Test
  void anExternalWorkloadsRowComesFromItsPodsUntilItsStatusSaysMore() throws Exception {
    informers.start(Duration.ofSeconds(10));
    ExternalWorkloadResource job = new ExternalWorkloadResource();
    job.setMetadata(new ObjectMetaBuilder().withNamespace("ml").withName("job-train").build());
    job.setSpec(new ExternalWorkloadSpec(new ExternalWorkloadSpec.Owner("batch/v1", "Job", "train", "u-1"), 1, null,
        "Job: its pods, each alone"));
    job = client.resource(job).create();
    for (String name : List.of("train-abcde", "train-fghij")) {
      Pod pod = pod("ml", name, "job-train", "gpu-1");
      pod.getMetadata().getLabels().put(WellKnown.WORKLOAD_KIND_LABEL, "external");
      pod.getMetadata().getAnnotations().put(WellKnown.NODE_POOLS, "h100");
      client.resource(pod).create();
    }
    WorkloadRow row = awaitRow("job-train", r -> r.runningPods() == 2);
    assertEquals("external", row.type());
    assertEquals("Job", row.ownerKind());
    assertEquals("train", row.ownerName());
    assertEquals(2, row.requestedPods(), "no status yet: the pods there are");
    assertEquals(0.5, row.gpuComputeAllocation(), "what the pods' assignments hold");
    assertEquals(WorkloadRow.STANDARD, row.architecture(), "each pod placed alone");
    assertEquals(List.of("h100"), row.nodePools());
    assertEquals(null, row.image());
    assertEquals(List.of(), row.actions());
    var details = catalog.details("ml", WorkloadKind.EXTERNAL, "job-train").orElseThrow();
    assertEquals("ExternalWorkload", details.kind());
    assertEquals(2, details.pods().size());
    assertEquals(job.getSpec(), details.spec());

    job.setStatus(new WorkloadStatus("Running", null, null, 2, 3, 1.5, 0.5, null, null, null, null, null, null,
        null, null, "PodsRunning", 1L));
    client.resource(job).updateStatus();
    assertEquals(1.5, awaitRow("job-train", r -> r.requestedPods() == 3).gpuComputeRequest());

    client.resource(job).delete();
    Await.await("kept in the Deleted view", () -> catalog.deleted().size() == 1 && history.deleted.size() == 1);
    WorkloadRow gone = catalog.deleted().rows().get(0);
    assertEquals("Job", gone.ownerKind());
    assertEquals(json.readValue(history.deleted.get(gone.uid()).rowJson(), WorkloadRow.class), gone);
    // A row kept before rows listed their actions reads as having none.
    String old = json.writeValueAsString(gone).replace("\"actions\":[],", "");
    assertEquals(List.of(), json.readValue(old, WorkloadRow.class).actions());
  }

  @Test
  void theKindsTesseraRunsListTheirActions() throws Exception {
    informers.start(Duration.ofSeconds(10));
    client.resource(training("ml", "bert")).create();
    assertEquals(List.of("stop", "run", "delete", "copy"), awaitRow("bert", r -> true).actions());
    assertEquals(null, awaitRow("bert", r -> true).ownerKind());
  }

  @Test
  void aWatchFromAVersionNoLongerKeptIsRefused() throws Exception {
    informers.start(Duration.ofSeconds(10));
    for (int i = 0; i < 3; i++) {
      client.resource(training("ml", "w" + i)).create();
    }
    Await.await("three rows", () -> catalog.live().size() == 3);
    assertTrue(catalog.watch(0, change -> {}).isPresent(), "nothing dropped yet");
  }
}
