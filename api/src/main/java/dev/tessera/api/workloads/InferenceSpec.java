package dev.tessera.api.workloads;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tessera.api.workloads.WorkloadSpec.Connection;
import dev.tessera.api.workloads.WorkloadSpec.DataSource;
import dev.tessera.api.workloads.WorkloadSpec.GpuSpec;
import java.util.List;
import java.util.Map;

/**
 * An Inference's spec: the {@link WorkloadSpec} fields repeated (so users write them flat; records
 * cannot inherit or unwrap) plus the replica range. The common fields apply to every replica.
 *
 * @param minReplicas replicas kept running, at least 1 (default 1)
 * @param maxReplicas replicas it may scale to, at least {@code minReplicas} (default {@code
 *     minReplicas})
 * @param autoscaling how it scales between the two; without it, it runs {@code minReplicas}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InferenceSpec(
    String image,
    List<String> command,
    List<String> args,
    Map<String, String> env,
    GpuSpec gpu,
    String cpu,
    String cpuLimit,
    String memory,
    String memoryLimit,
    List<String> nodePools,
    String priorityClassName,
    Boolean preemptible,
    List<DataSource> dataSources,
    List<Connection> connections,
    Boolean stopped,
    Integer minReplicas,
    Integer maxReplicas,
    Autoscaling autoscaling) {

  /** The replicas' GPUs, as the node agents measure them. */
  public static final String GPU_UTILIZATION = "gpu-utilization";
  /** Requests in flight, read from each replica's own metrics endpoint. */
  public static final String CONCURRENCY = "concurrency";
  /** The rate of a request counter, read from each replica's own metrics endpoint. */
  public static final String REQUESTS_PER_SECOND = "requests-per-second";
  /** The values {@code autoscaling.metric} may take, in the CRD's order. */
  public static final List<String> METRICS = List.of(GPU_UTILIZATION, CONCURRENCY, REQUESTS_PER_SECOND);
  /** Where Prometheus servers, vLLM and Triton among them, serve their metrics. */
  public static final String DEFAULT_METRICS_PATH = "/metrics";

  /**
   * Scaling on a metric.
   *
   * @param metric what is measured: {@value #GPU_UTILIZATION} (the average of each replica's
   *     busiest GPU), {@value #CONCURRENCY} (requests in flight, summed over the ready replicas) or
   *     {@value #REQUESTS_PER_SECOND} (the rate of a request counter, summed over them)
   * @param target the value to hold: percent for GPU utilisation (1-100); requests in flight, or
   *     requests per second, per replica for the others (at least 1)
   * @param scaleDownAfter how long fewer replicas must suffice before they go, e.g. 5m (default);
   *     an idle inference goes to {@code minReplicas} after it
   * @param port for the request metrics: the port each replica serves its metrics on; null for
   *     the first connection's port
   * @param path for the request metrics: the path of the Prometheus text page (default {@value
   *     #DEFAULT_METRICS_PATH})
   * @param series for the request metrics, required: the Prometheus series to read, a name with
   *     optional label matchers, e.g. {@code vllm:num_requests_running} or {@code
   *     http_requests_total{code="200"}}; samples that match are summed
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Autoscaling(
      String metric, Integer target, String scaleDownAfter, Integer port, String path, String series) {

    /** GPU utilisation with its target and delay: the metric that needs no endpoint. */
    public static Autoscaling onGpus(int target, String scaleDownAfter) {
      return new Autoscaling(GPU_UTILIZATION, target, scaleDownAfter, null, null, null);
    }

    /** Whether the metric is read from the replicas' own endpoints rather than the node agents. */
    public boolean scraped() {
      return CONCURRENCY.equals(metric) || REQUESTS_PER_SECOND.equals(metric);
    }

    /** {@code path}, or {@value #DEFAULT_METRICS_PATH}. */
    public String pathOrDefault() {
      return path == null || path.isEmpty() ? DEFAULT_METRICS_PATH : path;
    }
  }

  /**
   * The port the replicas serve their request metrics on: {@code autoscaling.port}, else the first
   * connection's (a server such as vLLM serves its metrics beside its API); null when neither is
   * set.
   */
  public Integer metricsPort() {
    if (autoscaling != null && autoscaling.port() != null) {
      return autoscaling.port();
    }
    if (connections == null) {
      return null;
    }
    return connections.stream().filter(c -> c != null && c.port() != null).map(Connection::port).findFirst()
        .orElse(null);
  }

  /** The fields every workload kind has. */
  public WorkloadSpec workload() {
    return new WorkloadSpec(image, command, args, env, gpu, cpu, cpuLimit, memory, memoryLimit, nodePools,
        priorityClassName, preemptible, dataSources, connections, stopped);
  }
}
