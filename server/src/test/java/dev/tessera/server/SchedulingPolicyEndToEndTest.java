package dev.tessera.server;

import static dev.tessera.extender.policy.Policies.pool;
import static dev.tessera.extender.policy.Policies.project;
import static dev.tessera.extender.policy.Policies.quota;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.api.WellKnown;
import dev.tessera.extender.ExtenderConfig;
import dev.tessera.extender.controllers.ReclaimController;
import dev.tessera.extender.gangs.GangMonitor;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.policy.Policies;
import dev.tessera.extender.testing.Await;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Scheduling policy end to end: the extender over real HTTP against the in-process API server,
 * with projects, node pools and pod groups created as custom resources. kube-scheduler's part
 * (filter, prioritize, bind in turn) is played by {@link #schedule}.
 */
class SchedulingPolicyEndToEndTest {
  private EmbeddedApiServer api;
  private KubernetesClient client;
  private ExtenderCalls calls;
  private ExtenderRuntime runtime;
  private URI base;

  @BeforeEach
  void setUp() {
    api = EmbeddedApiServer.start();
    client = api.client();
    calls = new ExtenderCalls(client);
  }

  @AfterEach
  void tearDown() {
    if (runtime != null) {
      runtime.close();
    }
    api.close();
  }

  private void startExtender() throws Exception {
    ExtenderConfig d = ExtenderConfig.defaults();
    runtime = ExtenderRuntime.start(
        new ExtenderConfig(0, PlacementStrategy.BINPACK, d.bindTimeout(), d.assumeTtl(), d.maxRequestBytes()),
        Duration.ofMinutes(5), client);
    base = URI.create("http://127.0.0.1:" + runtime.port());
  }

  @Test
  void theMetricsPageHasTheJvmTheNodesAndHowLongPodsWait() throws Exception {
    client.nodes().resource(gpuNode("gpu-1", 4, "a100")).create();
    client.resource(project("team-a").namespaces("team-a").quota(quota("default", 2.0)).obj()).create();
    startExtender();
    await(() -> runtime.policy().projectOf("team-a") != null);
    Pod placed = create(gpuPod("team-a", "a-0", 1));
    assertEquals("gpu-1", schedule(placed, List.of("gpu-1")));
    Pod huge = create(gpuPod("team-a", "a-huge", 8));
    assertNull(schedule(huge, List.of("gpu-1")), "no node has 8 GPUs");
    // The pending and per-node series follow the cluster every 5 s.
    await(() -> runtime.registry().scrape()
        .contains("tessera_pods_pending{pool=\"default\",project=\"team-a\",reason=\"insufficient-gpu\"} 1.0"));
    String page = runtime.registry().scrape();
    for (String series : List.of("tessera_pods_unschedulable{reason=\"insufficient-gpu\"} 1.0",
        "tessera_pod_created_to_bound_seconds_count{pool=\"default\",project=\"team-a\"} 1",
        "tessera_node_gpus{node=\"gpu-1\",pool=\"default\"} 4.0",
        "tessera_node_gpus_allocated{node=\"gpu-1\",pool=\"default\"} 1.0",
        "tessera_pod_allocated_gpus{namespace=\"team-a\",node=\"gpu-1\",pod=\"a-0\",pool=\"default\",project=\"team-a\"} 1.0",
        "tessera_project_limit_gpus{pool=\"default\",project=\"team-a\"}",
        "tessera_project_over_quota_weight{pool=\"default\",project=\"team-a\"}",
        "jvm_memory_used_bytes{", "jvm_gc_", "jvm_threads_live_threads ", "jvm_classes_loaded_classes ",
        "process_uptime_seconds ", "system_cpu_count ")) {
      assertTrue(page.contains(series), series + " on:\n" + page);
    }
  }

  @Test
  void anUnderQuotaProjectReclaimsGpusFromAnOverQuotaOne() throws Exception {
    client.nodes().resource(gpuNode("gpu-1", 4, "a100")).create();
    client.resource(project("team-a").namespaces("team-a").quota(quota("default", 2.0)).obj()).create();
    client.resource(project("team-b").namespaces("team-b").quota(quota("default", 2.0)).obj()).create();
    startExtender();
    await(() -> runtime.policy().projectOf("team-b") != null);

    // team-b fills the node while team-a wants nothing: 2 of its 4 GPUs are over quota.
    List<Pod> borrowed = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      if (i == 2) {
        Thread.sleep(1100); // creation times have whole seconds: b-2 and b-3 are the newer ones
      }
      Pod pod = create(gpuPod("team-b", "b-" + i, 1));
      assertEquals("gpu-1", schedule(pod, List.of("gpu-1")), "team-b may use idle GPUs");
      borrowed.add(pod);
    }
    Pod newest = client.pods().inNamespace("team-b").withName("b-3").get();
    assertEquals("true", newest.getMetadata().getAnnotations().get(WellKnown.OVER_QUOTA));

    // team-a comes for its deserved 2: no room, so reclaim evicts two of team-b's pods.
    Pod a0 = create(gpuPod("team-a", "a-0", 1));
    Pod a1 = create(gpuPod("team-a", "a-1", 1));
    await(() -> runtime.policy().figures("team-a", "default").pending() == 2);
    assertNull(schedule(a0, List.of("gpu-1")));
    await(() -> client.pods().inNamespace("team-b").list().getItems().size() <= 3);
    await(() -> schedule(a0, List.of("gpu-1")) != null);
    assertNull(schedule(a1, List.of("gpu-1")), "one reclaim at a time: a-1 waits for its own");
    await(() -> schedule(a1, List.of("gpu-1")) != null);

    List<String> left = client.pods().inNamespace("team-b").list().getItems().stream()
        .map(p -> p.getMetadata().getName()).sorted().toList();
    assertEquals(List.of("b-0", "b-1"), left, "the newest over-quota pods went");
    String reclaimed = eventMessage("team-b", "b-3", ReclaimController.RECLAIMED);
    assertTrue(reclaimed.contains("team-a"), reclaimed);

    // Settled at deserved: team-b is at its fair share now, so nothing more is taken.
    Pod a2 = create(gpuPod("team-a", "a-2", 1));
    await(() -> runtime.policy().figures("team-a", "default").pending() == 1);
    assertNull(schedule(a2, List.of("gpu-1")));
    Thread.sleep(2500); // two reclaim rounds
    assertEquals(2, client.pods().inNamespace("team-b").list().getItems().size(), "no thrashing");
    await(() -> {
      var status = client.resources(dev.tessera.api.policy.ProjectResource.class).withName("team-a").get().getStatus();
      return status != null && status.pools() != null && status.pools().stream()
          .anyMatch(p -> p.nodePool().equals("default") && p.allocatedGpus() == 2.0 && p.deservedGpus() == 2.0);
    });
    String gauge = runtime.registry().scrape();
    assertTrue(gauge.contains("tessera_project_fair_share_gpus{pool=\"default\",project=\"team-a\"}"), gauge);
    assertTrue(gauge.contains("tessera_reclaim_evictions_total{outcome=\"evicted\"} 2.0"), gauge);
  }

  @Test
  void aDisruptionBudgetStopsReclaim() throws Exception {
    client.nodes().resource(gpuNode("gpu-1", 2, "a100")).create();
    client.resource(project("team-a").namespaces("team-a").quota(quota("default", 2.0)).obj()).create();
    client.resource(project("team-b").namespaces("team-b").obj()).create();
    client.resource(new PodDisruptionBudgetBuilder()
        .withNewMetadata().withNamespace("team-b").withName("keep").endMetadata()
        .withNewSpec().withNewSelector().addToMatchLabels("app", "b").endSelector().withMinAvailable(new io.fabric8.kubernetes.api.model.IntOrString(2)).endSpec()
        .withNewStatus().withDisruptionsAllowed(0).endStatus()
        .build()).create();
    startExtender();
    await(() -> runtime.policy().projectOf("team-b") != null);
    for (int i = 0; i < 2; i++) {
      assertEquals("gpu-1", schedule(create(gpuPod("team-b", "b-" + i, 1)), List.of("gpu-1")));
    }
    Pod a0 = create(gpuPod("team-a", "a-0", 1));
    await(() -> runtime.policy().figures("team-a", "default").pending() == 1);
    assertNull(schedule(a0, List.of("gpu-1")));
    await(() -> runtime.registry().scrape().contains("tessera_reclaim_evictions_total{outcome=\"blocked_by_budget\"}"));
    assertEquals(2, client.pods().inNamespace("team-b").list().getItems().size());
  }

  @Test
  void aProjectPastItsLimitIsRefusedWithTheReason() throws Exception {
    client.nodes().resource(gpuNode("gpu-1", 4, "a100")).create();
    client.resource(project("team-a").namespaces("team-a").quota(Policies.quota("default", 1.0, 1.0, 2.0)).obj()).create();
    startExtender();
    await(() -> runtime.policy().projectOf("team-a") != null);
    assertEquals("gpu-1", schedule(create(gpuPod("team-a", "a-0", 2)), List.of("gpu-1")));
    await(() -> runtime.policy().figures("team-a", "default").allocated() == 2);
    JsonNode refused = post("filter", calls.filterArgs(create(gpuPod("team-a", "a-1", 1)), List.of("gpu-1")));
    String reason = refused.path("FailedAndUnresolvableNodes").path("gpu-1").asText();
    assertEquals("project team-a would exceed its limit of 2 GPUs in pool default (it holds 2, the pod asks for 1)", reason);
  }

  @Test
  void podsGoToTheirPreferredPoolFirstAndOnlyToPoolsTheyList() throws Exception {
    client.nodes().resource(gpuNode("a100-1", 2, "a100")).create();
    client.nodes().resource(gpuNode("h100-1", 1, "h100")).create();
    client.resource(pool("a100", "gpu", "a100")).create();
    client.resource(pool("h100", "gpu", "h100")).create();
    startExtender();
    await(() -> runtime.policy().poolNames().contains("h100")
        && runtime.cache().snapshot().node("h100-1").node().pool().equals("h100"));
    List<String> nodes = List.of("a100-1", "h100-1");

    Pod first = create(pooled(gpuPod("team", "p-0", 1), "h100,a100"));
    JsonNode filtered = post("filter", calls.filterArgs(first, nodes));
    assertEquals(List.of("h100-1"), names(filtered.path("NodeNames")), "the preferred pool's node is chosen");
    assertTrue(filtered.path("FailedNodes").isEmpty(), "nodes not chosen are left out, not failed: " + filtered);
    assertEquals("h100-1", schedule(first, nodes));
    await(() -> runtime.cache().snapshot().node("h100-1").freeWholeGpus() == 0);

    assertEquals("a100-1", schedule(create(pooled(gpuPod("team", "p-1", 1), "h100,a100")), nodes),
        "the preferred pool is full: the next one serves");
    JsonNode only = post("filter", calls.filterArgs(create(pooled(gpuPod("team", "p-2", 1), "h100")), nodes));
    assertEquals("node is in pool a100; the pod may use pools h100",
        only.path("FailedAndUnresolvableNodes").path("a100-1").asText());
    JsonNode unknown = post("filter", calls.filterArgs(create(pooled(gpuPod("team", "p-3", 1), "v100")), nodes));
    assertTrue(unknown.path("FailedAndUnresolvableNodes").path("a100-1").asText()
        .startsWith("node pool v100 (annotation tessera.dev/node-pools) does not exist; known pools: default, "),
        unknown.toString());
  }

  @Test
  void aGangIsPlannedWholeAndEvictedWhenItDoesNotCompleteInTime() throws Exception {
    client.nodes().resource(gpuNode("gpu-1", 4, "a100")).create();
    client.nodes().resource(gpuNode("gpu-2", 4, "a100")).create();
    client.resource(Policies.podGroup("ml", "train", 3, null, 2)).create();
    client.resource(Policies.podGroup("ml", "huge", 3, null, 60)).create();
    startExtender();
    await(() -> runtime.policy().podGroup("ml", "train") != null);
    List<String> nodes = List.of("gpu-1", "gpu-2");

    // Too big as a whole (3 × 4 GPUs on 8): no member is placed, and each answer says why.
    List<Pod> huge = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      huge.add(create(member(gpuPod("ml", "huge-" + i, 4), "huge")));
    }
    String reason = awaitFilterReason(huge.get(0), nodes);
    assertTrue(reason.startsWith("gang ml/huge needs 3 × 4 whole GPUs; only 2 fit"), reason);
    assertEquals(8, runtime.cache().snapshot().node("gpu-1").freeWholeGpus() + runtime.cache().snapshot().node("gpu-2").freeWholeGpus());
    huge.forEach(p -> client.resource(p).delete());

    // Fits: the first member seen reserves all three places; each member is steered to its own.
    List<Pod> train = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      train.add(create(member(gpuPod("ml", "train-" + i, 2), "train")));
    }
    String first = awaitChosen(train.get(0), nodes);
    assertEquals(2, runtime.cache().snapshot().node("gpu-1").freeWholeGpus() + runtime.cache().snapshot().node("gpu-2").freeWholeGpus(),
        "the whole gang's 6 GPUs are held once the first member is filtered");
    String second = choose(train.get(1), nodes);
    assertNotNull(choose(train.get(2), nodes));
    bind(train.get(0), first);
    bind(train.get(1), second);
    // train-2 never binds (say kube-scheduler's bind call for it is lost): the gang times out.
    await(() -> client.pods().inNamespace("ml").withName("train-0").get() == null
        && client.pods().inNamespace("ml").withName("train-1").get() == null);
    String evicted = eventMessage("ml", "train-0", GangMonitor.TIMED_OUT);
    assertTrue(evicted.contains("had 2 of its 3 members"), evicted);
    await(() -> runtime.cache().snapshot().node("gpu-1").freeWholeGpus() + runtime.cache().snapshot().node("gpu-2").freeWholeGpus() == 8);
  }

  @Test
  void aGangMemberBindsOnlyOnceEveryMemberHasBeenOfferedItsPlace() throws Exception {
    client.nodes().resource(gpuNode("gpu-1", 4, "a100")).create();
    client.nodes().resource(gpuNode("gpu-2", 4, "a100")).create();
    client.resource(Policies.podGroup("ml", "ddp", 3, null, 60)).create();
    startExtender();
    await(() -> runtime.policy().podGroup("ml", "ddp") != null);
    List<String> nodes = List.of("gpu-1", "gpu-2");
    List<Pod> ddp = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ddp.add(create(member(gpuPod("ml", "ddp-" + i, 2), "ddp")));
    }

    // ddp-2 is never filtered (kube-scheduler has not reached it): ddp-0's bind waits, then is
    // refused, naming the member it waited for, and nothing is bound.
    String first = awaitChosen(ddp.get(0), nodes);
    String second = choose(ddp.get(1), nodes);
    String refused = post("bind", calls.bindArgs(ddp.get(0), first)).path("Error").asText();
    assertTrue(refused.startsWith("gang ml/ddp is not ready to bind: kube-scheduler has not yet accepted the nodes"
        + " reserved for 1 of its members (ddp-2)"), refused);
    assertEquals(null, client.pods().inNamespace("ml").withName("ddp-0").get().getSpec().getNodeName());

    // A bind that starts before the last member is filtered waits for it, and then goes through.
    var binding = java.util.concurrent.CompletableFuture.runAsync(() -> bind(ddp.get(0), first));
    String third = choose(ddp.get(2), nodes);
    binding.get(10, java.util.concurrent.TimeUnit.SECONDS);
    bind(ddp.get(1), second);
    bind(ddp.get(2), third);
    for (Pod pod : ddp) {
      assertNotNull(client.pods().inNamespace("ml").withName(pod.getMetadata().getName()).get().getSpec().getNodeName());
    }
  }

  @Test
  void anElasticGangStartsWithItsMinimumAndGrowsIntoIdleGpus() throws Exception {
    client.nodes().resource(gpuNode("gpu-1", 4, "a100")).create();
    client.nodes().resource(gpuNode("gpu-2", 4, "a100")).create();
    client.resource(Policies.podGroup("ml", "el", 2, null, 60)).create();
    startExtender();
    await(() -> runtime.policy().podGroup("ml", "el") != null);
    List<String> nodes = List.of("gpu-1", "gpu-2");
    assertEquals("gpu-2", schedule(create(gpuPod("ml", "busy", 2)), List.of("gpu-2")));
    // A master and four elastic workers of 2 GPUs each want 10 GPUs; 6 are free. The plan takes
    // the minimum (the master and one worker), the master first though a worker is asked first.
    List<Pod> workers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      workers.add(create(elastic(member(gpuPod("ml", "el-worker-" + i, 2), "el"))));
    }
    Pod master = create(member(gpuPod("ml", "el-master-0", 2), "el"));
    String masterNode = awaitChosen(master, nodes);
    String firstWorker = choose(workers.get(0), nodes);
    assertNotNull(firstWorker, "el-worker-0 is the other member of the minimum");
    assertEquals(2, runtime.cache().snapshot().node("gpu-1").freeWholeGpus()
        + runtime.cache().snapshot().node("gpu-2").freeWholeGpus(), "only the minimum's 4 GPUs are reserved");
    bind(master, masterNode);
    bind(workers.get(0), firstWorker);

    // The gang is whole: the other workers are extras, each placed alone while GPUs are idle.
    assertNotNull(schedule(workers.get(1), nodes), "a worker grows into the 2 idle GPUs");
    assertNull(choose(workers.get(2), nodes), "no idle GPUs left for a third worker");
    client.pods().inNamespace("ml").withName("busy").delete();
    await(() -> choose(workers.get(2), nodes) != null);
  }

  @Test
  void podsWithoutGpusArePlacedByTheirPoolsCpuStrategy() throws Exception {
    for (String name : List.of("pack-busy", "pack-idle", "spread-busy", "spread-idle")) {
      client.nodes().resource(new NodeBuilder()
          .withNewMetadata().withName(name).addToLabels("cpu-pool", name.substring(0, name.indexOf('-'))).endMetadata()
          .withNewStatus().addToAllocatable("cpu", new Quantity("4")).endStatus()
          .build()).create();
    }
    client.resource(Policies.placedPool("pack", null, "binpack", "cpu-pool", "pack")).create();
    client.resource(Policies.placedPool("spread", null, "spread", "cpu-pool", "spread")).create();
    for (String node : List.of("pack-busy", "spread-busy")) {
      create(new PodBuilder()
          .withNewMetadata().withNamespace("web").withName("on-" + node).endMetadata()
          .withNewSpec().withNodeName(node).addNewContainer().withName("main").withImage("nginx")
          .withNewResources().addToRequests("cpu", new Quantity("3")).endResources().endContainer().endSpec()
          .build());
    }
    startExtender();
    await(() -> runtime.policy().cpuStrategy("spread") != null);
    Pod web = create(new PodBuilder()
        .withNewMetadata().withNamespace("web").withName("web-1").endMetadata()
        .withNewSpec().withSchedulerName(WellKnown.SCHEDULER_NAME).addNewContainer().withName("main").withImage("nginx")
        .withNewResources().addToRequests("cpu", new Quantity("500m")).endResources().endContainer().endSpec()
        .build());
    List<String> nodes = List.of("pack-busy", "pack-idle", "spread-busy", "spread-idle");
    await(() -> {
      try {
        JsonNode scores = post("prioritize", calls.filterArgs(web, nodes));
        java.util.Map<String, Integer> byNode = new java.util.HashMap<>();
        scores.forEach(s -> byNode.put(s.path("Host").asText(), s.path("Score").asInt()));
        // 3.5 of 4 CPUs after placement on the busy nodes, 0.5 on the idle ones.
        return byNode.equals(java.util.Map.of("pack-busy", 9, "pack-idle", 6, "spread-busy", 6, "spread-idle", 9));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }

  // --- kube-scheduler's part ---

  /** Filter, prioritize and bind as kube-scheduler does; the node bound to, or null if none passed. */
  private String schedule(Pod pod, List<String> nodes) {
    String best = choose(pod, nodes);
    if (best != null) {
      bind(pod, best);
    }
    return best;
  }

  /** Filter and prioritize as kube-scheduler does: the node it would bind to, or null if none passed. */
  private String choose(Pod pod, List<String> nodes) {
    try {
      Pod current = client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).get();
      JsonNode filtered = post("filter", calls.filterArgs(current, nodes));
      List<String> passing = names(filtered.path("NodeNames"));
      if (passing.isEmpty()) {
        return null;
      }
      JsonNode scores = post("prioritize", calls.filterArgs(current, passing));
      String best = passing.get(0);
      int top = -1;
      for (JsonNode score : scores) {
        if (score.path("Score").asInt() > top) {
          top = score.path("Score").asInt();
          best = score.path("Host").asText();
        }
      }
      return best;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private void bind(Pod pod, String node) {
    try {
      assertEquals("", post("bind", calls.bindArgs(pod, node)).path("Error").asText());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private String awaitChosen(Pod pod, List<String> nodes) throws InterruptedException {
    String[] node = new String[1];
    await(() -> (node[0] = choose(pod, nodes)) != null);
    return node[0];
  }

  /** The filter reason once the extender has seen the pod (gang members wait for the informer). */
  private String awaitFilterReason(Pod pod, List<String> nodes) throws Exception {
    String[] reason = new String[1];
    await(() -> {
      try {
        JsonNode result = post("filter", calls.filterArgs(pod, nodes));
        reason[0] = result.path("FailedAndUnresolvableNodes").path(nodes.get(0)).asText();
        return !reason[0].contains("has not seen this pod yet") && !reason[0].contains("of its 3 pods");
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    return reason[0];
  }

  private Pod create(Pod pod) {
    return client.resource(pod).create();
  }

  private String eventMessage(String namespace, String pod, String reason) throws InterruptedException {
    String[] message = new String[1];
    await(() -> client.v1().events().inNamespace(namespace).list().getItems().stream()
        .filter(e -> pod.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason()))
        .findFirst()
        .map(e -> message[0] = e.getMessage())
        .isPresent());
    return message[0];
  }


  private JsonNode post(String verb, JsonNode body) throws Exception {
    return calls.post(base, verb, body);
  }

  private static List<String> names(JsonNode array) {
    List<String> names = new ArrayList<>();
    array.forEach(n -> names.add(n.asText()));
    return names;
  }

  private static void await(BooleanSupplier condition) {
    Await.await("the condition", condition, Duration.ofSeconds(15));
  }


  private static io.fabric8.kubernetes.api.model.Node gpuNode(String name, int gpus, String model) {
    return new NodeBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels(WellKnown.GFD_MEMORY_MIB, "81920")
        .addToLabels("gpu", model)
        .endMetadata()
        .withNewStatus()
        .addToAllocatable(WellKnown.GPU_RESOURCE, new Quantity(Integer.toString(gpus)))
        .endStatus()
        .build();
  }

  private static Pod gpuPod(String namespace, String name, int gpus) {
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .addToLabels("app", "b")
        .endMetadata()
        .withNewSpec()
        .withSchedulerName(WellKnown.SCHEDULER_NAME)
        .addNewContainer()
        .withName("main")
        .withImage("busybox")
        .withNewResources()
        .addToLimits(WellKnown.GPU_RESOURCE, new Quantity(Integer.toString(gpus)))
        .endResources()
        .endContainer()
        .endSpec()
        .build();
  }

  private static Pod pooled(Pod pod, String pools) {
    pod.getMetadata().setAnnotations(new java.util.HashMap<>(java.util.Map.of(WellKnown.NODE_POOLS, pools)));
    return pod;
  }

  private static Pod elastic(Pod pod) {
    pod.getMetadata().setAnnotations(new java.util.HashMap<>(java.util.Map.of(WellKnown.ELASTIC_ANNOTATION, "true")));
    return pod;
  }

  private static Pod member(Pod pod, String group) {
    pod.getMetadata().getLabels().put(WellKnown.POD_GROUP_LABEL, group);
    return pod;
  }
}
