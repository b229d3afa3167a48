package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.workloads.DistributedTrainingResource;
import dev.tessera.api.workloads.DistributedTrainingSpec;
import dev.tessera.api.workloads.InferenceResource;
import dev.tessera.api.workloads.InferenceSpec;
import dev.tessera.api.workloads.TrainingResource;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.api.workloads.WorkspaceResource;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** {@code tessera submit} against the in-process API server: flags, a manifest, and bad values. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SubmitCommandTest {
  private EmbeddedApiServer api;
  private KubernetesClient client;

  @BeforeAll
  void start() {
    api = EmbeddedApiServer.start();
    client = api.client();
    TestProjects.create(client, "ml", "bad", "dup", "nlp");
  }

  @AfterAll
  void stop() {
    api.close();
  }

  private CliRun.Result tessera(String... args) {
    String[] all = new String[args.length + 1];
    all[0] = args[0];
    all[1] = "--server=" + api.url();
    System.arraycopy(args, 1, all, 2, args.length - 1);
    return CliRun.run(all);
  }

  @Test
  void aTrainingGetsEveryFlagInItsSpec() {
    CliRun.Result result = tessera("submit", "trn", "resnet", "-p", "ml", "--image", "pytorch:24.05",
        "--command", "python", "--command", "-u", "--args", "train.py", "-e", "LR=0.1", "-e", "EPOCHS=3",
        "--gpu-fraction", "0.5", "--gpu-fraction-limit", "0.8", "--cpu", "2", "--cpu-limit", "4",
        "--memory", "8Gi", "--memory-limit", "16Gi", "--node-pools", "a100,h100", "--priority-class", "high",
        "--preemptible", "false", "--pvc", "data:datasets:/data:ro", "--pvc", "out:results:/out",
        "--port", "tb:6006:NodePort", "--", "--epochs", "3");
    assertEquals(0, result.exit(), result::toString);
    assertTrue(result.out().contains("training 'resnet' submitted to project 'ml'"), result::toString);

    WorkloadSpec spec = client.resources(TrainingResource.class).inNamespace("ml").withName("resnet").get().getSpec();
    assertEquals("pytorch:24.05", spec.image());
    assertEquals(List.of("python", "-u"), spec.command());
    assertEquals(List.of("train.py", "--epochs", "3"), spec.args());
    assertEquals(Map.of("LR", "0.1", "EPOCHS", "3"), spec.env());
    assertEquals(new WorkloadSpec.GpuSpec(null, 0.5, null, null, 0.8, null), spec.gpu());
    assertEquals("2", spec.cpu());
    assertEquals("4", spec.cpuLimit());
    assertEquals("8Gi", spec.memory());
    assertEquals("16Gi", spec.memoryLimit());
    assertEquals(List.of("a100", "h100"), spec.nodePools());
    assertEquals("high", spec.priorityClassName());
    assertEquals(Boolean.FALSE, spec.preemptible());
    assertEquals(List.of(new WorkloadSpec.DataSource("data", "datasets", "/data", true),
        new WorkloadSpec.DataSource("out", "results", "/out", null)), spec.dataSources());
    assertEquals(List.of(new WorkloadSpec.Connection("tb", 6006, "NodePort")), spec.connections());
    assertNull(spec.stopped());
  }

  @Test
  void aWorkspaceWithWholeGpus() {
    CliRun.Result result = tessera("submit", "workspace", "notebook", "-p", "ml", "--image", "jupyter:latest",
        "--gpu", "2", "--port", "jupyter:8888");
    assertEquals(0, result.exit(), result::toString);
    WorkloadSpec spec = client.resources(WorkspaceResource.class).inNamespace("ml").withName("notebook").get().getSpec();
    assertEquals(2, spec.gpu().count());
    assertEquals(List.of(new WorkloadSpec.Connection("jupyter", 8888, null)), spec.connections());
  }

  @Test
  void aDistributedTrainingWithItsGang() {
    CliRun.Result result = tessera("submit", "dtrn", "llm", "-p", "ml", "--image", "pytorch:24.05",
        "--framework", "pytorch", "--workers", "3", "--master-port", "29501", "--gpu", "8");
    assertEquals(0, result.exit(), result::toString);
    DistributedTrainingSpec spec =
        client.resources(DistributedTrainingResource.class).inNamespace("ml").withName("llm").get().getSpec();
    assertEquals("pytorch", spec.framework());
    assertEquals(3, spec.workers());
    assertEquals(29501, spec.masterPort());
    assertEquals(8, spec.gpu().count());
  }

  @Test
  void anElasticDistributedTrainingWithItsWorkerRange() {
    CliRun.Result result = tessera("submit", "dtrn", "el", "-p", "ml", "--image", "pytorch:24.05",
        "--framework", "pytorch", "--min-workers", "1", "--max-workers", "4", "--gpu", "1");
    assertEquals(0, result.exit(), result::toString);
    DistributedTrainingSpec spec =
        client.resources(DistributedTrainingResource.class).inNamespace("ml").withName("el").get().getSpec();
    assertEquals(1, spec.minWorkers());
    assertEquals(4, spec.maxWorkers());
    assertEquals(null, spec.workers());
  }

  @Test
  void anInferenceWithReplicasAndGpuMemory() {
    CliRun.Result result = tessera("submit", "inference", "llama", "-p", "ml", "--image", "vllm:0.5",
        "--min-replicas", "2", "--max-replicas", "4", "--gpu-memory", "20000", "--gpu-devices", "2",
        "--gpu-memory-limit", "30000");
    assertEquals(0, result.exit(), result::toString);
    InferenceSpec spec = client.resources(InferenceResource.class).inNamespace("ml").withName("llama").get().getSpec();
    assertEquals(2, spec.minReplicas());
    assertEquals(4, spec.maxReplicas());
    assertEquals(new WorkloadSpec.GpuSpec(null, null, 20000L, 2, null, 30000L), spec.gpu());
  }

  @Test
  void anInferenceScalingOnRequestsInFlight() {
    CliRun.Result result = tessera("submit", "inf", "chat", "-p", "ml", "--image", "vllm:0.6", "--port", "http:8000",
        "--max-replicas", "4", "--autoscale-metric", "concurrency", "--autoscale-target", "8",
        "--scale-down-after", "2m", "--metrics-series", "vllm:num_requests_running{model_name=\"llama\"}");
    assertEquals(0, result.exit(), result::toString);
    InferenceSpec spec = client.resources(InferenceResource.class).inNamespace("ml").withName("chat").get().getSpec();
    assertEquals(new InferenceSpec.Autoscaling("concurrency", 8, "2m", null, null,
        "vllm:num_requests_running{model_name=\"llama\"}"), spec.autoscaling());
    assertEquals(8000, spec.metricsPort(), "the connection's port");

    assertEquals(0, tessera("submit", "inf", "rps", "-p", "ml", "--image", "triton:24.05", "--autoscale-metric",
        "requests-per-second", "--autoscale-target", "50", "--metrics-port", "8002", "--metrics-path", "/metrics",
        "--metrics-series", "nv_inference_request_success").exit());
    assertEquals(new InferenceSpec.Autoscaling("requests-per-second", 50, null, 8002, "/metrics",
            "nv_inference_request_success"),
        client.resources(InferenceResource.class).inNamespace("ml").withName("rps").get().getSpec().autoscaling());
  }

  @Test
  void anotherMetricReplacesTheManifestsTargetAndOtherFlagsAdjustIt(@TempDir Path dir) throws Exception {
    Path manifest = dir.resolve("inf.yaml");
    Files.writeString(manifest, String.join("\n",
        "apiVersion: tessera.dev/v1alpha1",
        "kind: Inference",
        "metadata:",
        "  name: NAME",
        "  namespace: nlp",
        "spec:",
        "  image: vllm:0.6",
        "  connections: [{name: http, port: 8000}]",
        "  autoscaling: {metric: gpu-utilization, target: 70, scaleDownAfter: 10m}",
        ""));
    Files.writeString(manifest, Files.readString(manifest).replace("NAME", "adjusted"));
    assertEquals(0, tessera("submit", "-f", manifest.toString(), "--autoscale-target", "80").exit());
    assertEquals(InferenceSpec.Autoscaling.onGpus(80, "10m"),
        client.resources(InferenceResource.class).inNamespace("nlp").withName("adjusted").get().getSpec().autoscaling());

    Files.writeString(manifest, Files.readString(manifest).replace("adjusted", "replaced"));
    CliRun.Result replaced = tessera("submit", "-f", manifest.toString(), "--autoscale-metric", "concurrency",
        "--autoscale-target", "4", "--metrics-series", "vllm:num_requests_running");
    assertEquals(0, replaced.exit(), replaced::toString);
    assertEquals(new InferenceSpec.Autoscaling("concurrency", 4, "10m", null, null, "vllm:num_requests_running"),
        client.resources(InferenceResource.class).inNamespace("nlp").withName("replaced").get().getSpec().autoscaling(),
        "the delay carries over to another metric; the target is the new one's");
  }

  @Test
  void autoscalingFlagsAreCheckedTogether() {
    String[] inf = {"submit", "inf", "bad", "-p", "bad", "--image", "x"};
    assertUsageError("--autoscale-metric must be one of gpu-utilization, concurrency, requests-per-second,"
        + " was 'memory'", with(inf, "--autoscale-metric", "memory", "--autoscale-target", "1"));
    assertUsageError("--autoscale-target is required with --autoscale-metric concurrency",
        with(inf, "--autoscale-metric", "concurrency", "--metrics-series", "x", "--metrics-port", "80"));
    assertUsageError("--autoscale-metric is required to scale", with(inf, "--autoscale-target", "3"));
    assertUsageError("--autoscale-target is a percentage for gpu-utilization: at most 100, was 150",
        with(inf, "--autoscale-metric", "gpu-utilization", "--autoscale-target", "150"));
    assertUsageError("--metrics-series is required with --autoscale-metric requests-per-second",
        with(inf, "--autoscale-metric", "requests-per-second", "--autoscale-target", "5", "--metrics-port", "80"));
    assertUsageError("--metrics-port is required with --autoscale-metric concurrency: there is no --port",
        with(inf, "--autoscale-metric", "concurrency", "--autoscale-target", "5", "--metrics-series", "x"));
    assertUsageError("--metrics-series, --metrics-port and --metrics-path apply to concurrency and"
        + " requests-per-second only", with(inf, "--autoscale-metric", "gpu-utilization", "--autoscale-target", "70",
        "--metrics-series", "x"));
    assertUsageError("--metrics-series must be a Prometheus series such as name or name{label=\"value\"}",
        with(inf, "--autoscale-metric", "concurrency", "--autoscale-target", "5", "--metrics-series", "rate(x[1m])"));
    assertUsageError("--scale-down-after must be a duration such as 90s, 5m or 1h30m, was '5 min'",
        with(inf, "--autoscale-metric", "gpu-utilization", "--autoscale-target", "70", "--scale-down-after", "5 min"));
    assertUsageError("--metrics-port must be between 1 and 65535, was 0", with(inf, "--metrics-port", "0"));
    assertUsageError("--metrics-path must start with /, was 'metrics'", with(inf, "--metrics-path", "metrics"));
    assertUsageError("--autoscale-metric applies to inference only",
        "submit", "trn", "bad", "-p", "bad", "--image", "x", "--autoscale-metric", "concurrency");
    assertTrue(client.resources(InferenceResource.class).inNamespace("bad").list().getItems().isEmpty(),
        "nothing is created on a usage error");
  }

  private static String[] with(String[] base, String... more) {
    String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return all;
  }

  @Test
  void badValuesExitWithTwoAndNameTheField() {
    assertUsageError("--gpu-fraction must be between 0 and 1 (exclusive), was 1.5",
        "submit", "trn", "bad", "-p", "bad", "--image", "x", "--gpu-fraction", "1.5");
    assertUsageError("--gpu, --gpu-fraction and --gpu-memory exclude each other",
        "submit", "trn", "bad", "-p", "bad", "--image", "x", "--gpu", "1", "--gpu-memory", "100");
    assertUsageError("--workers applies to distributed-training only",
        "submit", "trn", "bad", "-p", "bad", "--image", "x", "--workers", "2");
    assertUsageError("--workers fixes the size and --min-workers/--max-workers make it elastic",
        "submit", "dtrn", "bad", "-p", "bad", "--image", "x", "--workers", "2", "--min-workers", "1",
        "--max-workers", "2");
    assertUsageError("an elastic training needs both --min-workers and --max-workers",
        "submit", "dtrn", "bad", "-p", "bad", "--image", "x", "--min-workers", "1");
    assertUsageError("--max-workers (1) must be at least --min-workers (2)",
        "submit", "dtrn", "bad", "-p", "bad", "--image", "x", "--min-workers", "2", "--max-workers", "1");
    assertUsageError("--framework must be one of pytorch, tensorflow, mpi, was 'jax'",
        "submit", "dtrn", "bad", "-p", "bad", "--image", "x", "--framework", "jax");
    assertUsageError("--max-replicas must be at least --min-replicas (3), was 2",
        "submit", "inf", "bad", "-p", "bad", "--image", "x", "--min-replicas", "3", "--max-replicas", "2");
    assertUsageError("--gpu-fraction-limit must be at least --gpu-fraction (0.5), was 0.3",
        "submit", "trn", "bad", "-p", "bad", "--image", "x", "--gpu-fraction", "0.5", "--gpu-fraction-limit", "0.3");
    assertUsageError("--gpu-devices needs --gpu-fraction or --gpu-memory",
        "submit", "trn", "bad", "-p", "bad", "--image", "x", "--gpu", "1", "--gpu-devices", "2");
    assertUsageError("--memory must be a quantity like 500m, 2 or 8Gi, was 'lots'",
        "submit", "trn", "bad", "-p", "bad", "--image", "x", "--memory", "lots");
    assertUsageError("--pvc must be NAME:CLAIM:/MOUNT or NAME:CLAIM:/MOUNT:ro, was 'data:/data'",
        "submit", "trn", "bad", "-p", "bad", "--image", "x", "--pvc", "data:/data");
    assertUsageError("--port must be NAME:PORT or NAME:PORT:NodePort with PORT 1-65535, was 'http:99999'",
        "submit", "trn", "bad", "-p", "bad", "--image", "x", "--port", "http:99999");
    assertUsageError("--preemptible", "submit", "trn", "bad", "-p", "bad", "--image", "x", "--preemptible", "maybe");
    assertUsageError("--gpu", "submit", "trn", "bad", "-p", "bad", "--image", "x", "--gpu", "two");
    assertUsageError("KIND must be workspace (ws), training (trn), distributed-training (dtrn) or inference (inf),"
        + " was 'job'", "submit", "job", "bad", "-p", "bad", "--image", "x");
    assertUsageError("--image is required", "submit", "trn", "bad", "-p", "bad");
    assertUsageError("NAME must be a lowercase DNS label", "submit", "trn", "Bad_Name", "-p", "bad", "--image", "x");
    assertTrue(client.resources(TrainingResource.class).inNamespace("bad").list().getItems().isEmpty(),
        "nothing is created on a usage error");
  }

  private void assertUsageError(String expected, String... args) {
    CliRun.Result result = tessera(args);
    assertEquals(2, result.exit(), result::toString);
    assertTrue(result.err().contains(expected), () -> "expected '" + expected + "' in\n" + result);
  }

  @Test
  void theApiServersRefusalIsShownWithItsMessage() {
    assertEquals(0, tessera("submit", "trn", "twice", "-p", "dup", "--image", "x").exit());
    CliRun.Result again = tessera("submit", "trn", "twice", "-p", "dup", "--image", "x");
    assertEquals(1, again.exit(), again::toString);
    assertTrue(again.err().contains("tessera: Training 'twice' already exists (HTTP 409)"),
        again::toString);
  }

  /** What the admission webhook answers goes to the user as the error, word for word. */
  @Test
  void anAdmissionRefusalIsTheError() {
    String denied = "admission webhook \"workloads.tessera.dev\" denied the request: Training t1 is rejected by"
        + " workload policy ml-limits: gpu.count 4 is more than the policy's maximum of 2";
    api.expect().post().withPath("/apis/tessera.dev/v1alpha1/namespaces/ml/trainings")
        .andReturn(422, status(422, "Invalid", denied)).once();
    CliRun.Result result = tessera("submit", "trn", "t1", "-p", "ml", "--image", "x", "--gpu", "4");
    assertEquals(1, result.exit(), result::toString);
    assertEquals("tessera: " + denied + " (HTTP 422)", result.err().strip(), result::toString);

    String exists = "admission webhook \"workloads.tessera.dev\" denied the request: Training t2 cannot be created:"
        + " Workspace t2 exists in project ml and workloads share their pods' names";
    api.expect().post().withPath("/apis/tessera.dev/v1alpha1/namespaces/ml/trainings")
        .andReturn(409, status(409, "AlreadyExists", exists)).once();
    CliRun.Result clash = tessera("submit", "trn", "t2", "-p", "ml", "--image", "x");
    assertEquals(1, clash.exit(), clash::toString);
    assertEquals("tessera: " + exists + " (HTTP 409)", clash.err().strip(), clash::toString);

    assertEquals(0, tessera("submit", "trn", "t3", "-p", "ml", "--image", "x").exit());
    String forbidden = "admission webhook \"workloads.tessera.dev\" denied the request: project ml is frozen";
    api.expect().patch().withPath("/apis/tessera.dev/v1alpha1/namespaces/ml/trainings/t3")
        .andReturn(403, status(403, "Forbidden", forbidden)).once();
    CliRun.Result run = tessera("run", "trn", "t3", "-p", "ml");
    assertEquals(1, run.exit(), run::toString);
    assertEquals("tessera: " + forbidden + " (HTTP 403)", run.err().strip(), run::toString);
  }

  private static String status(int code, String reason, String message) {
    return "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\""
        + message.replace("\"", "\\\"") + "\",\"reason\":\"" + reason + "\",\"code\":" + code + "}";
  }

  @Test
  void aManifestWithFlagsOverIt(@TempDir Path dir) throws Exception {
    Path manifest = dir.resolve("dtrn.yaml");
    Files.writeString(manifest, String.join("\n",
        "apiVersion: tessera.dev/v1alpha1",
        "kind: DistributedTraining",
        "metadata:",
        "  name: bert",
        "  namespace: nlp",
        "  labels:",
        "    team: nlp",
        "spec:",
        "  image: tensorflow:2.16",
        "  framework: tensorflow",
        "  workers: 2",
        "  gpu:",
        "    count: 1",
        "  env:",
        "    A: '1'",
        ""));
    CliRun.Result result = tessera("submit", "-f", manifest.toString(), "--gpu", "4", "-e", "B=2");
    assertEquals(0, result.exit(), result::toString);
    DistributedTrainingResource created =
        client.resources(DistributedTrainingResource.class).inNamespace("nlp").withName("bert").get();
    assertEquals("nlp", created.getMetadata().getLabels().get("team"));
    assertEquals("tensorflow", created.getSpec().framework());
    assertEquals(2, created.getSpec().workers());
    assertEquals(4, created.getSpec().gpu().count());
    assertEquals(Map.of("A", "1", "B", "2"), created.getSpec().env());

    CliRun.Result wrongKind = tessera("submit", "trn", "-f", manifest.toString());
    assertEquals(2, wrongKind.exit(), wrongKind::toString);
    assertTrue(wrongKind.err().contains("KIND is training but"), wrongKind::toString);
  }
}
