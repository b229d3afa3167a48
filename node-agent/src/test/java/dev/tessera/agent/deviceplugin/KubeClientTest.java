package dev.tessera.agent.deviceplugin;

import static dev.tessera.agent.deviceplugin.Pods.NODE;
import static dev.tessera.agent.deviceplugin.Pods.pod;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.agent.Await;
import dev.tessera.agent.kube.KubeApiException;
import dev.tessera.agent.kube.NodePods;
import dev.tessera.agent.kube.PodInfo;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The agent's own API client ({@code dev.tessera.agent.kube}) against fabric8's mock API server;
 * here, next to the device plugin's tests, to share their mock server and pod builders.
 */
class KubeClientTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final KubeApi server = new KubeApi();
  private final List<NodePods> started = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() {
    started.forEach(NodePods::close);
    server.close();
  }

  @Test
  void listsThePodsOfTheNodeOnly() {
    server.create(pod("here").node(NODE).gpus(1).annotation("a", "b").scheduledAt("2025-01-01T00:00:00Z").obj());
    server.create(pod("there").node("gpu-node-2").obj());

    dev.tessera.agent.kube.KubeApi.PodList list = server.agentApi().listPods(NODE, TIMEOUT);

    assertEquals(List.of("here"), list.pods().stream().map(PodInfo::name).toList());
    PodInfo here = list.pods().get(0);
    assertEquals("team-a", here.namespace());
    assertEquals("b", here.annotations().get("a"));
    assertEquals("Pending", here.phase());
    assertEquals("2025-01-01T00:00:00Z", here.scheduledAt());
    assertEquals(List.of(new PodInfo.ContainerInfo("main", Set.of("nvidia.com/gpu"))), here.containers());
    assertFalse(list.resourceVersion().isEmpty());
  }

  @Test
  void theWatchSeesAddsUpdatesAndDeletes() {
    List<String> deleted = new CopyOnWriteArrayList<>();
    NodePods pods = start(new NodePods(server.agentApi(), NODE), deleted::add);

    server.create(pod("p").node(NODE).obj());
    Await.until(() -> names(pods).equals(Set.of("p")), "the added pod");

    server.client().pods().inNamespace("team-a").withName("p")
        .edit(p -> { p.getMetadata().getAnnotations().put("seen", "yes"); return p; });
    Await.until(() -> pods.list().stream().anyMatch(p -> "yes".equals(p.annotations().get("seen"))), "the update");

    server.client().pods().inNamespace("team-a").withName("p").delete();
    Await.until(() -> pods.list().isEmpty() && deleted.equals(List.of("team-a/p")), "the delete");
  }

  @Test
  void patchWritesTheAnnotation() {
    server.create(pod("p").node(NODE).obj());

    server.agentApi().patchPod("team-a", "p", "{\"metadata\":{\"annotations\":{\"tessera.dev/gpu-allocated\":\"now\"}}}");

    assertEquals("now", server.get("team-a", "p").getMetadata().getAnnotations().get("tessera.dev/gpu-allocated"));
  }

  @Test
  void aFailedCallSaysWhatFailed() {
    KubeApiException e = org.junit.jupiter.api.Assertions.assertThrows(KubeApiException.class,
        () -> server.agentApi().patchPod("team-a", "missing", "{}"));
    assertEquals(404, e.status());
    assertTrue(e.getMessage().contains("patch pod team-a/missing"), e.getMessage());
  }

  @Test
  void relistsAndWatchesAgainWhenTheWatchEnds() {
    List<dev.tessera.agent.kube.KubeApi.Watch> watches = new CopyOnWriteArrayList<>();
    dev.tessera.agent.kube.KubeApi recording = new dev.tessera.agent.kube.KubeApi(server.agentConfig()) {
      @Override
      public Watch watchPods(String node, String resourceVersion, Consumer<WatchEvent> events) {
        Watch watch = super.watchPods(node, resourceVersion, events);
        watches.add(watch);
        return watch;
      }
    };
    List<String> deleted = new CopyOnWriteArrayList<>();
    NodePods pods = start(new NodePods(recording, NODE, Duration.ofMillis(10), Duration.ofMillis(50)), deleted::add);
    server.create(pod("before").node(NODE).obj());
    Await.until(() -> names(pods).equals(Set.of("before")), "the first watch");

    watches.get(0).close(); // as when the connection drops
    // The mock server keeps no event history, so changes are made once the new watch is open.
    Await.until(() -> watches.size() >= 2, "a second watch");
    server.client().pods().inNamespace("team-a").withName("before").delete();
    server.create(pod("after").node(NODE).obj());

    Await.until(() -> names(pods).equals(Set.of("after")), "the second watch to see the changes");
    Await.until(() -> deleted.equals(List.of("team-a/before")), "the deleted pod reported");
  }

  private NodePods start(NodePods pods, Consumer<String> deleted) {
    pods.addDeleteListener(p -> deleted.accept(p.namespace() + "/" + p.name()));
    pods.start(TIMEOUT);
    started.add(pods);
    return pods;
  }

  private static Set<String> names(NodePods pods) {
    return pods.list().stream().map(PodInfo::name).collect(Collectors.toSet());
  }
}
