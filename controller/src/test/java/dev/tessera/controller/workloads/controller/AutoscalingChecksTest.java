package dev.tessera.controller.workloads.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.api.workloads.InferenceSpec;
import dev.tessera.api.workloads.InferenceSpec.Autoscaling;
import dev.tessera.api.workloads.WorkloadSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class AutoscalingChecksTest {
  private static final List<WorkloadSpec.Connection> HTTP = List.of(new WorkloadSpec.Connection("http", 8000, null));

  private static InferenceSpec inference(List<WorkloadSpec.Connection> connections, Autoscaling autoscaling) {
    return new InferenceSpec("vllm/vllm-openai:v0.6.3", null, null, null, null, null, null, null, null, null, null,
        null, null, connections, null, 1, 4, autoscaling);
  }

  private static List<String> problems(List<WorkloadSpec.Connection> connections, Autoscaling autoscaling) {
    return AutoscalingChecks.problems(inference(connections, autoscaling));
  }

  @Test
  void whatScalesAsWrittenHasNoProblem() {
    assertEquals(List.of(), problems(null, null));
    assertEquals(List.of(), problems(null, Autoscaling.onGpus(100, "5m")));
    assertEquals(List.of(), problems(HTTP, new Autoscaling("concurrency", 4, null, null, null,
        "vllm:num_requests_running")));
    assertEquals(List.of(), problems(null, new Autoscaling("requests-per-second", 500, "30s", 9090, "/stats",
        "nv_inference_request_success{model=\"resnet\"}")));
  }

  @Test
  void theMetricAndTargetAreRequiredAndInRange() {
    assertEquals(List.of("spec.autoscaling.metric is required: one of gpu-utilization, concurrency,"
            + " requests-per-second", "spec.autoscaling.target is required: the load per replica to hold"),
        problems(HTTP, new Autoscaling(null, null, null, null, null, null)));
    assertEquals(List.of("spec.autoscaling.metric must be one of gpu-utilization, concurrency, requests-per-second,"
            + " was memory"), problems(HTTP, new Autoscaling("memory", 50, null, null, null, null)));
    assertEquals(List.of("spec.autoscaling.target is a percentage for gpu-utilization: at most 100, was 101"),
        problems(HTTP, Autoscaling.onGpus(101, null)));
    assertEquals(List.of("spec.autoscaling.target must be at least 1, was 0"),
        problems(HTTP, new Autoscaling("concurrency", 0, null, null, null, "x")));
    assertEquals(List.of(), problems(HTTP, new Autoscaling("concurrency", 1000, null, null, null, "x")),
        "requests have no upper bound");
    assertEquals(List.of("spec.autoscaling.scaleDownAfter must be a duration such as 90s, 5m or 1h30m, was 5 min"),
        problems(HTTP, Autoscaling.onGpus(70, "5 min")));
  }

  @Test
  void requestMetricsNeedASeriesAndAPort() {
    assertEquals(List.of("spec.autoscaling.series is required for requests-per-second: the Prometheus series each"
            + " replica serves, e.g. vllm:request_success_total (vLLM) or nv_inference_request_success (Triton),"
            + " a counter",
            "spec.autoscaling.port is required for requests-per-second: the inference has no connection whose port"
            + " its replicas' metrics could be read on"),
        problems(null, new Autoscaling("requests-per-second", 10, null, null, null, " ")));
    assertEquals(List.of("spec.autoscaling.series is not a Prometheus series such as name or name{label=\"value\"}:"
            + " the label matchers are not label=\"value\" pairs in braces; was x{code=~\"2..\"}"),
        problems(HTTP, new Autoscaling("concurrency", 4, null, null, null, "x{code=~\"2..\"}")));
    assertEquals(List.of("spec.autoscaling.port must be 1 to 65535, was 70000"),
        problems(HTTP, new Autoscaling("concurrency", 4, null, 70000, null, "x")));
    assertEquals(List.of("spec.autoscaling.path must be an absolute URL path such as /metrics, was metrics",
            "spec.autoscaling.path must be an absolute URL path such as /metrics, was /a b"),
        List.of(problems(HTTP, new Autoscaling("concurrency", 4, null, null, "metrics", "x")).get(0),
            problems(HTTP, new Autoscaling("concurrency", 4, null, null, "/a b", "x")).get(0)));
  }

  @Test
  void gpuUtilizationTakesNoEndpoint() {
    assertEquals(List.of("spec.autoscaling.port, series only apply to concurrency and requests-per-second:"
            + " gpu-utilization comes from the node agents"),
        problems(HTTP, new Autoscaling("gpu-utilization", 70, null, 8000, null, "x")));
  }

  @Test
  void theMetricsPortIsTheFirstConnectionsUnlessGiven() {
    assertEquals(8000, inference(HTTP, new Autoscaling("concurrency", 4, null, null, null, "x")).metricsPort());
    assertEquals(9090, inference(HTTP, new Autoscaling("concurrency", 4, null, 9090, null, "x")).metricsPort());
    assertEquals(null, inference(null, new Autoscaling("concurrency", 4, null, null, null, "x")).metricsPort());
  }
}
