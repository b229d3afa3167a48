package dev.tessera.console.metrics;

import dev.tessera.extender.telemetry.ReportListener;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A workload's GPU metrics from the node agents' reports, recorded in process: for the embedded
 * demo and for a cluster without Prometheus. It hears them as a {@link ReportListener}: of the
 * extender's {@code AgentReports} where the extender runs in the same process, else of an {@link
 * AgentScraper} reading the agents' {@code /metrics} pages.
 *
 * <p>It keeps, for each GPU that reported within the retention, a ring of the latest {@code
 * retention / reportInterval + 1} samples at 17 bytes each,
 * allocated when the GPU first reports: 1441 samples, about 24 KiB per GPU, for the default two
 * hours at the default five-second interval (about 19 MiB for 100 nodes of 8 GPUs). Agents that
 * report more often than the interval fill their ring sooner and so cover less time. A GPU that
 * stays silent for the retention is forgotten.
 *
 * <p>Reports carry no CPU or memory use of pods, so those metrics are unavailable here.
 */
public final class ReportRecorder implements WorkloadMetrics, ReportListener {
  public static final String SOURCE = "recorder";
  public static final Duration DEFAULT_RETENTION = Duration.ofHours(2);
  /** Beyond this a ring is a misconfiguration (a week at a second), not a history. */
  static final int MAX_SAMPLES_PER_GPU = 7 * 24 * 3600;

  static final String NO_PROMETHEUS = "no Prometheus configured (--prometheus-url): CPU metrics come from the"
      + " kubelet's cAdvisor series";
  static final String NO_PODS = "the workload has no pods to measure";
  static final String NO_GPUS_KNOWN = "none of these pods holds a GPU, as far as the extender knows their GPU"
      + " assignments";

  private final Clock clock;
  private final Duration retention;
  private final Duration reportInterval;
  private final GpuLookup gpus;
  private final int capacity;
  private final Map<PodSelection.NodeGpu, SampleRing> rings = new ConcurrentHashMap<>();
  /** When, by the clock, the next report looks for GPUs silent for the retention. */
  private final AtomicLong nextPrune;

  /**
   * @param retention how far back samples are kept, at the report interval
   * @param reportInterval how often agents report (the extender's {@code ReportConfig.interval()}, or
   *     the scraper's period)
   * @param gpus which GPUs each pod holds on its node
   */
  public ReportRecorder(Clock clock, Duration retention, Duration reportInterval, GpuLookup gpus) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.retention = Objects.requireNonNull(retention, "retention");
    this.reportInterval = Objects.requireNonNull(reportInterval, "reportInterval");
    this.gpus = Objects.requireNonNull(gpus, "gpus");
    if (reportInterval.compareTo(Duration.ofMillis(1)) < 0 || retention.compareTo(reportInterval) < 0) {
      throw new IllegalArgumentException("the retention (" + retention + ") must hold at least one report"
          + " interval (" + reportInterval + "), which must be positive");
    }
    long samples = retention.toMillis() / reportInterval.toMillis() + 1;
    if (samples > MAX_SAMPLES_PER_GPU) {
      throw new IllegalArgumentException("a retention of " + retention + " at " + reportInterval + " is " + samples
          + " samples per GPU; at most " + MAX_SAMPLES_PER_GPU + " are kept");
    }
    this.capacity = (int) samples;
    this.nextPrune = new AtomicLong(clock.millis() + pruneEvery());
  }

  /** A recorder keeping the last {@link #DEFAULT_RETENTION}. */
  public ReportRecorder(Clock clock, Duration reportInterval, GpuLookup gpus) {
    this(clock, DEFAULT_RETENTION, reportInterval, gpus);
  }

  /** Called on the reports' gRPC threads: a few array writes per GPU, under that GPU's lock. */
  @Override
  public void accepted(String node, Instant at, List<GpuReading> readings) {
    long millis = at.toEpochMilli();
    for (GpuReading reading : readings) {
      // compute, not computeIfAbsent: a prune cannot then drop a ring between its lookup and this write.
      rings.compute(new PodSelection.NodeGpu(node, reading.index()), (gpu, ring) -> {
        SampleRing kept = ring == null ? new SampleRing(capacity) : ring;
        kept.add(millis, reading.uuid(), reading.model(), reading.utilizationPercent(), reading.memoryUsedBytes());
        return kept;
      });
    }
    pruneIfDue();
  }

  @Override
  public MetricsResult query(MetricsRequest request) {
    Map<String, String> unavailable = new LinkedHashMap<>();
    unavailable.put(MetricNames.CPU_UTILIZATION, NO_PROMETHEUS);
    unavailable.put(MetricNames.CPU_MEMORY_USAGE, NO_PROMETHEUS);
    unavailable.put(MetricNames.CPU_MEMORY_UTILIZATION, NO_PROMETHEUS);
    PodSelection pods = PodSelection.of(request.pods(), gpus);
    String noGpuLines = pods.isEmpty() ? NO_PODS : pods.gpusByNode().isEmpty() ? NO_GPUS_KNOWN : noReports();

    Duration lookback = lookback(request.step());
    long from = request.start().minus(lookback).toEpochMilli();
    List<Series> busy = new ArrayList<>();
    List<Series> memory = new ArrayList<>();
    for (Map.Entry<String, SortedSet<Integer>> node : pods.gpusByNode().entrySet()) {
      for (int index : node.getValue()) {
        SampleRing ring = rings.get(new PodSelection.NodeGpu(node.getKey(), index));
        if (ring == null) {
          continue;
        }
        SampleRing.Samples samples = ring.since(from);
        Map<String, String> labels = new HashMap<>();
        labels.put("node", node.getKey());
        labels.put("gpu", Integer.toString(index));
        labels.put("model", samples.model());
        if (samples.uuid() != null) {
          labels.put("uuid", samples.uuid());
        }
        pods.soleHolder(node.getKey(), index).ifPresent(pod -> labels.put("pod", pod));
        List<Series.Point> busyPoints = Resampler.resample(samples.millis(),
            i -> samples.busy()[i] < 0 ? Double.NaN : samples.busy()[i],
            request.start(), request.end(), request.step(), lookback);
        List<Series.Point> usedPoints = Resampler.resample(samples.millis(), i -> samples.usedBytes()[i],
            request.start(), request.end(), request.step(), lookback);
        if (!busyPoints.isEmpty()) {
          busy.add(new Series(MetricNames.GPU_UTILIZATION, labels, busyPoints));
        }
        if (!usedPoints.isEmpty()) {
          memory.add(new Series(MetricNames.GPU_MEMORY_USED, labels, usedPoints));
        }
      }
    }
    List<Series> series = new ArrayList<>(busy);
    if (busy.isEmpty()) {
      unavailable.put(MetricNames.GPU_UTILIZATION, noGpuLines);
    } else {
      series.add(new Series(MetricNames.GPU_UTILIZATION, Map.of("aggregate", "average"),
          Combine.average(busy.stream().map(Series::points).toList())));
    }
    series.addAll(memory);
    if (memory.isEmpty()) {
      unavailable.put(MetricNames.GPU_MEMORY_USED, noGpuLines);
    }
    return new MetricsResult(SOURCE, series, unavailable);
  }

  /**
   * How old the last sample before a step may be and still stand for it: two steps, as asked, but
   * never less than two report intervals, or a step shorter than the interval would leave gaps
   * between every two reports.
   */
  Duration lookback(Duration step) {
    Duration steps = step.multipliedBy(2);
    Duration reports = reportInterval.multipliedBy(2);
    return steps.compareTo(reports) > 0 ? steps : reports;
  }

  /** GPUs with samples now; for tests. */
  int gpusRecorded() {
    return rings.size();
  }

  private String noReports() {
    return "no node agent reported on these pods' GPUs in the period: the console keeps the last "
        + retention.toMinutes() + " minutes of reports, and only since it started";
  }

  private void pruneIfDue() {
    long now = clock.millis();
    long due = nextPrune.get();
    if (now < due || !nextPrune.compareAndSet(due, now + pruneEvery())) {
      return; // not yet, or another report's thread is pruning
    }
    long silentSince = now - retention.toMillis();
    for (PodSelection.NodeGpu gpu : rings.keySet()) {
      rings.computeIfPresent(gpu, (key, ring) -> ring.newest() < silentSince ? null : ring);
    }
  }

  private long pruneEvery() {
    return Math.max(reportInterval.toMillis(), retention.toMillis() / 8);
  }
}
