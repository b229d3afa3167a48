package dev.tessera.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.api.WellKnown;
import dev.tessera.api.assignment.AssignmentCodec;
import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.ExtenderConfig;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.testing.Await;
import dev.tessera.mockapi.EmbeddedApiServer;
import dev.tessera.server.ExtenderCalls;
import dev.tessera.server.ExtenderRuntime;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole extender over real HTTP against the in-process API server: kube-scheduler's calls
 * racing for the last GPU capacity, and a restart that rebuilds the ledger from the pods.
 */
class ExtenderEndToEndTest {
  private EmbeddedApiServer api;
  private KubernetesClient client;
  private ExtenderCalls calls;

  @BeforeEach
  void setUp() {
    api = EmbeddedApiServer.start();
    client = api.client();
    calls = new ExtenderCalls(client);
  }

  @AfterEach
  void tearDown() {
    api.close();
  }

  private static ExtenderConfig config() {
    ExtenderConfig d = ExtenderConfig.defaults();
    return new ExtenderConfig(0, PlacementStrategy.BINPACK, d.bindTimeout(), d.assumeTtl(), d.maxRequestBytes());
  }

  @Test
  void racingBindsNeverOverCommitTheLastGpus() throws Exception {
    client.nodes().resource(gpuNode("gpu-1", 2)).create();
    int pods = 24; // 0.3 each: three fit a GPU, so 6 of 24 can be placed
    List<Pod> created = new ArrayList<>();
    for (int i = 0; i < pods; i++) {
      created.add(client.pods().resource(fractionPod("p-" + i, "0.3")).create());
    }
    try (ExtenderRuntime runtime = ExtenderRuntime.start(config(), Duration.ofMinutes(5), client)) {
      URI base = URI.create("http://127.0.0.1:" + runtime.port());
      ExecutorService threads = Executors.newFixedThreadPool(16);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Boolean>> results = new ArrayList<>();
      for (Pod pod : created) {
        results.add(threads.submit(() -> {
          start.await();
          JsonNode filtered = calls.post(base, "filter", calls.filterArgs(pod, List.of("gpu-1")));
          if (filtered.get("NodeNames").isNull() || filtered.get("NodeNames").isEmpty()) {
            return false;
          }
          return calls.post(base, "bind", calls.bindArgs(pod, "gpu-1")).path("Error").asText().isEmpty();
        }));
      }
      start.countDown();
      int bound = 0;
      for (Future<Boolean> result : results) {
        bound += result.get() ? 1 : 0;
      }
      threads.shutdown();
      assertEquals(6, bound, "exactly the capacity of two GPUs at 0.3 each");

      // The cluster's record agrees: six pods bound, no GPU holds more than its memory.
      Map<Integer, Long> heldPerGpu = new HashMap<>();
      int boundInApi = 0;
      for (Pod pod : client.pods().inNamespace("team").list().getItems()) {
        if (pod.getSpec().getNodeName() == null) {
          continue;
        }
        boundInApi++;
        AssignmentCodec.Decoded decoded =
            AssignmentCodec.decode(pod.getMetadata().getAnnotations().get(WellKnown.GPU_ASSIGNMENT));
        GpuAssignment assignment = ((AssignmentCodec.Decoded.Ok) decoded).assignment();
        for (GpuShare share : assignment.shares()) {
          heldPerGpu.merge(share.index(), share.memoryMiB(), Long::sum);
        }
      }
      assertEquals(6, boundInApi);
      heldPerGpu.values().forEach(held -> assertTrue(held <= 81920, "over-committed: " + heldPerGpu));
      await(() -> runtime.cache().snapshot().node("gpu-1").allocations().values().stream().noneMatch(a -> a.assumed()));
      NodeState node = runtime.cache().snapshot().node("gpu-1");
      assertEquals(6, node.allocations().size());
      assertEquals(3, node.sharedTenants(0));
      assertEquals(3, node.sharedTenants(1));
    }
  }

  @Test
  void dynamicFractionsAreFilteredAndBoundByTheirRequestAndCarryTheirLimit() throws Exception {
    client.nodes().resource(gpuNode("gpu-1", 1)).create();
    List<Pod> bursty = new ArrayList<>();
    for (String name : List.of("bursty-a", "bursty-b")) {
      Pod pod = fractionPod(name, "0.5");
      pod.getMetadata().getAnnotations().put(WellKnown.GPU_FRACTION_LIMIT, "0.9");
      bursty.add(client.pods().resource(pod).create());
    }
    Pod small = client.pods().resource(fractionPod("small", "0.1")).create();
    try (ExtenderRuntime runtime = ExtenderRuntime.start(config(), Duration.ofMinutes(5), client)) {
      URI base = URI.create("http://127.0.0.1:" + runtime.port());
      for (Pod pod : bursty) {
        JsonNode filtered = calls.post(base, "filter", calls.filterArgs(pod, List.of("gpu-1")));
        assertEquals("gpu-1", filtered.get("NodeNames").get(0).asText(), filtered.toString());
        assertEquals("", calls.post(base, "bind", calls.bindArgs(pod, "gpu-1")).path("Error").asText());
      }

      JsonNode refused = calls.post(base, "filter", calls.filterArgs(small, List.of("gpu-1")));
      assertTrue(refused.get("NodeNames").isEmpty(), refused.toString());
      assertEquals(
          "needs 0.10 of one GPU; no GPU has room (1 of 1 in use, none with free memory)",
          refused.get("FailedNodes").get("gpu-1").asText());
      for (Pod pod : bursty) {
        String annotation = client.pods().resource(pod).get().getMetadata().getAnnotations().get(WellKnown.GPU_ASSIGNMENT);
        assertTrue(annotation.contains("\"memoryMiB\":40960,\"memoryBytes\":42949672960,\"limitMiB\":73728,"
            + "\"limitBytes\":77309411328"), annotation);
      }
      // /metrics shows the ledger's requests and the limits they may borrow up to.
      String requested = "tessera_gpu_memory_requested_bytes{gpu=\"0\",node=\"gpu-1\"} ";
      String limit = "tessera_gpu_memory_limit_bytes{gpu=\"0\",node=\"gpu-1\"} ";
      await(() -> runtime.registry().scrape().contains(limit));
      String scrape = runtime.registry().scrape();
      assertEquals(81920.0 * 1048576, value(scrape, requested), scrape);
      assertEquals(2 * 73728.0 * 1048576, value(scrape, limit), scrape);
    }
  }

  @Test
  void aFractionalPodBoundWithoutTheShareResourceGetsAWarningSayingWhatToAdd() throws Exception {
    client.nodes().resource(gpuNode("gpu-1", 2)).create();
    Pod without = client.pods().resource(fractionPod("no-share", "0.5")).create();
    Pod with = fractionPod("with-share", "0.5");
    with.getSpec().getContainers().get(0).setResources(new io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder()
        .addToLimits(WellKnown.GPU_SHARE_RESOURCE, new Quantity("1")).build());
    with = client.pods().resource(with).create();
    try (ExtenderRuntime runtime = ExtenderRuntime.start(config(), Duration.ofMinutes(5), client)) {
      URI base = URI.create("http://127.0.0.1:" + runtime.port());
      // In this order: events are written in order, so once no-share's warning is there, any for
      // with-share would be too.
      for (Pod pod : List.of(with, without)) {
        assertEquals("", calls.post(base, "bind", calls.bindArgs(pod, "gpu-1")).path("Error").asText());
      }

      await(() -> warnings("no-share") == 1);
      assertEquals(0, warnings("with-share"));
    }
  }

  private int warnings(String podName) {
    return (int) client.v1().events().inNamespace("team").list().getItems().stream()
        .filter(e -> podName.equals(e.getInvolvedObject().getName()))
        .filter(e -> "GpuShareNotRequested".equals(e.getReason()))
        .count();
  }

  @Test
  void aRestartedExtenderRebuildsTheSameLedgerFromThePods() throws Exception {
    DemoCluster.create(client);
    Map<String, String> before;
    try (ExtenderRuntime first = ExtenderRuntime.start(config(), Duration.ofMinutes(5), client)) {
      List<Pod> created = new ArrayList<>();
      for (Pod pod : DemoCluster.pods()) {
        created.add(client.pods().resource(pod).create());
      }
      new dev.tessera.demo.SchedulingDriver(client, URI.create("http://127.0.0.1:" + first.port()))
          .scheduleAll(created);
      await(() -> ledger(first).values().stream().noneMatch(s -> s.contains("assumed")));
      before = ledger(first);
    }
    assertTrue(before.values().stream().anyMatch(s -> s.contains("whole")), "the demo places whole GPUs");
    try (ExtenderRuntime second = ExtenderRuntime.start(config(), Duration.ofMinutes(5), client)) {
      assertEquals(before, ledger(second));
    }
  }

  /** Per node and GPU: who holds it and how, in a comparable form. */
  private static Map<String, String> ledger(ExtenderRuntime runtime) {
    Map<String, String> rows = new HashMap<>();
    runtime.cache().snapshot().forEach(node -> {
      for (int i = 0; i < node.gpuCount(); i++) {
        int gpu = i;
        boolean assumed =
            node.allocations().values().stream()
                .anyMatch(a -> a.assumed() && a.assignment().shares().stream().anyMatch(s -> s.index() == gpu));
        rows.put(
            node.name() + "/" + gpu,
            (node.heldWhole(gpu) ? "whole" : node.usedMiB(gpu) + "MiB/" + node.sharedTenants(gpu))
                + (assumed ? " assumed" : ""));
      }
    });
    return rows;
  }



  /** The value of the series whose line starts with {@code prefix} in a Prometheus scrape. */
  private static double value(String scrape, String prefix) {
    return scrape.lines().filter(line -> line.startsWith(prefix)).mapToDouble(line -> Double.parseDouble(
        line.substring(prefix.length()).trim())).findFirst().orElseThrow();
  }

  private static void await(BooleanSupplier condition) {
    Await.await("the condition", condition, Duration.ofSeconds(10));
  }


  private static io.fabric8.kubernetes.api.model.Node gpuNode(String name, int gpus) {
    return new NodeBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels(WellKnown.GFD_PRODUCT, "NVIDIA-A100-SXM4-80GB")
        .addToLabels(WellKnown.GFD_MEMORY_MIB, "81920")
        .endMetadata()
        .withNewStatus()
        .addToAllocatable(WellKnown.GPU_RESOURCE, new Quantity(Integer.toString(gpus)))
        .endStatus()
        .build();
  }

  private static Pod fractionPod(String name, String fraction) {
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace("team")
        .withName(name)
        .addToAnnotations(WellKnown.GPU_FRACTION, fraction)
        .endMetadata()
        .withNewSpec()
        .withSchedulerName(WellKnown.SCHEDULER_NAME)
        .addNewContainer()
        .withName("main")
        .withImage("busybox")
        .endContainer()
        .endSpec()
        .build();
  }
}
