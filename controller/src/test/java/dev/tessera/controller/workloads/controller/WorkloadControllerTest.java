package dev.tessera.controller.workloads.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.tessera.api.WellKnown;
import dev.tessera.api.policy.PodGroupResource;
import dev.tessera.api.policy.WorkloadPolicyResource;
import dev.tessera.api.policy.WorkloadPolicySpec;
import dev.tessera.api.workloads.DistributedTrainingResource;
import dev.tessera.api.workloads.DistributedTrainingSpec;
import dev.tessera.api.workloads.InferenceResource;
import dev.tessera.api.workloads.InferenceSpec;
import dev.tessera.api.workloads.TrainingResource;
import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.api.workloads.WorkloadStatus;
import dev.tessera.api.workloads.WorkspaceResource;
import dev.tessera.controller.workloads.scaling.ReplicaScraper;
import dev.tessera.controller.workloads.scaling.RequestLoad;
import dev.tessera.extender.testing.Await;
import dev.tessera.extender.testing.MutableClock;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The workload controller against the in-process API server (fabric8's mock in CRUD mode): the
 * test plays kubelet and the scheduler by changing the pods' state, and checks each phase of the
 * contract, its history and its events.
 */
class WorkloadControllerTest {
  private EmbeddedApiServer api;
  private KubernetesClient client;
  private ExecutorService worker;
  private WorkloadController controller;
  /** Stands still unless a test moves it: time limits are tested without waiting for them. */
  private final MutableClock clock = new MutableClock(java.time.Instant.now());
  /** GPU utilisation per pod name, as the node agents would report it. */
  private final Map<String, Integer> busy = new java.util.concurrent.ConcurrentHashMap<>();
  /** What the replicas' metrics page (one for all, on loopback) says. */
  private volatile String metricsPage = "";
  private HttpServer metrics;
  private ExecutorService scrapes;
  private RequestLoad requestLoad;

  @BeforeEach
  void setUp() throws Exception {
    api = EmbeddedApiServer.start();
    client = api.client();
    worker = Executors.newSingleThreadExecutor();
    metrics = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    metrics.createContext("/metrics", exchange -> {
      byte[] page = metricsPage.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, page.length);
      exchange.getResponseBody().write(page);
      exchange.close();
    });
    metrics.start();
    scrapes = Executors.newFixedThreadPool(2);
    requestLoad = new RequestLoad(new ReplicaScraper(ReplicaScraper.client(scrapes, Duration.ofSeconds(2)),
        Duration.ofSeconds(2)), clock);
    controller = new WorkloadController(client, clock, worker, namespace -> namespace.equals("ml") ? "team-ml" : null,
        pod -> busy.containsKey(pod.name()) ? java.util.OptionalInt.of(busy.get(pod.name())) : java.util.OptionalInt.empty(),
        requestLoad);
    controller.start(Duration.ofSeconds(20));
  }

  @AfterEach
  void tearDown() {
    controller.close();
    worker.shutdownNow();
    metrics.stop(0);
    scrapes.shutdownNow();
    api.close();
  }

  private static WorkloadSpec spec(Boolean stopped, List<WorkloadSpec.Connection> connections) {
    return new WorkloadSpec("nvcr.io/nvidia/pytorch:24.05-py3", null, List.of("train.py"), null,
        new WorkloadSpec.GpuSpec(1, null, null, null, null, null), "2", null, "8Gi", null, List.of("a100"), null,
        null, null, connections, stopped);
  }

  private TrainingResource training(String name) {
    TrainingResource training = new TrainingResource();
    training.setMetadata(new ObjectMetaBuilder().withNamespace("ml").withName(name).build());
    training.setSpec(spec(null, null));
    return client.resource(training).create();
  }

  private String phase(Class<? extends WorkloadResource<?>> type, String name) {
    WorkloadResource<?> w = client.resources(type).inNamespace("ml").withName(name).get();
    return w == null ? null : w.statusOrEmpty().phase();
  }

  private void awaitPhase(Class<? extends WorkloadResource<?>> type, String name, String phase) {
    await(() -> phase.equals(phase(type, name)), () -> name + " is " + phase(type, name) + ", not " + phase);
  }

  private Pod pod(String name) {
    return client.pods().inNamespace("ml").withName(name).get();
  }

  private void schedule(String pod, String node) {
    client.pods().inNamespace("ml").withName(pod).edit(p -> {
      p.getSpec().setNodeName(node);
      return p;
    });
  }

  private void containers(String pod, String phase, boolean ready, String waiting) {
    client.pods().inNamespace("ml").withName(pod).editStatus(p -> {
      if (p.getStatus() == null) {
        p.setStatus(new io.fabric8.kubernetes.api.model.PodStatus());
      }
      p.getStatus().setPhase(phase);
      ContainerStatusBuilder status = new ContainerStatusBuilder().withName("main").withReady(ready);
      if (waiting != null) {
        status.withNewState().withNewWaiting().withReason(waiting).endWaiting().endState();
      }
      p.getStatus().setContainerStatuses(List.of(status.build()));
      return p;
    });
  }

  private List<String> events(String name) {
    return client.v1().events().inNamespace("ml").list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .sorted((a, b) -> a.getMetadata().getName().compareTo(b.getMetadata().getName()))
        .map(e -> e.getReason())
        .toList();
  }

  @Test
  void aTrainingGoesThroughEveryPhaseToCompleted() {
    training("resnet");
    awaitPhase(TrainingResource.class, "resnet", "Pending");
    await(() -> pod("resnet-0") != null, () -> "no pod");
    PodGroupResource group = client.resources(PodGroupResource.class).inNamespace("ml").withName("resnet").get();
    assertEquals(1, group.getSpec().minMember());
    Pod pod = pod("resnet-0");
    assertEquals(WellKnown.SCHEDULER_NAME, pod.getSpec().getSchedulerName());
    assertEquals("resnet", pod.getMetadata().getLabels().get(WellKnown.POD_GROUP_LABEL));

    schedule("resnet-0", "gpu-1");
    awaitPhase(TrainingResource.class, "resnet", "Initializing");
    containers("resnet-0", "Running", true, null);
    awaitPhase(TrainingResource.class, "resnet", "Running");
    containers("resnet-0", "Running", false, null);
    awaitPhase(TrainingResource.class, "resnet", "Degraded");
    containers("resnet-0", "Running", true, null);
    awaitPhase(TrainingResource.class, "resnet", "Running");
    containers("resnet-0", "Succeeded", false, null);
    awaitPhase(TrainingResource.class, "resnet", "Completed");

    WorkloadStatus status = client.resources(TrainingResource.class).inNamespace("ml").withName("resnet").get().getStatus();
    assertEquals(List.of("Creating", "Pending", "Initializing", "Running", "Degraded", "Running", "Completed"),
        status.phaseHistory().stream().map(WorkloadStatus.PhaseChange::phase).toList());
    assertNotNull(status.completedAt());
    assertEquals(List.of("gpu-1"), status.nodes());
    assertEquals(List.of("0", "0"), List.of(status.cpuAllocated(), status.memoryAllocated()),
        "a finished pod holds nothing on its node");
    assertEquals(0.0, status.gpusAllocated(), "nor GPUs");
    await(() -> events("resnet").size() == 7, () -> "events: " + events("resnet"));
    assertEquals(List.of("Submitted", "Scheduling", "Initializing", "AllReady", "Degraded", "AllReady", "Succeeded"),
        events("resnet"));
  }

  @Test
  void aPreemptedTrainingGoesBackToPendingAndItsPodIsCreatedAgain() {
    training("bert");
    await(() -> pod("bert-0") != null, () -> "no pod");
    schedule("bert-0", "gpu-1");
    containers("bert-0", "Running", true, null);
    awaitPhase(TrainingResource.class, "bert", "Running");
    String before = pod("bert-0").getMetadata().getUid();

    client.pods().inNamespace("ml").withName("bert-0").delete(); // as the Eviction API does
    awaitPhase(TrainingResource.class, "bert", "Pending");
    await(() -> pod("bert-0") != null && !pod("bert-0").getMetadata().getUid().equals(before), () -> "not recreated");
    WorkloadStatus status = client.resources(TrainingResource.class).inNamespace("ml").withName("bert").get().getStatus();
    assertEquals("Preempted", status.reason());
    await(() -> events("bert").contains("PodRestarted"), () -> "events: " + events("bert"));
  }

  @Test
  void aLostVolumeDegradesARunningTraining() {
    client.resource(new io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder()
        .withNewMetadata().withNamespace("ml").withName("datasets").endMetadata()
        .withNewStatus().withPhase("Bound").endStatus()
        .build()).create();
    TrainingResource training = new TrainingResource();
    training.setMetadata(new ObjectMetaBuilder().withNamespace("ml").withName("data").build());
    WorkloadSpec s = spec(null, null);
    training.setSpec(new WorkloadSpec(s.image(), s.command(), s.args(), s.env(), s.gpu(), s.cpu(), s.cpuLimit(),
        s.memory(), s.memoryLimit(), s.nodePools(), s.priorityClassName(), s.preemptible(),
        List.of(new WorkloadSpec.DataSource("data", "datasets", "/data", true)), null, null));
    client.resource(training).create();
    await(() -> pod("data-0") != null, () -> "no pod");
    assertEquals("datasets", pod("data-0").getSpec().getVolumes().get(0).getPersistentVolumeClaim().getClaimName());
    schedule("data-0", "gpu-1");
    containers("data-0", "Running", true, null);
    awaitPhase(TrainingResource.class, "data", "Running");
    client.persistentVolumeClaims().inNamespace("ml").withName("datasets").editStatus(c -> {
      c.getStatus().setPhase("Lost");
      return c;
    });
    // Claims have no informer here: a change of the pod brings the workload back to the controller,
    // as the periodic resync would.
    client.pods().inNamespace("ml").withName("data-0").edit(p -> {
      p.getMetadata().setAnnotations(new java.util.HashMap<>(Map.of("touch", "1")));
      return p;
    });
    awaitPhase(TrainingResource.class, "data", "Degraded");
    String message = client.resources(TrainingResource.class).inNamespace("ml").withName("data").get().getStatus()
        .phaseHistory().stream().reduce((a, b) -> b).orElseThrow().message();
    assertEquals("1 volume(s) detached", message);
  }

  @Test
  void anImageThatCannotBePulledFailsTheWorkload() {
    training("typo");
    await(() -> pod("typo-0") != null, () -> "no pod");
    schedule("typo-0", "gpu-1");
    containers("typo-0", "Pending", false, "ImagePullBackOff");
    // The kubelet retries a pull; a registry down for a moment is no reason to fail.
    await(() -> events("typo").contains("ImagePullRetrying"), () -> "events: " + events("typo"));
    // The event is told while the pass looks at the pods; the phase is written at the pass's end.
    awaitPhase(TrainingResource.class, "typo", "Initializing");

    clock.advance(WorkloadController.IMAGE_PULL_GRACE.plusSeconds(1));
    resync();
    awaitPhase(TrainingResource.class, "typo", "Failed");
    assertEquals("ImagePullFailed",
        client.resources(TrainingResource.class).inNamespace("ml").withName("typo").get().getStatus().reason());
    // Failed, it gives its GPU back: the pod waiting for its image is deleted.
    await(() -> pod("typo-0") == null, () -> "the failed workload's pod still holds its GPU");
    assertEquals(0.0, client.resources(TrainingResource.class).inNamespace("ml").withName("typo").get().getStatus()
        .gpusAllocated());
  }

  @Test
  void aSecondKindOfTheSameNameFailsAndItsDeletionLeavesTheFirstAlone() {
    WorkspaceResource ws = new WorkspaceResource();
    ws.setMetadata(new ObjectMetaBuilder().withNamespace("ml").withName("same").build());
    ws.setSpec(spec(null, null));
    client.resource(ws).create();
    await(() -> pod("same-0") != null, () -> "no pod");
    String workspacePod = pod("same-0").getMetadata().getUid();

    training("same");
    awaitPhase(TrainingResource.class, "same", "Failed");
    WorkloadStatus status = client.resources(TrainingResource.class).inNamespace("ml").withName("same").get().getStatus();
    assertEquals("NameTaken", status.reason());
    String message = status.phaseHistory().stream().reduce((a, b) -> b).orElseThrow().message();
    assertTrue(message.contains("belongs to Workspace same"), message);

    client.resources(TrainingResource.class).inNamespace("ml").withName("same").delete();
    await(() -> client.resources(TrainingResource.class).inNamespace("ml").withName("same").get() == null,
        () -> "the training is not gone");
    assertEquals(workspacePod, pod("same-0").getMetadata().getUid(), "the workspace's pod was deleted with the training");
    assertTrue(client.resources(dev.tessera.api.policy.PodGroupResource.class).inNamespace("ml")
        .withName("same").get() != null, "the workspace's pod group was deleted with the training");
  }

  @Test
  void eachWorkloadPolicySaysWhetherItIsApplied() {
    policy("fine", null, new WorkloadSpec(null, null, null, null, null, "1", null, null, null, null, null, null, null,
        null, null), null);
    WorkloadPolicyResource bad = new WorkloadPolicyResource();
    bad.setMetadata(new ObjectMetaBuilder().withName("bad").build());
    bad.setSpec(new WorkloadPolicySpec("Training", "", null, null));
    client.resource(bad).create();
    await(() -> accepted("bad") != null && accepted("fine") != null, () -> "no Accepted condition written");
    assertEquals("True", accepted("fine").status());
    assertEquals("False", accepted("bad").status());
    assertEquals("rejected: project is empty; leave it out for a global policy", accepted("bad").message());
  }

  private dev.tessera.api.conditions.Condition accepted(String policy) {
    WorkloadPolicyResource resource = client.resources(WorkloadPolicyResource.class).withName(policy).get();
    return resource == null ? null : dev.tessera.api.conditions.Condition.find(
        resource.statusOrEmpty().conditions(), dev.tessera.api.conditions.Condition.ACCEPTED);
  }

  @Test
  void anInvalidImageNameFailsAtOnce() {
    training("bad");
    await(() -> pod("bad-0") != null, () -> "no pod");
    schedule("bad-0", "gpu-1");
    containers("bad-0", "Pending", false, "InvalidImageName");
    awaitPhase(TrainingResource.class, "bad", "Failed");
  }

  /** What `tessera stop` and `tessera run` do: a merge patch of spec.stopped alone. */
  private void stopped(String name, boolean stopped) {
    stopped(TrainingResource.class, name, stopped);
  }

  private void stopped(Class<? extends WorkloadResource<?>> type, String name, boolean stopped) {
    client.resources(type).inNamespace("ml").withName(name)
        .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
            "{\"spec\":{\"stopped\":" + stopped + "}}");
  }

  @Test
  void stoppingReleasesThePodsAndRunningStartsOver() {
    training("llm");
    await(() -> pod("llm-0") != null, () -> "no pod");
    schedule("llm-0", "gpu-1");
    containers("llm-0", "Running", true, null);
    awaitPhase(TrainingResource.class, "llm", "Running");

    stopped("llm", true);
    awaitPhase(TrainingResource.class, "llm", "Stopped");
    await(() -> pod("llm-0") == null, () -> "the stopped workload's pod is still there");

    stopped("llm", false);
    await(() -> pod("llm-0") != null, () -> "not run again");
    awaitPhase(TrainingResource.class, "llm", "Pending");
    List<String> history = client.resources(TrainingResource.class).inNamespace("ml").withName("llm").get().getStatus()
        .phaseHistory().stream().map(WorkloadStatus.PhaseChange::phase).toList();
    // Run again as a new submission: Creating, then Pending until placed.
    assertEquals(List.of("Stopped", "Creating", "Pending"), history.subList(history.size() - 3, history.size()));
  }

  @Test
  void aPassTheApiServerFailsIsRetriedWithoutWaitingForAChange() {
    // Twice: the first refusal writes the Created condition, whose update alone would bring the
    // workload back; the second changes nothing, so only the backoff tries it again. 403, as while
    // an admin fixes the RBAC: the client itself retries a 5xx.
    api.expect().post().withPath("/apis/tessera.dev/v1alpha1/namespaces/ml/podgroups")
        .andReturn(403, "{\"kind\":\"Status\",\"code\":403,\"message\":\"podgroups is forbidden\"}").times(2);
    training("flaky");
    await(() -> client.v1().events().inNamespace("ml").list().getItems().stream()
        .anyMatch(e -> "CreateFailed".equals(e.getReason())), () -> "the API server's refusal was not seen");
    await(() -> pod("flaky-0") != null, () -> "the training was not retried after the API server's refusals");
    await(() -> "True".equals(client.resources(TrainingResource.class).inNamespace("ml").withName("flaky").get()
        .statusOrEmpty().conditions().stream().filter(c -> c.type().equals("Created")).findFirst().orElseThrow()
        .status()), () -> "its Created condition did not turn True once everything was created");
  }

  @Test
  void retriesBackOffFromHalfASecondToAMinute() {
    // JOSDK's GenericRetry: its first two delays are the initial one, then it doubles.
    var failures = WorkloadController.retry().initExecution();
    List<Long> delays = new java.util.ArrayList<>();
    for (int i = 0; i < 12; i++) {
      delays.add(failures.nextDelay().orElseThrow());
    }
    assertEquals(List.of(500L, 500L, 1_000L, 2_000L, 4_000L, 8_000L, 16_000L, 32_000L, 60_000L, 60_000L, 60_000L,
        60_000L), delays);
    for (int i = 0; i < 1_000; i++) {
      assertEquals(60_000L, failures.nextDelay().orElseThrow(), "it never gives up, at most a minute apart");
    }
    // JOSDK drops a resource's retry state after a pass that went through: the next failure starts over.
    assertEquals(500L, WorkloadController.retry().initExecution().nextDelay().orElseThrow(),
        "a pass that went through starts over");
  }

  @Test
  void aPassTheApiServerFailsOnceIsRetriedWithBackoffAndGoesThrough() throws Exception {
    // A client that does not retry a 5xx itself, as the default one does: the retry is JOSDK's.
    controller.close();
    KubernetesClient noRetries = new io.fabric8.kubernetes.client.KubernetesClientBuilder()
        .withConfig(new io.fabric8.kubernetes.client.ConfigBuilder(client.getConfiguration())
            .withRequestRetryBackoffLimit(0).build())
        .build();
    controller = new WorkloadController(noRetries, clock, worker, namespace -> null);
    controller.start(Duration.ofSeconds(20));
    String statusPath = "/apis/tessera.dev/v1alpha1/namespaces/ml/trainings/once/status";
    api.expect().put().withPath(statusPath)
        .andReturn(500, "{\"kind\":\"Status\",\"code\":500,\"message\":\"etcd is not answering\"}").once();
    List<Long> statusWrites = new java.util.concurrent.CopyOnWriteArrayList<>();
    api.observeRequests(request -> {
      if ("PUT".equals(request.getMethod()) && statusPath.equals(request.getPath())) {
        statusWrites.add(System.nanoTime());
      }
    });
    try {
      training("once");
      // Its first status write (Creating) fails; nothing else changes, so only the retry comes back.
      awaitPhase(TrainingResource.class, "once", "Pending");
      await(() -> pod("once-0") != null, () -> "no pod after the retried pass");
      assertTrue(statusWrites.size() >= 2, "writes " + statusWrites);
      long backoff = Duration.ofNanos(statusWrites.get(1) - statusWrites.get(0)).toMillis();
      assertTrue(backoff >= 450, "tried again after " + backoff + " ms, not after JOSDK's first backoff (500 ms)");
      List<String> history = client.resources(TrainingResource.class).inNamespace("ml").withName("once").get()
          .getStatus().phaseHistory().stream().map(WorkloadStatus.PhaseChange::phase).toList();
      assertEquals(List.of("Creating", "Pending"), history, "the failed write left no trace");
      assertEquals(List.of("Submitted", "Scheduling"), events("once"));
    } finally {
      api.observeRequests(null);
      controller.close();
      noRetries.close();
    }
  }

  @Test
  void aDistributedTrainingIsOneGangWithItsPeersEnvironment() {
    DistributedTrainingResource job = new DistributedTrainingResource();
    job.setMetadata(new ObjectMetaBuilder().withNamespace("ml").withName("ddp").build());
    WorkloadSpec s = spec(null, null);
    job.setSpec(new DistributedTrainingSpec(s.image(), s.command(), s.args(), s.env(), s.gpu(), s.cpu(), s.cpuLimit(),
        s.memory(), s.memoryLimit(), s.nodePools(), s.priorityClassName(), s.preemptible(), s.dataSources(),
        s.connections(), s.stopped(), "pytorch", 2, null, null, null));
    client.resource(job).create();
    await(() -> pod("ddp-worker-1") != null, () -> "pods not created");
    assertEquals(3, client.resources(PodGroupResource.class).inNamespace("ml").withName("ddp").get().getSpec().minMember());
    Map<String, String> env = pod("ddp-worker-1").getSpec().getContainers().get(0).getEnv().stream()
        .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    assertEquals(Map.of("MASTER_ADDR", "ddp-master-0.ddp.ml.svc", "MASTER_PORT", "29500", "WORLD_SIZE", "3", "RANK", "2"), env);
    assertEquals("None", client.services().inNamespace("ml").withName("ddp").get().getSpec().getClusterIP());
    awaitPhase(DistributedTrainingResource.class, "ddp", "Pending");
    for (String pod : List.of("ddp-master-0", "ddp-worker-0", "ddp-worker-1")) {
      schedule(pod, "gpu-1");
      containers(pod, "Running", true, null);
    }
    awaitPhase(DistributedTrainingResource.class, "ddp", "Running");

    client.resources(DistributedTrainingResource.class).inNamespace("ml").withName("ddp").delete();
    await(() -> client.resources(DistributedTrainingResource.class).inNamespace("ml").withName("ddp").get() == null,
        () -> "the workload is still there: " + client.resources(DistributedTrainingResource.class).inNamespace("ml").withName("ddp").get().getMetadata()
            + " pods " + client.pods().inNamespace("ml").list().getItems().size());
    assertTrue(events("ddp").contains("DeletionRequested"), "events: " + events("ddp"));
    await(() -> client.pods().inNamespace("ml").list().getItems().isEmpty()
        && client.services().inNamespace("ml").list().getItems().isEmpty(), () -> "owned objects left after delete");
  }

  private List<String> allocated(String name) {
    WorkloadResource<?> w = client.resources(DistributedTrainingResource.class).inNamespace("ml").withName(name).get();
    return w == null ? null : java.util.Arrays.asList(w.statusOrEmpty().cpuAllocated(), w.statusOrEmpty().memoryAllocated());
  }

  private void awaitAllocated(String name, String cpu, String memory) {
    await(() -> List.of(cpu, memory).equals(allocated(name)),
        () -> name + " has " + allocated(name) + " allocated, not " + List.of(cpu, memory));
  }

  @Test
  void cpuAndMemoryAllocatedAddUpThePodsBoundToANodeUntilTheWorkloadStops() {
    DistributedTrainingResource job = new DistributedTrainingResource();
    job.setMetadata(new ObjectMetaBuilder().withNamespace("ml").withName("sum").build());
    WorkloadSpec s = spec(null, null); // 2 CPUs and 8Gi a pod
    job.setSpec(new DistributedTrainingSpec(s.image(), s.command(), s.args(), s.env(), s.gpu(), s.cpu(), s.cpuLimit(),
        s.memory(), s.memoryLimit(), s.nodePools(), s.priorityClassName(), s.preemptible(), s.dataSources(),
        s.connections(), s.stopped(), "pytorch", 2, null, null, null));
    client.resource(job).create();
    await(() -> pod("sum-worker-1") != null, () -> "pods not created");
    awaitPhase(DistributedTrainingResource.class, "sum", "Pending");
    awaitAllocated("sum", "0", "0");

    schedule("sum-master-0", "gpu-1");
    awaitAllocated("sum", "2", "8Gi");
    for (String pod : List.of("sum-master-0", "sum-worker-0", "sum-worker-1")) {
      schedule(pod, "gpu-1");
      containers(pod, "Running", true, null);
    }
    awaitPhase(DistributedTrainingResource.class, "sum", "Running");
    awaitAllocated("sum", "6", "24Gi");
    WorkloadStatus running = client.resources(DistributedTrainingResource.class).inNamespace("ml").withName("sum").get()
        .getStatus();
    assertEquals(List.of("6", "24Gi"), List.of(running.cpuRequested(), running.memoryRequested()),
        "requested is all pods' too, so the two compare");

    stopped(DistributedTrainingResource.class, "sum", true);
    awaitPhase(DistributedTrainingResource.class, "sum", "Stopped");
    awaitAllocated("sum", "0", "0");
  }

  @Test
  void aWorkspaceWhoseServiceHasNoEndpointsIsDegraded() {
    WorkspaceResource ws = new WorkspaceResource();
    ws.setMetadata(new ObjectMetaBuilder().withNamespace("ml").withName("alice").build());
    ws.setSpec(spec(null, List.of(new WorkloadSpec.Connection("jupyter", 8888, null))));
    client.resource(ws).create();
    await(() -> pod("alice-0") != null, () -> "no pod");
    assertEquals("false", pod("alice-0").getMetadata().getAnnotations().get(WellKnown.PREEMPTIBLE_ANNOTATION));
    schedule("alice-0", "gpu-1");
    containers("alice-0", "Running", true, null);
    // Endpoints follow readiness by a moment: still starting, not degraded.
    await(() -> "AwaitingEndpoints".equals(
            client.resources(WorkspaceResource.class).inNamespace("ml").withName("alice").get().getStatus().reason()),
        () -> "alice is " + phase(WorkspaceResource.class, "alice") + ", not waiting for its endpoints");
    assertEquals("Initializing", phase(WorkspaceResource.class, "alice"));
    client.resource(new EndpointsBuilder()
        .withNewMetadata().withNamespace("ml").withName("alice-connect")
        .addToLabels(Blueprint.WORKLOAD_LABEL, "alice").addToLabels(WellKnown.WORKLOAD_KIND_LABEL, "workspace").endMetadata()
        .addNewSubset().addNewAddress().withIp("10.0.0.7").endAddress().endSubset()
        .build()).create();
    awaitPhase(WorkspaceResource.class, "alice", "Running");
    assertEquals("alice-connect.ml.svc:8888", client.resources(WorkspaceResource.class).inNamespace("ml").withName("alice")
        .get().getStatus().connections().get(0).address());
    // Running, a Service that loses its endpoints is a real issue.
    client.endpoints().inNamespace("ml").withName("alice-connect").edit(e -> {
      e.setSubsets(List.of());
      return e;
    });
    awaitPhase(WorkspaceResource.class, "alice", "Degraded");
  }

  private void policy(String name, String project, WorkloadSpec defaults, WorkloadPolicySpec.Constraints constraints) {
    policy(name, "Training", project, defaults, constraints);
  }

  private void policy(String name, String kind, String project, WorkloadSpec defaults,
      WorkloadPolicySpec.Constraints constraints) {
    WorkloadPolicyResource policy = new WorkloadPolicyResource();
    policy.setMetadata(new ObjectMetaBuilder().withName(name).build());
    policy.setSpec(new WorkloadPolicySpec(kind, project, defaults, constraints));
    client.resource(policy).create();
    dev.tessera.api.workloads.WorkloadKind workloadKind =
        kind.equals("Workspace") ? dev.tessera.api.workloads.WorkloadKind.WORKSPACE
            : dev.tessera.api.workloads.WorkloadKind.TRAINING;
    await(() -> controller.policies().effective(workloadKind, project).policies().contains(name),
        () -> "policy " + name + " not loaded");
  }

  /** Asks the controller to look at every workload again, and waits until it has. */
  private void resync() {
    try {
      controller.resync().get(15, java.util.concurrent.TimeUnit.SECONDS); // each workload's pass is done
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aWorkspaceIdleLongerThanItsPolicyAllowsIsStopped() {
    policy("idle", "Workspace", null, null,
        new WorkloadPolicySpec.Constraints(null, null, null, null, null, null, null, "30m", null, null, null));
    WorkspaceResource ws = new WorkspaceResource();
    ws.setMetadata(new ObjectMetaBuilder().withNamespace("ml").withName("bob").build());
    ws.setSpec(spec(null, null));
    client.resource(ws).create();
    await(() -> pod("bob-0") != null, () -> "no pod");
    schedule("bob-0", "gpu-1");
    containers("bob-0", "Running", true, null);
    awaitPhase(WorkspaceResource.class, "bob", "Running");

    busy.put("bob-0", 40);
    resync();
    clock.advance(Duration.ofHours(1));
    resync();
    busy.put("bob-0", 0); // idle from now on
    resync();
    clock.advance(Duration.ofMinutes(20));
    resync();
    assertEquals("Running", phase(WorkspaceResource.class, "bob"), "20 of 30 idle minutes: it keeps running");
    clock.advance(Duration.ofMinutes(11));
    resync();
    awaitPhase(WorkspaceResource.class, "bob", "Stopped");
    await(() -> events("bob").contains("MaxIdleTimeExceeded"), () -> "events: " + events("bob"));
  }

  private static WorkloadPolicySpec.Constraints limits(Integer maxGpus, String maxRuntime) {
    return new WorkloadPolicySpec.Constraints(maxGpus, null, null, null, null, null, maxRuntime, null, null, null, null);
  }

  @Test
  void aWorkloadBreakingItsProjectsPolicyFailsNamingTheRule() throws Exception {
    policy("ml-limits", "team-ml", null, limits(0, null));
    training("greedy");
    awaitPhase(TrainingResource.class, "greedy", "Failed");
    WorkloadStatus status = client.resources(TrainingResource.class).inNamespace("ml").withName("greedy").get().getStatus();
    assertEquals("PolicyViolation", status.reason());
    String message = status.phaseHistory().get(status.phaseHistory().size() - 1).message();
    assertTrue(message.contains("gpu.count 1 exceeds the policy maximum of 0 GPUs per pod (policy ml-limits)"), message);
    assertTrue(pod("greedy-0") == null, "nothing is created for a rejected workload");

    // JOSDK put the finalizer on before the policy refused it; with nothing to delete, it goes at once.
    client.resources(TrainingResource.class).inNamespace("ml").withName("greedy").delete();
    await(() -> client.resources(TrainingResource.class).inNamespace("ml").withName("greedy").get() == null,
        () -> "the rejected training is still there");
    assertEquals(List.of("PolicyViolation"), events("greedy"), "no Deleting phase for what never ran");
  }

  @Test
  void policyDefaultsFillWhatTheWorkloadLeftOutAndMaxRuntimeStopsIt() throws Exception {
    WorkloadSpec defaults = new WorkloadSpec(null, null, null, null, null, "500m", null, null, null, List.of("h100"),
        null, null, null, null, null);
    policy("defaults", null, defaults, limits(null, "1s"));
    TrainingResource noPools = new TrainingResource();
    noPools.setMetadata(new ObjectMetaBuilder().withNamespace("ml").withName("short").build());
    noPools.setSpec(new WorkloadSpec("nvcr.io/nvidia/pytorch:24.05-py3", null, null, null,
        new WorkloadSpec.GpuSpec(1, null, null, null, null, null), null, null, null, null, null, null, null, null, null,
        null));
    client.resource(noPools).create();
    await(() -> pod("short-0") != null, () -> "no pod");
    assertEquals("h100", pod("short-0").getMetadata().getAnnotations().get(WellKnown.NODE_POOLS),
        "the global policy's default pool, as the workload named none");
    schedule("short-0", "gpu-1");
    containers("short-0", "Running", true, null);
    awaitPhase(TrainingResource.class, "short", "Running");
    WorkloadStatus running = client.resources(TrainingResource.class).inNamespace("ml").withName("short").get().getStatus();
    assertEquals(List.of("500m", "500m"), List.of(running.cpuRequested(), running.cpuAllocated()),
        "the policy's default CPU request, as its pod was built with it");
    clock.advance(Duration.ofSeconds(5)); // past the one-second maximum
    resync();
    awaitPhase(TrainingResource.class, "short", "Stopped");
    await(() -> events("short").contains("MaxRuntimeExceeded"), () -> "events: " + events("short"));
  }

  @Test
  void anInferenceIsADeploymentDegradedBelowItsReplicas() {
    InferenceResource inference = new InferenceResource();
    inference.setMetadata(new ObjectMetaBuilder().withNamespace("ml").withName("llama").build());
    WorkloadSpec s = spec(null, null);
    inference.setSpec(new InferenceSpec(s.image(), s.command(), s.args(), s.env(), s.gpu(), s.cpu(), s.cpuLimit(),
        s.memory(), s.memoryLimit(), s.nodePools(), s.priorityClassName(), s.preemptible(), s.dataSources(),
        s.connections(), s.stopped(), 2, 4, null));
    client.resource(inference).create();
    await(() -> client.apps().deployments().inNamespace("ml").withName("llama").get() != null, () -> "no deployment");
    var deployment = client.apps().deployments().inNamespace("ml").withName("llama").get();
    assertEquals(2, deployment.getSpec().getReplicas());
    assertEquals("1", deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getResources().getLimits()
        .get(WellKnown.GPU_RESOURCE).getAmount());
    awaitPhase(InferenceResource.class, "llama", "Pending");
    // The ReplicaSet's pods, as kube-controller-manager would make them from the template.
    for (int i = 0; i < 2; i++) {
      Pod replica = new io.fabric8.kubernetes.api.model.PodBuilder()
          .withNewMetadata().withNamespace("ml").withName("llama-" + i)
          .withLabels(deployment.getSpec().getTemplate().getMetadata().getLabels()).endMetadata()
          .withSpec(deployment.getSpec().getTemplate().getSpec())
          .build();
      client.resource(replica).create();
      schedule("llama-" + i, "gpu-" + i);
      containers("llama-" + i, "Running", true, null);
    }
    awaitPhase(InferenceResource.class, "llama", "Running");
    containers("llama-1", "Running", false, null);
    awaitPhase(InferenceResource.class, "llama", "Degraded");
  }

  @Test
  void anInferenceWhoseReplicaIsEvictedGoesBackToPendingAsPreemptedUntilItsReplacementIsPlaced() {
    InferenceResource inference = new InferenceResource();
    inference.setMetadata(new ObjectMetaBuilder().withNamespace("ml").withName("qa").build());
    WorkloadSpec s = spec(null, null);
    inference.setSpec(new InferenceSpec(s.image(), s.command(), s.args(), s.env(), s.gpu(), s.cpu(), s.cpuLimit(),
        s.memory(), s.memoryLimit(), s.nodePools(), s.priorityClassName(), s.preemptible(), s.dataSources(),
        s.connections(), s.stopped(), 2, 2, null));
    client.resource(inference).create();
    await(() -> client.apps().deployments().inNamespace("ml").withName("qa").get() != null, () -> "no deployment");
    var template = client.apps().deployments().inNamespace("ml").withName("qa").get().getSpec().getTemplate();
    for (String name : List.of("qa-a", "qa-b")) {
      replica(template, name);
      schedule(name, "gpu-1");
      containers(name, "Running", true, null);
    }
    awaitPhase(InferenceResource.class, "qa", "Running");

    // Evicted (its node drained): the ReplicaSet makes another replica, under another name, that
    // waits for a place as the pods a training recreates do.
    client.pods().inNamespace("ml").withName("qa-a").delete();
    replica(template, "qa-c");
    awaitPhase(InferenceResource.class, "qa", "Pending");
    WorkloadStatus pending = client.resources(InferenceResource.class).inNamespace("ml").withName("qa").get().getStatus();
    assertEquals("Preempted", pending.reason());
    assertEquals("1 pod(s) preempted; waiting to be scheduled again (1 of 2 scheduled)",
        pending.phaseHistory().get(pending.phaseHistory().size() - 1).message());

    schedule("qa-c", "gpu-2");
    awaitPhase(InferenceResource.class, "qa", "Initializing");
    containers("qa-c", "Running", true, null);
    awaitPhase(InferenceResource.class, "qa", "Running");
    List<String> history = client.resources(InferenceResource.class).inNamespace("ml").withName("qa").get().getStatus()
        .phaseHistory().stream().map(WorkloadStatus.PhaseChange::phase).toList();
    assertEquals(List.of("Running", "Pending", "Initializing", "Running"), history.subList(history.size() - 4, history.size()));
  }

  /** A replica as kube-controller-manager's ReplicaSet would make it from the Deployment's template. */
  private void replica(io.fabric8.kubernetes.api.model.PodTemplateSpec template, String name) {
    client.resource(new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata().withNamespace("ml").withName(name).withLabels(template.getMetadata().getLabels()).endMetadata()
        .withSpec(template.getSpec())
        .build()).create();
  }

  @Test
  void anAutoscaledInferenceGrowsWithItsGpusAndShrinksToItsMinimumWhenIdle() {
    InferenceResource inference = new InferenceResource();
    inference.setMetadata(new ObjectMetaBuilder().withNamespace("ml").withName("chat").build());
    WorkloadSpec s = spec(null, null);
    inference.setSpec(new InferenceSpec(s.image(), s.command(), s.args(), s.env(), s.gpu(), s.cpu(), s.cpuLimit(),
        s.memory(), s.memoryLimit(), s.nodePools(), s.priorityClassName(), s.preemptible(), s.dataSources(),
        s.connections(), s.stopped(), 1, 3, InferenceSpec.Autoscaling.onGpus(50, "10m")));
    client.resource(inference).create();
    await(() -> client.apps().deployments().inNamespace("ml").withName("chat").get() != null, () -> "no deployment");
    var template = client.apps().deployments().inNamespace("ml").withName("chat").get().getSpec().getTemplate();
    Pod replica = new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata().withNamespace("ml").withName("chat-0").withLabels(template.getMetadata().getLabels())
        .endMetadata().withSpec(template.getSpec()).build();
    client.resource(replica).create();
    schedule("chat-0", "gpu-1");
    busy.put("chat-0", 100);
    containers("chat-0", "Running", true, null);
    await(() -> replicas("chat") == 2, () -> "not scaled up: " + replicas("chat") + " replicas");
    await(() -> events("chat").contains("ScaledUp"), () -> "events: " + events("chat"));

    // Idle: down to the minimum, but only once the scale-down delay has passed.
    busy.put("chat-0", 0);
    resync();
    assertEquals(2, replicas("chat"));
    clock.advance(Duration.ofMinutes(11));
    resync();
    await(() -> replicas("chat") == 1, () -> "not scaled down: " + replicas("chat") + " replicas");
    await(() -> events("chat").contains("ScaledDown"), () -> "events: " + events("chat"));
  }

  @Test
  void anInferenceScaledOnRequestsInFlightReadsItsReplicasPagesAndShrinksAfterTheDelay() {
    metricsPage = "# HELP inflight requests being served\n# TYPE inflight gauge\ninflight{model=\"a\"} 7\n"
        + "inflight{model=\"b\"} 3\nother 100\n";
    Pod replica = requestScaledInference("serve", new InferenceSpec.Autoscaling(InferenceSpec.CONCURRENCY, 4, "10m",
        null, null, "inflight"));
    await(() -> replicas("serve") == 3, () -> "not scaled up: " + replicas("serve") + " replicas; events "
        + events("serve"));
    await(() -> events("serve").contains("ScaledUp"), () -> "events: " + events("serve"));
    assertTrue(eventMessages("serve").contains(
        "from 1 to 3 replicas: 10 request(s) in flight over 1 ready replica(s), target 4 per replica"),
        eventMessages("serve").toString());

    // Idle: down to the minimum, but only once the scale-down delay has passed.
    metricsPage = "inflight{model=\"a\"} 0\n";
    readUntil("serve", replica, 0);
    resync();
    assertEquals(3, replicas("serve"));
    clock.advance(Duration.ofMinutes(11));
    resync();
    await(() -> replicas("serve") == 1, () -> "not scaled down: " + replicas("serve") + " replicas");
    assertTrue(eventMessages("serve").stream().anyMatch(m -> m.startsWith(
        "from 3 to 1 replicas: 0 request(s) in flight over 1 ready replica(s), target 4 per replica, for 10m")),
        eventMessages("serve").toString());
  }

  @Test
  void aReplicaWhosePageKeepsFailingIsToldOnceAndNothingIsDecided() {
    metricsPage = "something_else 3\n";
    Pod replica = requestScaledInference("wrong", new InferenceSpec.Autoscaling(InferenceSpec.CONCURRENCY, 1, null,
        null, null, "vllm:num_requests_running"));
    RequestLoad.Replica read = new RequestLoad.Replica(replica.getMetadata().getUid(), replica.getMetadata().getName(),
        endpoint());
    for (int round = 0; round < WorkloadController.UNREAD_BEFORE_EVENT + 2; round++) {
      int failures = requestLoad.measures("ml/wrong", List.of(read)).get(0).failures();
      requestLoad.scrapeAll();
      await(() -> requestLoad.measures("ml/wrong", List.of(read)).get(0).failures() > failures,
          () -> "no further failure after " + failures);
      resync();
    }
    assertEquals(1, events("wrong").stream().filter("MetricsUnavailable"::equals).count(), events("wrong").toString());
    String told = eventMessages("wrong").stream().filter(m -> m.startsWith("cannot read")).findFirst().orElseThrow();
    assertTrue(told.contains("the page has no finite sample of vllm:num_requests_running"), told);
    assertEquals(1, replicas("wrong"), "nothing is decided on a replica that cannot be read");
  }

  /**
   * An inference scaling on requests, 1 to 3 replicas, serving port 'http' where this test's
   * metrics page is, and its one replica running there. Returns the replica.
   */
  private Pod requestScaledInference(String name, InferenceSpec.Autoscaling autoscaling) {
    InferenceResource inference = new InferenceResource();
    inference.setMetadata(new ObjectMetaBuilder().withNamespace("ml").withName(name).build());
    WorkloadSpec s = spec(null, List.of(new WorkloadSpec.Connection("http", metrics.getAddress().getPort(), null)));
    inference.setSpec(new InferenceSpec(s.image(), s.command(), s.args(), s.env(), s.gpu(), s.cpu(), s.cpuLimit(),
        s.memory(), s.memoryLimit(), s.nodePools(), s.priorityClassName(), s.preemptible(), s.dataSources(),
        s.connections(), s.stopped(), 1, 3, autoscaling));
    client.resource(inference).create();
    await(() -> client.apps().deployments().inNamespace("ml").withName(name).get() != null, () -> "no deployment");
    var template = client.apps().deployments().inNamespace("ml").withName(name).get().getSpec().getTemplate();
    Pod replica = new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata().withNamespace("ml").withName(name + "-0").withLabels(template.getMetadata().getLabels())
        .endMetadata().withSpec(template.getSpec()).build();
    client.resource(replica).create();
    schedule(name + "-0", "gpu-1");
    client.pods().inNamespace("ml").withName(name + "-0").editStatus(p -> {
      p.setStatus(new io.fabric8.kubernetes.api.model.PodStatus());
      p.getStatus().setPodIP(metrics.getAddress().getAddress().getHostAddress());
      return p;
    });
    containers(name + "-0", "Running", true, null);
    return pod(name + "-0");
  }

  private URI endpoint() {
    return URI.create("http://" + metrics.getAddress().getAddress().getHostAddress() + ":"
        + metrics.getAddress().getPort() + "/metrics");
  }

  /** Reads the replica's page until it says {@code load}. */
  private void readUntil(String inference, Pod replica, double load) {
    RequestLoad.Replica read = new RequestLoad.Replica(replica.getMetadata().getUid(), replica.getMetadata().getName(),
        endpoint());
    await(() -> {
      requestLoad.scrapeAll();
      var measure = requestLoad.measures("ml/" + inference, List.of(read)).get(0);
      return measure.load().isPresent() && measure.load().getAsDouble() == load;
    }, () -> "the replica's page never said " + load);
  }

  private List<String> eventMessages(String name) {
    return client.v1().events().inNamespace("ml").list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .map(e -> e.getMessage())
        .toList();
  }

  private int replicas(String deployment) {
    return client.apps().deployments().inNamespace("ml").withName(deployment).get().getSpec().getReplicas();
  }

  private static void await(BooleanSupplier condition, Supplier<String> what) {
    Await.await(what, condition, Duration.ofSeconds(15));
  }

}
