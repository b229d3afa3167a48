package dev.tessera.mockapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Pods' logs on the in-process API server: what its simulated kubelets say, as a real one relays it. */
class PodLogsTest {
  private final EmbeddedApiServer api = EmbeddedApiServer.start();
  private final KubernetesClient client = api.client();

  @AfterEach
  void stop() {
    api.close();
  }

  @Test
  void aLogIsTheSimulatedContainersTextTailedAsAsked() {
    client.pods().inNamespace("team").resource(new PodBuilder().withNewMetadata().withName("trainer").endMetadata()
        .withNewSpec().addNewContainer().withName("main").withImage("pytorch").endContainer().endSpec().build())
        .create();
    // Nothing simulates containers yet: refused as for a container that has not started.
    KubernetesClientException waiting = assertThrows(KubernetesClientException.class,
        () -> client.pods().inNamespace("team").withName("trainer").getLog());
    assertEquals(400, waiting.getCode());
    assertTrue(waiting.getMessage().contains("waiting to start"), waiting.getMessage());

    api.podLogs((pod, container) -> pod.getMetadata().getName().equals("trainer")
        ? Optional.of("step 1\nstep 2\nstep 3\n") : Optional.empty());
    assertEquals("step 1\nstep 2\nstep 3\n", client.pods().inNamespace("team").withName("trainer").getLog());
    assertEquals("step 2\nstep 3\n",
        client.pods().inNamespace("team").withName("trainer").tailingLines(2).getLog());

    // Another pod's log is not the store's contents, as fabric8's CRUD server would answer.
    KubernetesClientException missing = assertThrows(KubernetesClientException.class,
        () -> client.pods().inNamespace("team").withName("nobody").getLog());
    assertEquals(404, missing.getCode());
  }
}
