package dev.tessera.extender.informers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A group of informers against a real HTTP API: all listed, or all stopped with the reason. */
class InformerSyncTest {

  @Test
  void returnsOnceEveryInformerHasListed() {
    try (EmbeddedApiServer api = EmbeddedApiServer.start()) {
      KubernetesClient client = api.client();
      client.nodes().resource(new NodeBuilder().withNewMetadata().withName("n1").endMetadata().build()).create();
      SharedIndexInformer<Node> nodes = client.nodes().runnableInformer(0);
      SharedIndexInformer<Pod> pods = client.pods().inAnyNamespace().runnableInformer(0);
      Map<String, SharedIndexInformer<?>> group = new LinkedHashMap<>();
      group.put("nodes", nodes);
      group.put("pods", pods);

      InformerSync.startAll("the test informers", group, Duration.ofSeconds(30), "check the timeout", "check the start");

      assertTrue(nodes.hasSynced() && pods.hasSynced());
      assertEquals(1, nodes.getStore().list().size());
      InformerSync.stopAll(group.values());
      assertFalse(nodes.isRunning());
    }
  }

  @Test
  void stopsTheWholeGroupAndSaysWhatToCheckWhenOneCannotStart() {
    try (EmbeddedApiServer api = EmbeddedApiServer.start()) {
      KubernetesClient client = api.client();
      SharedIndexInformer<Node> nodes = client.nodes().runnableInformer(0);
      // One of another API server that is gone by the time the group starts: its list fails.
      EmbeddedApiServer gone = EmbeddedApiServer.start();
      KubernetesClient stranded = new KubernetesClientBuilder()
          .withConfig(new ConfigBuilder().withMasterUrl(gone.url()).withRequestRetryBackoffLimit(0).build()).build();
      SharedIndexInformer<Pod> unreachable = stranded.pods().inAnyNamespace().runnableInformer(0);
      gone.close();
      Map<String, SharedIndexInformer<?>> group = new LinkedHashMap<>();
      group.put("nodes", nodes);
      group.put("pods", unreachable);

      IllegalStateException e = assertThrows(IllegalStateException.class, () -> InformerSync.startAll(
          "the test informers", group, Duration.ofSeconds(30), "check the timeout", "is the server up?"));

      assertTrue(e.getMessage().startsWith("the test informers: one failed to start (nodes "), e.getMessage());
      assertTrue(e.getMessage().endsWith(". is the server up?"), e.getMessage());
      assertFalse(nodes.isRunning(), "the informer that did start is stopped again");
      stranded.close();
    }
  }
}
