package dev.tessera.e2e;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Not a test: the load generator behind {@code bench/scheduler-throughput.sh}. On one real control
 * plane it has the stock kube-scheduler place the same pods twice, once as the default scheduler
 * and once as {@code tessera-scheduler} calling the extender, and prints pods bound per second and
 * the created-to-bound latency of each, and their ratio. Its name keeps it out of {@code mvn verify}.
 *
 * <p>System properties: {@code tessera.bench.nodes} (28), {@code tessera.bench.pods} (200),
 * {@code tessera.bench.rounds} (3, alternating which scheduler goes first), {@code
 * tessera.bench.warmups} (2 runs of each first, not counted), and
 * {@code tessera.e2e.schedulerQps} to lift both schedulers' client rate limit.
 */
class SchedulerThroughputBenchmark {
  private static final int GPUS_PER_NODE = 8;

  /** One scheduler's run over the pods. */
  record Run(String scheduler, int pods, double seconds, double p50, double p99, double cycleMillis) {
    double podsPerSecond() {
      return pods / seconds;
    }
  }

  @Test
  void compareTesseraWithTheDefaultScheduler() throws Exception {
    int nodes = Integer.getInteger("tessera.bench.nodes", 28);
    int pods = Integer.getInteger("tessera.bench.pods", 200);
    int rounds = Integer.getInteger("tessera.bench.rounds", 3);
    int warmups = Integer.getInteger("tessera.bench.warmups", 2);
    Installation tessera = Installation.fresh();
    KubernetesClient api = tessera.admin();
    createNodes(api, nodes);
    ExtenderProcess extender = tessera.startExtender().awaitReady(Duration.ofMinutes(2));
    SchedulerProcess defaultScheduler = SchedulerProcess.startDefault(tessera.plane);
    try {
      // Warm-up: the JVMs compile their hot paths (TLS among them), the schedulers fill their caches.
      for (int i = 0; i < warmups; i++) {
        run(api, "default-scheduler", pods, defaultScheduler);
        run(api, "tessera-scheduler", pods, SchedulerProcess.tessera(tessera.plane));
      }
      System.out.println("(warm-up done)");
      List<Run> runs = new ArrayList<>();
      for (int round = 0; round < rounds; round++) {
        List<String> order = round % 2 == 0
            ? List.of("default-scheduler", "tessera-scheduler") : List.of("tessera-scheduler", "default-scheduler");
        for (String scheduler : order) {
          SchedulerProcess metrics = scheduler.equals("default-scheduler") ? defaultScheduler : SchedulerProcess.tessera(tessera.plane);
          runs.add(run(api, scheduler, pods, metrics));
        }
      }
      System.out.printf(Locale.ROOT, "extender's own handling: filter mean %.2f ms, p50 <= %.2f ms, p99 <= %.2f ms;"
          + " bind mean %.1f ms, p50 <= %.1f ms, p99 <= %.1f ms%n",
          extender.meanMillis("filter"), extender.quantileMillis("filter", 0.5), extender.quantileMillis("filter", 0.99),
          extender.meanMillis("bind"), extender.quantileMillis("bind", 0.5), extender.quantileMillis("bind", 0.99));
      double bound = extender.metric("tessera_binds_total{outcome=\"bound\"}");
      double noRoom = extender.metric("tessera_binds_total{outcome=\"no_room\"}");
      report(nodes, pods, runs, bound, noRoom);
    } finally {
      defaultScheduler.close();
    }
  }

  private static void createNodes(KubernetesClient api, int count) throws InterruptedException {
    ExecutorService creators = Executors.newFixedThreadPool(16);
    for (int i = 0; i < count; i++) {
      String name = String.format(Locale.ROOT, "bench-%04d", i);
      creators.submit(() -> Workloads.gpuNode(api, name, GPUS_PER_NODE, Map.of()));
    }
    creators.shutdown();
    creators.awaitTermination(10, TimeUnit.MINUTES);
    Await.until(count + " nodes", Duration.ofMinutes(2),
        () -> api.nodes().withLabel(Workloads.TEST_LABEL).list().getItems().size() == count);
  }

  /** Creates the pods for one scheduler as fast as the API server takes them and times each to its binding. */
  private static Run run(KubernetesClient api, String scheduler, int count, SchedulerProcess schedulerMetrics)
      throws Exception {
    Map<String, Long> created = new ConcurrentHashMap<>();
    Map<String, Long> bound = new ConcurrentHashMap<>();
    double[] cycleBefore = schedulerMetrics.attemptSeconds();
    try (Watch watch = api.pods().inNamespace(Workloads.NAMESPACE).watch(new Watcher<>() {
      @Override
      public void eventReceived(Action action, Pod pod) {
        String node = pod.getSpec().getNodeName();
        if (node != null && !node.isEmpty()) {
          bound.putIfAbsent(pod.getMetadata().getName(), System.nanoTime());
        }
      }

      @Override
      public void onClose(WatcherException cause) {}
    })) {
      ExecutorService creators = Executors.newFixedThreadPool(16);
      for (int i = 0; i < count; i++) {
        String name = scheduler.substring(0, 3) + "-" + i;
        Pod pod = new PodBuilder(Workloads.wholeGpus(name, 1)).editSpec().withSchedulerName(scheduler).endSpec().build();
        creators.submit(() -> {
          long before = System.nanoTime();
          api.resource(pod).create();
          created.put(name, before);
        });
      }
      creators.shutdown();
      creators.awaitTermination(5, TimeUnit.MINUTES);
      Await.until(count + " pods bound by " + scheduler, Duration.ofMinutes(3), () -> bound.size() >= count,
          () -> bound.size() + " bound");
    }
    double[] cycleAfter = schedulerMetrics.attemptSeconds();
    long first = created.values().stream().mapToLong(Long::longValue).min().orElseThrow();
    long last = bound.values().stream().mapToLong(Long::longValue).max().orElseThrow();
    double[] latencies = created.entrySet().stream()
        .mapToDouble(e -> (bound.get(e.getKey()) - e.getValue()) / 1e9).sorted().toArray();
    double cycle = (cycleAfter[0] - cycleBefore[0]) / Math.max(1, cycleAfter[1] - cycleBefore[1]) * 1000;
    Run run = new Run(scheduler, count, (last - first) / 1e9, percentile(latencies, 0.50), percentile(latencies, 0.99), cycle);
    System.out.printf(Locale.ROOT, "%-18s %4d pods in %6.2f s: %7.1f pods/s, created-to-bound p50 %6.3f s, p99 %6.3f s,"
        + " scheduling algorithm %.2f ms%n", scheduler, count, run.seconds(), run.podsPerSecond(), run.p50(), run.p99(), cycle);
    api.pods().inNamespace(Workloads.NAMESPACE).withLabel(Workloads.TEST_LABEL).withGracePeriod(0).delete();
    Await.until("the pods to be deleted", Duration.ofMinutes(5),
        () -> api.pods().inNamespace(Workloads.NAMESPACE).list().getItems().isEmpty());
    // Both schedulers must have seen the deletions before the next run: kube-scheduler v1.28 does not
    // retry a pod it found no room for when pods are deleted, so a stale cache would strand one.
    Await.sleep(Duration.ofSeconds(5));
    return run;
  }

  private static void report(int nodes, int pods, List<Run> runs, double bound, double noRoom) {
    Run tessera = median(runs, "tessera-scheduler");
    Run plain = median(runs, "default-scheduler");
    System.out.printf(Locale.ROOT, "%n%d nodes x %d GPUs, %d one-GPU pods per run, median of %d runs each (qps %s)%n",
        nodes, GPUS_PER_NODE, pods, runs.size() / 2, System.getProperty("tessera.e2e.schedulerQps", "default"));
    System.out.printf(Locale.ROOT, "| scheduler | pods/s | p50 created-to-bound | p99 | kube-scheduler's algorithm per pod |%n");
    System.out.printf(Locale.ROOT, "| --- | --- | --- | --- | --- |%n");
    for (Run run : List.of(plain, tessera)) {
      System.out.printf(Locale.ROOT, "| %s | %.1f | %.3f s | %.3f s | %.2f ms |%n", run.scheduler(), run.podsPerSecond(),
          run.p50(), run.p99(), run.cycleMillis());
    }
    System.out.printf(Locale.ROOT, "RATIO tessera/default pods/s: %.2f; binds refused for room: %.0f of %.0f (%.2f %%)%n",
        tessera.podsPerSecond() / plain.podsPerSecond(), noRoom, bound + noRoom, 100 * noRoom / Math.max(1, bound + noRoom));
  }

  /** The run with the median throughput (the lower middle one for an even count). */
  private static Run median(List<Run> runs, String scheduler) {
    List<Run> mine = runs.stream().filter(r -> r.scheduler().equals(scheduler))
        .sorted(java.util.Comparator.comparingDouble(Run::podsPerSecond)).toList();
    return mine.get((mine.size() - 1) / 2);
  }

  private static double percentile(double[] sorted, double q) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }
}
