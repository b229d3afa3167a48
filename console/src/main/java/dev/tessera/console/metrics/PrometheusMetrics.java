package dev.tessera.console.metrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * A workload's metrics from Prometheus: GPU use from the Tessera node agents' dcgm-exporter-named
 * series, CPU and memory from the kubelets' cAdvisor series. Four range queries per request, sent
 * together.
 *
 * <p>The node agents' series must keep their own {@code pod}, {@code namespace} and {@code
 * Hostname} labels ({@code honor_labels: true} in the scrape job, as for dcgm-exporter): with the
 * target's labels in their place, only the GPUs the {@link GpuLookup} knows are found.
 */
public final class PrometheusMetrics implements WorkloadMetrics {
  public static final String SOURCE = "prometheus";
  private static final double MIB = 1024 * 1024;

  static final String NO_PODS = "the workload has no pods to measure";
  static final String NO_CPU_SERIES = "Prometheus has no " + PromQl.CPU_SECONDS + " series for these pods in the"
      + " period: check that it scrapes the kubelets' cAdvisor metrics (/metrics/cadvisor)";
  static final String NO_MEMORY_SERIES = "Prometheus has no " + PromQl.MEMORY_WORKING_SET + " series for these pods"
      + " in the period: check that it scrapes the kubelets' cAdvisor metrics (/metrics/cadvisor)";
  static final String NO_CPU_REQUEST = "the pods measured request no CPU (resources.requests.cpu), so there is"
      + " nothing their CPU use is a share of";
  static final String NO_MEMORY_LIMIT = "the pods measured set no memory limit or request (resources.limits.memory),"
      + " so there is nothing their memory use is a share of";

  static String noGpuSeries(String name) {
    return "Prometheus has no " + name + " series for the GPUs of these pods in the period: a workload without"
        + " GPUs has none; otherwise check that Prometheus scrapes the Tessera node agents (port 9400) and keeps"
        + " their pod and namespace labels (honor_labels: true)";
  }

  private final PrometheusClient client;
  private final GpuLookup gpus;
  private final Duration minRateWindow;

  /** Prometheus as {@code config} says, over a client of its own that connects within the timeout. */
  public PrometheusMetrics(PrometheusConfig config, GpuLookup gpus) {
    this(config, HttpClient.newBuilder().connectTimeout(config.timeout()).build(), gpus);
  }

  /**
   * @param http the client to query with (its executor and proxy settings are used as they are)
   * @param gpus which GPUs each pod holds: how a whole-GPU pod's GPUs are found
   */
  public PrometheusMetrics(PrometheusConfig config, HttpClient http, GpuLookup gpus) {
    this.client = new PrometheusClient(config, http, new ObjectMapper());
    this.gpus = Objects.requireNonNull(gpus, "gpus");
    this.minRateWindow = config.minRateWindow();
  }

  @Override
  public MetricsResult query(MetricsRequest request) {
    PodSelection pods = PodSelection.of(request.pods(), gpus);
    Map<String, String> unavailable = new LinkedHashMap<>();
    if (pods.isEmpty()) {
      MetricNames.ALL.forEach(metric -> unavailable.put(metric, NO_PODS));
      return new MetricsResult(SOURCE, List.of(), unavailable);
    }
    Duration window = request.step().compareTo(minRateWindow) > 0 ? request.step() : minRateWindow;
    List<CompletableFuture<List<QueryRangeResponse.RawSeries>>> sent = List.of(
        send(PromQl.gpus(PromQl.GPU_UTIL, pods), request),
        send(PromQl.gpus(PromQl.FB_USED_MIB, pods), request),
        send(PromQl.cpuCoresByPod(pods, window), request),
        send(PromQl.memoryBytesByPod(pods), request));
    List<List<QueryRangeResponse.RawSeries>> answers = await(sent);

    List<Series> series = new ArrayList<>();
    List<Series> busy = gpuLines(MetricNames.GPU_UTILIZATION, answers.get(0), 1, pods);
    series.addAll(busy);
    if (busy.isEmpty()) {
      unavailable.put(MetricNames.GPU_UTILIZATION, noGpuSeries(PromQl.GPU_UTIL));
    } else {
      series.add(new Series(MetricNames.GPU_UTILIZATION, Map.of("aggregate", "average"),
          Combine.average(busy.stream().map(Series::points).toList())));
    }
    List<Series> memory = gpuLines(MetricNames.GPU_MEMORY_USED, answers.get(1), MIB, pods);
    series.addAll(memory);
    if (memory.isEmpty()) {
      unavailable.put(MetricNames.GPU_MEMORY_USED, noGpuSeries(PromQl.FB_USED_MIB));
    }

    Map<PodSelection.PodName, List<Series.Point>> cores = byPod(answers.get(2));
    List<Series.Point> cpuShare = Combine.percentOfCapacity(cores, pod -> pods.cpuRequestMillis(pod) / 1000.0);
    if (cores.isEmpty()) {
      unavailable.put(MetricNames.CPU_UTILIZATION, NO_CPU_SERIES);
    } else if (cpuShare.isEmpty()) {
      unavailable.put(MetricNames.CPU_UTILIZATION, NO_CPU_REQUEST);
    } else {
      series.add(new Series(MetricNames.CPU_UTILIZATION, Map.of(), cpuShare));
    }
    Map<PodSelection.PodName, List<Series.Point>> bytes = byPod(answers.get(3));
    List<Series.Point> memoryShare = Combine.percentOfCapacity(bytes, pod -> (double) pods.memoryLimitBytes(pod));
    if (bytes.isEmpty()) {
      unavailable.put(MetricNames.CPU_MEMORY_USAGE, NO_MEMORY_SERIES);
      unavailable.put(MetricNames.CPU_MEMORY_UTILIZATION, NO_MEMORY_SERIES);
    } else {
      series.add(new Series(MetricNames.CPU_MEMORY_USAGE, Map.of(), Combine.sum(bytes.values(), 1)));
      if (memoryShare.isEmpty()) {
        unavailable.put(MetricNames.CPU_MEMORY_UTILIZATION, NO_MEMORY_LIMIT);
      } else {
        series.add(new Series(MetricNames.CPU_MEMORY_UTILIZATION, Map.of(), memoryShare));
      }
    }
    return new MetricsResult(SOURCE, series, unavailable);
  }

  private CompletableFuture<List<QueryRangeResponse.RawSeries>> send(String query, MetricsRequest request) {
    return client.queryRange(query, request.start(), request.end(), request.step());
  }

  /** Every answer, or the first query's failure once all are in: none is left running behind. */
  private static <T> List<T> await(List<CompletableFuture<T>> sent) {
    try {
      CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      sent.forEach(future -> future.cancel(true));
      throw new MetricsUnavailableException("interrupted while waiting for Prometheus", e);
    } catch (ExecutionException e) {
      // One failed; the first failure in the order sent is the one to tell, below.
    }
    List<T> answers = new ArrayList<>(sent.size());
    for (CompletableFuture<T> future : sent) {
      try {
        answers.add(future.join());
      } catch (CompletionException e) {
        throw e.getCause() instanceof MetricsUnavailableException unavailable
            ? unavailable
            : new MetricsUnavailableException("the query to Prometheus failed: " + e.getCause(), e.getCause());
      }
    }
    return answers;
  }

  /** One line per GPU, in node and index order, labelled as {@link Series} says. */
  private static List<Series> gpuLines(
      String metric, List<QueryRangeResponse.RawSeries> found, double scale, PodSelection pods) {
    List<Series> lines = new ArrayList<>();
    for (QueryRangeResponse.RawSeries raw : found) {
      if (raw.points().isEmpty()) {
        continue;
      }
      Map<String, String> labels = new HashMap<>();
      copy(raw.labels(), "Hostname", labels, "node");
      copy(raw.labels(), "gpu", labels, "gpu");
      copy(raw.labels(), "UUID", labels, "uuid");
      copy(raw.labels(), "modelName", labels, "model");
      index(labels.get("gpu"))
          .flatMap(gpu -> labels.containsKey("node") ? pods.soleHolder(labels.get("node"), gpu) : Optional.empty())
          .ifPresent(pod -> labels.put("pod", pod));
      List<Series.Point> points = scale == 1 ? raw.points() : raw.points().stream()
          .map(p -> new Series.Point(p.time(), p.value() * scale)).toList();
      lines.add(new Series(metric, labels, points));
    }
    lines.sort(Comparator.comparing((Series s) -> s.labels().getOrDefault("node", ""))
        .thenComparing(s -> index(s.labels().get("gpu")).orElse(Integer.MAX_VALUE)));
    return lines;
  }

  private static void copy(Map<String, String> from, String name, Map<String, String> to, String as) {
    String value = from.get(name);
    if (value != null && !value.isEmpty()) {
      to.put(as, value);
    }
  }

  private static Optional<Integer> index(String gpu) {
    try {
      return gpu == null ? Optional.empty() : Optional.of(Integer.parseInt(gpu));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static Map<PodSelection.PodName, List<Series.Point>> byPod(List<QueryRangeResponse.RawSeries> found) {
    Map<PodSelection.PodName, List<Series.Point>> lines = new HashMap<>();
    for (QueryRangeResponse.RawSeries raw : found) {
      if (!raw.points().isEmpty()) {
        lines.put(new PodSelection.PodName(
            raw.labels().getOrDefault("namespace", ""), raw.labels().getOrDefault("pod", "")), raw.points());
      }
    }
    return lines;
  }
}
