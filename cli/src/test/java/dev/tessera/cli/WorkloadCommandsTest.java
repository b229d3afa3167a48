package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.api.WellKnown;
import dev.tessera.api.workloads.ExternalWorkloadResource;
import dev.tessera.api.workloads.ExternalWorkloadSpec;
import dev.tessera.api.workloads.TrainingResource;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.api.workloads.WorkloadStatus;
import dev.tessera.api.workloads.WorkloadStatus.PhaseChange;
import dev.tessera.api.workloads.WorkspaceResource;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * list, describe, stop, run, copy and delete against the in-process API server; the test
 * writes the statuses, pods and events the workload controller and kubelet would.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkloadCommandsTest {
  /** Three hours after now, so AGE reads "3h" whenever the objects were created. */
  private final Clock later = Clock.offset(Clock.systemUTC(), Duration.ofHours(3));
  private EmbeddedApiServer api;
  private KubernetesClient client;

  @BeforeAll
  void start() {
    api = EmbeddedApiServer.start();
    client = api.client();
    TestProjects.create(client, "team-a", "team-b", "desc", "stops", "dels", "copies", "wide", "ext");
  }

  @AfterAll
  void stop() {
    api.close();
  }

  private CliRun.Result tessera(String... args) {
    return CliRun.against(api.url(), later, args);
  }

  private void submit(String kind, String name, String project, String... flags) {
    String[] args = new String[flags.length + 5];
    args[0] = "submit";
    args[1] = kind;
    args[2] = name;
    args[3] = "-p";
    args[4] = project;
    System.arraycopy(flags, 0, args, 5, flags.length);
    CliRun.Result result = tessera(args);
    assertEquals(0, result.exit(), result::toString);
  }

  private void status(String project, String name, UnaryOperator<WorkloadStatus> change) {
    client.resources(TrainingResource.class).inNamespace(project).withName(name).editStatus(t -> {
      t.setStatus(change.apply(t.statusOrEmpty()));
      return t;
    });
  }

  private static WorkloadStatus status(String phase, List<PhaseChange> history, int running, int requested,
      double gpusRequested, double gpusAllocated, String reason) {
    return new WorkloadStatus(phase, null, history, running, requested, gpusRequested, gpusAllocated, null, null,
        null, null, null, null, null, null, reason, null);
  }

  /** The status with the CPU and memory figures the controller writes, requested and allocated. */
  private static WorkloadStatus withResources(WorkloadStatus s, String cpuRequested, String cpuAllocated,
      String memoryRequested, String memoryAllocated) {
    return new WorkloadStatus(s.phase(), s.conditions(), s.phaseHistory(), s.runningPods(), s.requestedPods(),
        s.gpusRequested(), s.gpusAllocated(), cpuRequested, memoryRequested, cpuAllocated, memoryAllocated, s.nodes(),
        s.createdAt(), s.completedAt(), s.connections(), s.reason(), s.observedGeneration());
  }

  private TrainingResource training(String project, String name) {
    return client.resources(TrainingResource.class).inNamespace(project).withName(name).get();
  }

  @Test
  void listShowsPhasePodsAndGpusAsTableJsonAndCsv() throws Exception {
    submit("trn", "alpha", "team-a", "--image", "x", "--gpu", "1");
    submit("ws", "notebook", "team-a", "--image", "x", "--gpu-fraction", "0.5");
    submit("trn", "other", "team-b", "--image", "x");
    status("team-a", "alpha", s -> withResources(status("Running", null, 1, 2, 1.0, 0.5, "PodsRunning"),
        "4", "2", "16Gi", "8Gi"));

    CliRun.Result table = tessera("list", "-p", "team-a");
    assertEquals(0, table.exit(), table::toString);
    List<String> lines = table.out().lines().toList();
    assertEquals(3, lines.size(), table::toString);
    assertTrue(lines.get(0).matches("NAME +TYPE +PROJECT +STATUS +PODS +GPUS +AGE"), table::toString);
    assertTrue(lines.get(1).matches("alpha +training +team-a +Running +1/2 +1/0.5 +3h"), table::toString);
    assertTrue(lines.get(2).matches("notebook +workspace +team-a +- +0/1 +0.5/0 +3h"), table::toString);

    CliRun.Result all = tessera("ls", "-A", "-o", "json");
    assertEquals(0, all.exit(), all::toString);
    JsonNode rows = new ObjectMapper().readTree(all.out());
    assertEquals(3, rows.size(), all::toString);
    assertEquals("alpha", rows.get(0).get("name").asText());
    assertEquals("Running", rows.get(0).get("status").asText());
    assertEquals(1, rows.get(0).get("runningPods").asInt());
    assertEquals(2, rows.get(0).get("requestedPods").asInt());
    assertEquals(List.of("4", "2", "16Gi", "8Gi"), List.of(rows.get(0).get("cpuRequested").asText(),
        rows.get(0).get("cpuAllocated").asText(), rows.get(0).get("memoryRequested").asText(),
        rows.get(0).get("memoryAllocated").asText()), all::toString);
    assertEquals("team-b", rows.get(2).get("project").asText());

    CliRun.Result csv = tessera("list", "-p", "team-a", "-o", "csv");
    List<String> csvLines = csv.out().lines().toList();
    assertEquals("NAME,TYPE,PROJECT,STATUS,RUNNING_PODS,REQUESTED_PODS,GPUS_REQUESTED,GPUS_ALLOCATED,CREATED,AGE",
        csvLines.get(0));
    assertTrue(csvLines.get(1).startsWith("alpha,training,team-a,Running,1,2,1,0.5,"), csv::toString);
    assertTrue(csvLines.get(1).endsWith(",3h"), csv::toString);

    TestProjects.create(client, "quiet");
    CliRun.Result empty = tessera("list", "-p", "quiet");
    assertEquals("No workloads in project 'quiet'.", empty.out().strip());
    assertEquals(2, tessera("list", "-o", "yaml").exit());
  }

  @Test
  void wideAddsCompletionNodePoolsAndConnections() {
    submit("trn", "done", "wide", "--image", "x", "--node-pools", "a100,h100", "--port", "tb:6006");
    submit("trn", "fresh", "wide", "--image", "x");
    status("wide", "done", s -> new WorkloadStatus("Completed", null, null, 0, 1, 1.0, 0.0, null, null, null, null,
        null, null, "2025-01-01T12:00:00Z", List.of(new WorkloadStatus.ConnectionStatus("tb", 6006, "10.0.0.7:6006"),
            new WorkloadStatus.ConnectionStatus("ssh", 22, "gpu-1:30022")), "Succeeded", null));

    CliRun.Result wide = tessera("list", "-p", "wide", "-o", "wide");
    assertEquals(0, wide.exit(), wide::toString);
    List<String> lines = wide.out().lines().toList();
    assertEquals(3, lines.size(), wide::toString);
    assertTrue(lines.get(0).matches("NAME +TYPE +PROJECT +STATUS +PODS +GPUS +AGE +COMPLETED +NODE-POOLS +CONNECTIONS"),
        wide::toString);
    assertTrue(lines.get(1).matches("done +training +wide +Completed +0/1 +1/0 +3h +2025-01-01T12:00:00Z +a100,h100"
        + " +tb=10.0.0.7:6006,ssh=gpu-1:30022"), wide::toString);
    assertTrue(lines.get(2).matches("fresh +training +wide +- +0/1 +0/0 +3h +- +- +-"), wide::toString);

    CliRun.Result table = tessera("list", "-p", "wide");
    assertTrue(table.out().lines().findFirst().orElseThrow().matches("NAME +TYPE +PROJECT +STATUS +PODS +GPUS +AGE"),
        table::toString);
    assertFalse(table.out().contains("10.0.0.7"), table::toString);
  }

  @Test
  void describeTellsHistoryPodsAndEventsInOrder() {
    submit("trn", "resnet", "desc", "--image", "pytorch:24.05", "--gpu", "1");
    status("desc", "resnet", s -> withResources(status("Running", List.of(
        new PhaseChange("Pending", "2025-01-01T10:00:00Z", "Scheduling", "waiting for a node with 1 GPU"),
        new PhaseChange("Initializing", "2025-01-01T10:01:00Z", "Scheduled", "pulling the image"),
        new PhaseChange("Running", "2025-01-01T10:03:00Z", "PodsRunning", "1/1 pods running")), 1, 1, 1, 1, "PodsRunning"),
        "500m", "500m", "8Gi", "8Gi"));
    client.pods().inNamespace("desc").resource(new PodBuilder()
        .withNewMetadata().withName("resnet-0")
        .addToLabels(Workloads.WORKLOAD_LABEL, "resnet").addToLabels("tessera.dev/workload-kind", "training")
        .endMetadata()
        .withNewSpec().withNodeName("gpu-7").addNewContainer().withName("main").withImage("x").endContainer().endSpec()
        .withNewStatus().withPhase("Running").endStatus()
        .build()).create();
    client.resources(TrainingResource.class).inNamespace("desc").withName("resnet")
        .edit(w -> {
          w.getMetadata().setAnnotations(Map.of(WellKnown.CREATED_BY_ANNOTATION, "alice"));
          return w;
        });
    event("desc", "resnet.2", "Started", "2025-01-01T10:03:00Z");
    event("desc", "resnet.1", "Scheduled", "2025-01-01T10:01:00Z");
    event("desc", "someone-else.1", "Unrelated", "2025-01-01T10:02:00Z");

    CliRun.Result result = tessera("describe", "training", "resnet", "-p", "desc");
    assertEquals(0, result.exit(), result::toString);
    String out = result.out();
    assertTrue(out.contains("Status:    Running (PodsRunning)"), result::toString);
    assertTrue(out.contains("Created by: alice"), result::toString);
    assertTrue(out.contains("GPU:       1 per pod"), result::toString);
    assertTrue(out.contains("CPU:       500m requested / 500m allocated"), result::toString);
    assertTrue(out.contains("Memory:    8Gi requested / 8Gi allocated"), result::toString);
    assertTrue(out.matches("(?s).*Pending +Scheduling +waiting for a node with 1 GPU.*"
        + "Initializing +Scheduled.*Running +PodsRunning.*"), result::toString);
    assertTrue(out.matches("(?s).*resnet-0 +gpu-7 +Running.*"), result::toString);
    int scheduled = out.indexOf("Scheduled   ");
    assertTrue(out.indexOf("Started") > out.indexOf("Events:"), result::toString);
    assertTrue(out.lastIndexOf("Scheduled") < out.indexOf("Started"), result::toString);
    assertTrue(scheduled > 0, result::toString);
    assertFalse(out.contains("Unrelated"), result::toString);

    CliRun.Result missing = tessera("describe", "training", "nope", "-p", "desc");
    assertEquals(1, missing.exit());
    assertTrue(missing.err().contains("training 'nope' not found in project 'desc'"), missing::toString);
  }

  private void event(String project, String name, String reason, String time) {
    client.v1().events().inNamespace(project).resource(new EventBuilder()
        .withNewMetadata().withName(name).endMetadata()
        .withNewInvolvedObject().withKind("Training").withName(name.substring(0, name.indexOf('.')))
        .withNamespace(project).endInvolvedObject()
        .withType("Normal").withReason(reason).withMessage(reason + " it").withFirstTimestamp(time)
        .build()).create();
  }

  @Test
  void stopAndRunPatchOnlySpecStopped() {
    submit("trn", "pausable", "stops", "--image", "x", "--gpu", "2");
    CliRun.Result stopped = tessera("stop", "trn", "pausable", "-p", "stops");
    assertEquals(0, stopped.exit(), stopped::toString);
    assertEquals(Boolean.TRUE, training("stops", "pausable").getSpec().stopped());
    assertEquals(2, training("stops", "pausable").getSpec().gpu().count());

    CliRun.Result running = tessera("run", "training", "pausable", "-p", "stops");
    assertEquals(0, running.exit(), running::toString);
    assertEquals(Boolean.FALSE, training("stops", "pausable").getSpec().stopped());
    assertEquals("x", training("stops", "pausable").getSpec().image());

    assertEquals(1, tessera("stop", "trn", "missing", "-p", "stops").exit());
  }

  @Test
  void deleteRemovesTheWorkloadAndSaysWhenThereIsNone() {
    submit("ws", "scratch", "dels", "--image", "x");
    CliRun.Result deleted = tessera("delete", "ws", "scratch", "-p", "dels");
    assertEquals(0, deleted.exit(), deleted::toString);
    assertNull(client.resources(WorkspaceResource.class).inNamespace("dels").withName("scratch").get());
    CliRun.Result again = tessera("delete", "ws", "scratch", "-p", "dels");
    assertEquals(1, again.exit());
    assertTrue(again.err().contains("workspace 'scratch' not found in project 'dels'"), again::toString);
  }

  @Test
  void copyTakesSpecLabelsAndAnnotationsWithOverrides() {
    submit("trn", "base", "copies", "--image", "pytorch:24.05", "--gpu", "1", "-e", "LR=0.1", "--node-pools", "a100",
        "--", "train.py");
    client.resources(TrainingResource.class).inNamespace("copies").withName("base").edit(t -> {
      t.getMetadata().setLabels(java.util.Map.of("team", "vision"));
      return t;
    });
    assertEquals(0, tessera("stop", "trn", "base", "-p", "copies").exit());
    status("copies", "base", s -> status("Stopped", null, 0, 1, 1, 0, "Stopped"));

    CliRun.Result result = tessera("copy", "trn", "base", "base-lr2", "-p", "copies", "--gpu-fraction", "0.5",
        "-e", "LR=0.2");
    assertEquals(0, result.exit(), result::toString);
    TrainingResource copy = training("copies", "base-lr2");
    WorkloadSpec spec = copy.getSpec();
    assertEquals("pytorch:24.05", spec.image());
    assertEquals(List.of("train.py"), spec.args());
    assertEquals(List.of("a100"), spec.nodePools());
    assertEquals(new WorkloadSpec.GpuSpec(null, 0.5, null, null, null, null), spec.gpu());
    assertEquals("0.2", spec.env().get("LR"));
    assertNull(spec.stopped(), "a copy runs");
    assertNull(copy.getStatus(), "status is not copied");
    assertEquals("vision", copy.getMetadata().getLabels().get("team"));

    assertEquals(1, tessera("copy", "trn", "nope", "x", "-p", "copies").exit());
    assertEquals(2, tessera("copy", "trn", "base", "b2", "-p", "copies", "--gpu-fraction", "2").exit());
  }

  /**
   * A PyTorchJob as the external-workload controller leaves it: an ExternalWorkload owned by the
   * job, with the status it writes from the pods, and the pods labelled with it.
   */
  private ExternalWorkloadResource pytorchJob(String project, String job) {
    String name = "pytorchjob-" + job;
    ExternalWorkloadResource external = new ExternalWorkloadResource();
    external.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withNamespace(project).withName(name)
        .build());
    external.setSpec(new ExternalWorkloadSpec(new ExternalWorkloadSpec.Owner("kubeflow.org/v1", "PyTorchJob", job,
        "5f0c-1"), 2, name, "PyTorchJob: every replica of pytorchReplicaSpecs"));
    ExternalWorkloadResource created = client.resource(external).create();
    created.setStatus(new WorkloadStatus("Running", null, List.of(
        new PhaseChange("Pending", "2025-01-01T10:00:00Z", "Scheduling", "gang of 2 waits for 4 GPUs"),
        new PhaseChange("Running", "2025-01-01T10:02:00Z", "PodsRunning", "2/2 pods running")), 2, 2, 4.0, 4.0,
        "8", "64Gi", "8", "64Gi", List.of("gpu-3"), null, null, null, "PodsRunning", 1L));
    created = client.resource(created).updateStatus();
    for (String pod : List.of(job + "-master-0", job + "-worker-0")) {
      client.pods().inNamespace(project).resource(new PodBuilder()
          .withNewMetadata().withName(pod)
          .addToLabels(Workloads.WORKLOAD_LABEL, name).addToLabels(Workloads.KIND_LABEL, "external")
          .endMetadata()
          .withNewSpec().withNodeName("gpu-3").addNewContainer().withName("pytorch").withImage("x").endContainer()
          .endSpec()
          .withNewStatus().withPhase("Running").endStatus()
          .build()).create();
    }
    return created;
  }

  @Test
  void externalWorkloadsAreListedAndDescribedWithTheirOwner() throws Exception {
    pytorchJob("ext", "bert");
    submit("trn", "own", "ext", "--image", "x", "--gpu", "1");

    CliRun.Result table = tessera("list", "-p", "ext");
    assertEquals(0, table.exit(), table::toString);
    List<String> lines = table.out().lines().toList();
    assertEquals(3, lines.size(), table::toString);
    assertTrue(lines.get(2).matches("pytorchjob-bert +PyTorchJob \\(external\\) +ext +Running +2/2 +4/4 +3h"),
        table::toString);
    assertTrue(lines.get(1).matches("own +training +ext +.*"), table::toString);
    assertTrue(tessera("list", "-p", "ext", "-o", "wide").out().contains("PyTorchJob (external)"));

    JsonNode rows = new ObjectMapper().readTree(tessera("list", "-p", "ext", "-o", "json").out());
    assertEquals("external", rows.get(1).path("type").asText(), "scripts read the kind");
    assertEquals("PyTorchJob", rows.get(1).path("ownerKind").asText());
    assertEquals("bert", rows.get(1).path("ownerName").asText());
    assertTrue(rows.get(0).path("ownerKind").isMissingNode(), "the other kinds' json is as it was");
    assertTrue(tessera("list", "-p", "ext", "-o", "csv").out().contains("\npytorchjob-bert,external,ext,Running,2,2,4,4,"));

    for (String kind : List.of("external", "xwl", "externalworkload", "externalworkloads")) {
      CliRun.Result described = tessera("describe", kind, "pytorchjob-bert", "-p", "ext");
      assertEquals(0, described.exit(), described::toString);
      String out = described.out();
      assertTrue(out.contains("Type:      external\n"), described::toString);
      assertTrue(out.contains("Owner:     PyTorchJob bert (kubeflow.org/v1, uid 5f0c-1)\n"), described::toString);
      assertTrue(out.contains("Min member: 2 (its pods are placed together)\n"), described::toString);
      assertTrue(out.contains("Pod group: pytorchjob-bert\n"), described::toString);
      assertTrue(out.contains("Grouping:  PyTorchJob: every replica of pytorchReplicaSpecs\n"), described::toString);
      assertTrue(out.contains("Run by:    the PyTorchJob's own controller; stop, run, delete and copy it through the"
          + " PyTorchJob\n"), described::toString);
      assertFalse(out.contains("Image:"), "it has no spec of Tessera's: " + out);
      assertTrue(out.contains("GPUs:      4 requested / 4 allocated"), described::toString);
      assertTrue(out.matches("(?s).*Pending +Scheduling +gang of 2 waits for 4 GPUs.*Running +PodsRunning.*"),
          described::toString);
      assertTrue(out.matches("(?s).*bert-master-0 +gpu-3 +Running.*bert-worker-0 +gpu-3 +Running.*"),
          described::toString);
    }
    // Its pods' logs, found by the same labels as any workload's.
    api.podLogs((pod, container) -> java.util.Optional.of(pod.getMetadata().getName() + ": rank ready\n"));
    CliRun.Result logs = tessera("logs", "xwl", "pytorchjob-bert", "-p", "ext");
    assertEquals(0, logs.exit(), logs::toString);
    assertEquals("bert-master-0: rank ready\n", logs.out());
  }

  @Test
  void changingAnExternalWorkloadIsRefusedWithWhatToDoToItsOwner() throws Exception {
    ExternalWorkloadResource before = pytorchJob("ext", "gpt");
    CliRun.Result stop = tessera("stop", "xwl", "pytorchjob-gpt", "-p", "ext");
    assertEquals(1, stop.exit(), stop::toString);
    assertEquals("tessera: ExternalWorkload pytorchjob-gpt is run by PyTorchJob gpt's own controller, not by Tessera:"
        + " stop or delete the PyTorchJob itself (kubectl -n ext delete pytorchjob gpt)\n", stop.err());
    CliRun.Result run = tessera("run", "external", "pytorchjob-gpt", "-p", "ext");
    assertEquals(1, run.exit(), run::toString);
    assertTrue(run.err().contains("it runs while the PyTorchJob does; create or resume the PyTorchJob to run it"
        + " again"), run::toString);
    CliRun.Result delete = tessera("delete", "xwl", "pytorchjob-gpt", "-p", "ext");
    assertEquals(1, delete.exit(), delete::toString);
    assertTrue(delete.err().contains("delete the PyTorchJob (kubectl -n ext delete pytorchjob gpt) and its"
        + " ExternalWorkload goes with it"), delete::toString);
    CliRun.Result copy = tessera("copy", "xwl", "pytorchjob-gpt", "gpt-2", "-p", "ext");
    assertEquals(1, copy.exit(), copy::toString);
    assertTrue(copy.err().contains("copy the PyTorchJob's manifest instead (kubectl -n ext get pytorchjob gpt"
        + " -o yaml)"), copy::toString);
    CliRun.Result connect = tessera("connect", "xwl", "pytorchjob-gpt", "-p", "ext");
    assertEquals(1, connect.exit(), connect::toString);
    assertTrue(connect.err().contains("has no connections Tessera knows of: PyTorchJob gpt runs it; forward one of"
        + " its pods' ports with kubectl -n ext port-forward pod/POD PORT"), connect::toString);
    ExternalWorkloadResource after = client.resources(ExternalWorkloadResource.class).inNamespace("ext")
        .withName("pytorchjob-gpt").get();
    assertEquals(before.getMetadata().getResourceVersion(), after.getMetadata().getResourceVersion(),
        "nothing was changed");

    CliRun.Result submit = tessera("submit", "xwl", "mine", "-p", "ext", "--image", "x");
    assertEquals(2, submit.exit(), submit::toString);
    assertTrue(submit.err().contains("(KIND): external workloads are not submitted: Tessera makes one for each"
        + " workload another controller runs"), submit::toString);
    assertTrue(submit.err().contains("Create that workload itself (kubectl apply -f FILE)"), submit::toString);
    java.nio.file.Path manifest = java.nio.file.Files.createTempFile("xwl", ".yaml");
    java.nio.file.Files.writeString(manifest, "apiVersion: tessera.dev/v1alpha1\nkind: ExternalWorkload\n"
        + "metadata: {name: mine}\nspec: {minMember: 1}\n");
    CliRun.Result fromFile = tessera("submit", "-f", manifest.toString(), "-p", "ext");
    assertEquals(2, fromFile.exit(), fromFile::toString);
    assertTrue(fromFile.err().contains("external workloads are not submitted"), fromFile::toString);
    assertNull(client.resources(ExternalWorkloadResource.class).inNamespace("ext").withName("mine").get());

    CliRun.Result missing = tessera("stop", "xwl", "nope", "-p", "ext");
    assertEquals(1, missing.exit(), missing::toString);
    assertTrue(missing.err().contains("external 'nope' not found in project 'ext'"), missing::toString);
  }

  /** KIND NAME come from one mixin, so a wrong or missing one reads the same for every command. */
  @Test
  void everyCommandThatNamesAWorkloadRefusesAWrongKindAlike() {
    for (List<String> args : List.of(List.of("describe", "job", "x"), List.of("stop", "job", "x"),
        List.of("run", "job", "x"), List.of("delete", "job", "x"), List.of("copy", "job", "x", "y"))) {
      CliRun.Result result = tessera(args.toArray(String[]::new));
      assertEquals(2, result.exit(), result::toString);
      assertTrue(result.err().contains("KIND must be workspace (ws), training (trn), distributed-training (dtrn),"
          + " inference (inf) or external (xwl), was 'job'"), result::toString);
      assertTrue(result.err().contains("Try 'tessera " + args.get(0) + " --help'"), result::toString);
    }
    CliRun.Result noName = tessera("delete", "trn");
    assertEquals(2, noName.exit(), noName::toString);
    assertTrue(noName.err().contains("Missing required parameter: 'NAME'"), noName::toString);
  }
}
