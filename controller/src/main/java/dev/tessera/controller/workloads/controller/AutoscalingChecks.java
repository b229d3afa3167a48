package dev.tessera.controller.workloads.controller;

import dev.tessera.api.syntax.Durations;
import dev.tessera.api.syntax.SeriesSelector;
import dev.tessera.api.workloads.InferenceSpec;
import dev.tessera.api.workloads.InferenceSpec.Autoscaling;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * What keeps an Inference's {@code spec.autoscaling} from working, found before it runs: the
 * admission webhook refuses with it (through {@link WorkloadController#specProblems}), and the
 * controller fails an inference that got past it rather than leave it at its minimum, silently
 * unscaled. The CRD's schema says most of it too; this says it to clusters without the schema's
 * rules and names the fix.
 */
final class AutoscalingChecks {
  private static final String WHERE = "spec.autoscaling.";

  private AutoscalingChecks() {}

  /** One sentence per problem; empty when it scales as written, or has no autoscaling. */
  static List<String> problems(InferenceSpec spec) {
    List<String> problems = new ArrayList<>();
    Autoscaling autoscaling = spec == null ? null : spec.autoscaling();
    if (autoscaling == null) {
      return problems;
    }
    String metric = autoscaling.metric();
    if (metric == null) {
      problems.add(WHERE + "metric is required: one of " + String.join(", ", InferenceSpec.METRICS));
    } else if (!InferenceSpec.METRICS.contains(metric)) {
      problems.add(WHERE + "metric must be one of " + String.join(", ", InferenceSpec.METRICS) + ", was " + metric);
    }
    Integer target = autoscaling.target();
    if (target == null) {
      problems.add(WHERE + "target is required: the load per replica to hold");
    } else if (target < 1) {
      problems.add(WHERE + "target must be at least 1, was " + target);
    } else if (InferenceSpec.GPU_UTILIZATION.equals(metric) && target > 100) {
      problems.add(WHERE + "target is a percentage for gpu-utilization: at most 100, was " + target);
    }
    if (autoscaling.scaleDownAfter() != null && Durations.parse(autoscaling.scaleDownAfter()).isEmpty()) {
      problems.add(WHERE + "scaleDownAfter must be a duration such as 90s, 5m or 1h30m, was "
          + autoscaling.scaleDownAfter());
    }
    if (autoscaling.scraped()) {
      endpointProblems(spec, autoscaling, problems);
    } else if (metric != null && InferenceSpec.METRICS.contains(metric)) {
      List<String> given = new ArrayList<>();
      if (autoscaling.port() != null) {
        given.add("port");
      }
      if (autoscaling.path() != null) {
        given.add("path");
      }
      if (autoscaling.series() != null) {
        given.add("series");
      }
      if (!given.isEmpty()) {
        problems.add(WHERE + String.join(", ", given) + " only apply to " + InferenceSpec.CONCURRENCY + " and "
            + InferenceSpec.REQUESTS_PER_SECOND + ": " + metric + " comes from the node agents");
      }
    }
    return problems;
  }

  /** Where the replicas' request metrics are read: a series, a port, a path. */
  private static void endpointProblems(InferenceSpec spec, Autoscaling autoscaling, List<String> problems) {
    String metric = autoscaling.metric();
    if (autoscaling.series() == null || autoscaling.series().isBlank()) {
      problems.add(WHERE + "series is required for " + metric + ": the Prometheus series each replica serves, e.g. "
          + (InferenceSpec.CONCURRENCY.equals(metric)
              ? "vllm:num_requests_running (vLLM) or nv_inference_pending_request_count (Triton)"
              : "vllm:request_success_total (vLLM) or nv_inference_request_success (Triton), a counter"));
    } else {
      try {
        SeriesSelector.parse(autoscaling.series());
      } catch (IllegalArgumentException e) {
        problems.add(WHERE + "series is not a Prometheus series such as name or name{label=\"value\"}: "
            + e.getMessage() + "; was " + autoscaling.series());
      }
    }
    Integer port = autoscaling.port();
    if (port != null && (port < 1 || port > 65535)) {
      problems.add(WHERE + "port must be 1 to 65535, was " + port);
    } else if (spec.metricsPort() == null) {
      problems.add(WHERE + "port is required for " + metric + ": the inference has no connection whose port its"
          + " replicas' metrics could be read on");
    }
    String path = autoscaling.path();
    if (path != null && !validPath(path)) {
      problems.add(WHERE + "path must be an absolute URL path such as " + InferenceSpec.DEFAULT_METRICS_PATH
          + ", was " + path);
    }
  }

  private static boolean validPath(String path) {
    if (!path.startsWith("/") || path.startsWith("//")) {
      return false;
    }
    try {
      URI uri = URI.create("http://127.0.0.1:1" + path);
      return uri.getFragment() == null;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
