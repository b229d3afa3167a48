package dev.tessera.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.api.WellKnown;
import dev.tessera.extender.ExtenderConfig;
import dev.tessera.extender.http.ExtenderServer;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.verbs.SchedulingExtender;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Load generator for the extender webhook on loopback: builds a large cluster in the cache, starts
 * the real Netty server, and drives filter+prioritize pairs over keep-alive connections the way
 * kube-scheduler does, reporting latency percentiles and sustained throughput.
 */
@Command(
    name = "extender-load",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Measures the extender's filter+prioritize latency and throughput over real HTTP on"
          + " loopback, with a large simulated cluster in its cache.",
      "nodeCacheCapable mode sends node names; full-node mode sends whole v1.Node objects."
    })
public final class ExtenderLoad implements Callable<Integer> {
  @Option(names = "--nodes", description = "Nodes in the cache (default: ${DEFAULT-VALUE}).")
  int nodes = 5000;

  @Option(names = "--gpus-per-node", description = "GPUs per node (default: ${DEFAULT-VALUE}).")
  int gpusPerNode = 8;

  @Option(names = "--pods", description = "Pods to place in the cache before measuring (default: ${DEFAULT-VALUE}).")
  int pods = 50_000;

  @Option(
      names = "--names-per-call",
      description = {
        "Node names per filter call; 0 sends every node (default: ${DEFAULT-VALUE}).",
        "kube-scheduler sends only the nodes its own plugins found feasible, capped by"
            + " percentageOfNodesToScore (about 10%% = 500 at 5,000 nodes)."
      })
  int namesPerCall = 0;

  @Option(names = "--connections", description = "Concurrent keep-alive connections (default: ${DEFAULT-VALUE}).")
  int connections = 1;

  @Option(
      names = "--warmup",
      description = {
        "Seconds of warm-up per scenario (default: ${DEFAULT-VALUE}).",
        "Pinned to one CPU (taskset), the JIT shares that CPU and takes about 30 s to settle."
      })
  int warmupSeconds = 30;

  @Option(names = "--duration", description = "Seconds measured per scenario (default: ${DEFAULT-VALUE}).")
  int durationSeconds = 20;

  @Option(names = "--full-nodes", description = "Nodes in the full-node scenario; 0 skips it (default: ${DEFAULT-VALUE}).")
  int fullNodes = 1000;

  @Option(
      names = "--baseline",
      description = "Also measure a pod asking for no GPU: every name passes, so what is left is transport and JSON.")
  boolean baseline;

  @Option(names = "--seed", description = "Random seed for the cluster's fill (default: ${DEFAULT-VALUE}).")
  long seed = 42;

  private final ObjectMapper json = new ObjectMapper();

  public static void main(String[] args) {
    System.exit(new CommandLine(new ExtenderLoad()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    System.out.printf(Locale.ROOT, "JVM %s, %d CPUs%n", Runtime.version(), Runtime.getRuntime().availableProcessors());
    ClusterCache cache = BenchCluster.build(nodes, gpusPerNode, pods, seed);
    System.out.printf(
        Locale.ROOT,
        "cache: %d nodes x %d GPUs, %d pods placed%n",
        cache.snapshot().size(), gpusPerNode, BenchCluster.placedPods(cache.snapshot()));
    List<String> names = BenchCluster.nodeNames(nodes);
    if (namesPerCall > 0 && namesPerCall < names.size()) {
      names = names.subList(0, namesPerCall);
    }
    try (Server server = new Server(cache, 64 * 1024 * 1024)) {
      runRoundTrips(server.port());
      runPairs(server.port(), "fraction gpu-fraction=0.5", pod(WellKnown.GPU_FRACTION, "0.5", 0), names);
      runPairs(server.port(), "whole nvidia.com/gpu=1", pod(null, null, 1), names);
      if (baseline) {
        runPairs(server.port(), "no GPU (HTTP and JSON only, nothing to decide)", pod(null, null, 0), names);
      }
    }
    if (fullNodes > 0) {
      ClusterCache small = BenchCluster.build(fullNodes, gpusPerNode, fullNodes * 10, seed);
      try (Server server = new Server(small, 64 * 1024 * 1024)) {
        runFullNodes(server.port(), pod(WellKnown.GPU_FRACTION, "0.5", 0), fullNodes);
      }
    }
    return 0;
  }

  private void runPairs(int port, String label, ObjectNode pod, List<String> names) throws Exception {
    ObjectNode args = json.createObjectNode();
    args.set("Pod", pod);
    args.putNull("Nodes");
    ArrayNode array = args.putArray("NodeNames");
    names.forEach(array::add);
    byte[] filterBody = json.writeValueAsBytes(args);
    byte[] prioritizeBody;
    try (HttpConnection connection = new HttpConnection(port)) {
      JsonNode filtered = json.readTree(connection.postAndRead("/filter", filterBody));
      args.set("NodeNames", filtered.get("NodeNames"));
      prioritizeBody = json.writeValueAsBytes(args);
      System.out.printf(
          Locale.ROOT,
          "%n[nodeCacheCapable] %s: %d names sent, %d pass filter (request %d KiB, prioritize %d KiB)%n",
          label, names.size(), filtered.get("NodeNames").size(), filterBody.length / 1024, prioritizeBody.length / 1024);
      // Every node of the benchmark's cluster could take its pods some day; a node refusing one for
      // good means the figures would measure a refusal, not placement: stop rather than report them.
      if (filtered.path("FailedAndUnresolvableNodes").size() > 0 || !filtered.path("Error").asText("").isEmpty()) {
        throw new IllegalStateException("the benchmark's pod is refused for good, so nothing would be measured: " + filtered);
      }
    }
    Result result = drive(port, connection -> {
      long start = System.nanoTime();
      connection.post("/filter", filterBody);
      connection.post("/prioritize", prioritizeBody);
      return System.nanoTime() - start;
    });
    result.print("filter+prioritize pair", "pairs");
  }

  /**
   * The floor under every figure: one request that costs the server next to nothing. A pair is two
   * of these plus the work; on a VM, where waking a thread on the other vCPU is slow, the floor can
   * be most of a pair's latency and most of its tail.
   */
  private void runRoundTrips(int port) throws Exception {
    System.out.printf(Locale.ROOT, "%n[floor] GET /healthz on the same kind of connection%n");
    Result result = drive(port, connection -> {
      long start = System.nanoTime();
      connection.get("/healthz");
      return System.nanoTime() - start;
    });
    result.print("round trip", "calls");
  }

  private void runFullNodes(int port, ObjectNode pod, int count) throws Exception {
    ObjectNode args = json.createObjectNode();
    args.set("Pod", pod);
    ObjectNode list = args.putObject("Nodes");
    list.put("kind", "NodeList");
    list.put("apiVersion", "v1");
    ArrayNode items = list.putArray("items");
    for (String name : BenchCluster.nodeNames(count)) {
      items.add(RealisticNode.json(json, name, gpusPerNode));
    }
    args.putNull("NodeNames");
    byte[] body = json.writeValueAsBytes(args);
    System.out.printf(Locale.ROOT, "%n[full nodes] %d v1.Node objects per filter call (request %d KiB)%n", count, body.length / 1024);
    Result result = drive(port, connection -> {
      long start = System.nanoTime();
      connection.post("/filter", body);
      return System.nanoTime() - start;
    });
    result.print("filter call", "calls");
  }

  @FunctionalInterface
  private interface Call {
    long run(HttpConnection connection) throws Exception;
  }

  private record Result(Histogram histogram, long operations, double seconds) {
    void print(String what, String unit) {
      System.out.printf(
          Locale.ROOT,
          "  %s latency: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms%n",
          what,
          histogram.getValueAtPercentile(50) / 1e6,
          histogram.getValueAtPercentile(90) / 1e6,
          histogram.getValueAtPercentile(99) / 1e6,
          histogram.getValueAtPercentile(99.9) / 1e6,
          histogram.getMaxValue() / 1e6);
      System.out.printf(Locale.ROOT, "  sustained: %.0f %s/s over %.1f s%n", operations / seconds, unit, seconds);
    }
  }

  private Result drive(int port, Call call) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(connections);
    try {
      runFor(pool, port, call, Duration.ofSeconds(warmupSeconds), new Histogram(60_000_000_000L, 3));
      Histogram histogram = new Histogram(60_000_000_000L, 3);
      long start = System.nanoTime();
      long operations = runFor(pool, port, call, Duration.ofSeconds(durationSeconds), histogram);
      double seconds = (System.nanoTime() - start) / 1e9;
      return new Result(histogram, operations, seconds);
    } finally {
      pool.shutdownNow();
    }
  }

  private long runFor(ExecutorService pool, int port, Call call, Duration duration, Histogram into)
      throws Exception {
    long deadline = System.nanoTime() + duration.toNanos();
    List<Future<Histogram>> futures = new ArrayList<>();
    for (int c = 0; c < connections; c++) {
      futures.add(pool.submit(() -> {
        Histogram local = new Histogram(60_000_000_000L, 3);
        try (HttpConnection connection = new HttpConnection(port)) {
          while (System.nanoTime() < deadline) {
            local.recordValue(call.run(connection));
          }
        }
        return local;
      }));
    }
    long operations = 0;
    for (Future<Histogram> future : futures) {
      Histogram local = future.get();
      operations += local.getTotalCount();
      into.add(local);
    }
    return operations;
  }

  private ObjectNode pod(String annotation, String value, int wholeGpus) throws Exception {
    ObjectNode pod;
    try (InputStream in = ExtenderLoad.class.getResourceAsStream("/sample-pod.json")) {
      pod = (ObjectNode) json.readTree(in);
    }
    ObjectNode metadata = (ObjectNode) pod.get("metadata");
    // The sample is a gang member; its group does not exist here, and gangs have their own benchmark.
    ((ObjectNode) metadata.get("labels")).remove(WellKnown.POD_GROUP_LABEL);
    ObjectNode annotations = metadata.putObject("annotations");
    if (annotation != null) {
      annotations.put(annotation, value);
    }
    if (wholeGpus > 0) {
      ObjectNode resources = (ObjectNode) pod.get("spec").get("containers").get(0).get("resources");
      ((ObjectNode) resources.get("limits")).put(WellKnown.GPU_RESOURCE, Integer.toString(wholeGpus));
      ((ObjectNode) resources.get("requests")).put(WellKnown.GPU_RESOURCE, Integer.toString(wholeGpus));
    }
    return pod;
  }

  /** The real server and decision core over a prepared cache; binds are not exercised. */
  private static final class Server implements AutoCloseable {
    private final ExecutorService binds = Executors.newSingleThreadExecutor();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ExtenderServer server;

    Server(ClusterCache cache, int maxRequestBytes) throws Exception {
      SchedulingExtender extender = BenchCluster.extender(cache);
      ExtenderConfig defaults = ExtenderConfig.defaults();
      ExtenderConfig config =
          new ExtenderConfig(0, PlacementStrategy.BINPACK, defaults.bindTimeout(), defaults.assumeTtl(), maxRequestBytes);
      server = new ExtenderServer(config, extender, registry, binds);
      server.start();
    }

    int port() {
      return server.port();
    }

    @Override
    public void close() {
      server.close();
      binds.shutdownNow();
      registry.close();
    }
  }
}
