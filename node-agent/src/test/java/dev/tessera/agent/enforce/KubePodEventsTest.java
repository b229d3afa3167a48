package dev.tessera.agent.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.agent.Await;
import dev.tessera.agent.deviceplugin.ClaimRecord;
import dev.tessera.agent.gpu.TestClock;
import dev.tessera.agent.kube.KubeApi;
import dev.tessera.agent.kube.KubeConfig;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.net.URI;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Events reach a real HTTP API (fabric8's mock in CRUD mode) as kubectl describe shows them. */
class KubePodEventsTest {
  private KubernetesMockServer server;
  private KubernetesClient client;

  @BeforeEach
  void start() {
    server = new KubernetesMockServer(
        new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    client = server.createClient();
  }

  @AfterEach
  void stop() {
    client.close();
    server.destroy();
  }

  @Test
  void recordsAWarningOnThePod() throws Exception {
    KubeApi api = new KubeApi(new KubeConfig(URI.create(server.url("/")), () -> "token", null));
    TestClock clock = new TestClock(Instant.parse("2026-11-23T10:00:00Z"));
    ClaimRecord pod = new ClaimRecord("team", "train-0", "uid-0", "main", List.of("GPU-1"));

    new KubePodEvents(api, "gpu-node-1", clock).warning(pod, GpuMemoryGuard.LOAN_RECLAIMED, "process 9 was killed");

    Await.until(() -> !client.v1().events().inNamespace("team").list().getItems().isEmpty(), "the event");
    Event event = client.v1().events().inNamespace("team").list().getItems().get(0);
    assertEquals("Pod", event.getInvolvedObject().getKind());
    assertEquals("train-0", event.getInvolvedObject().getName());
    assertEquals("uid-0", event.getInvolvedObject().getUid());
    assertEquals("Warning", event.getType());
    assertEquals("GpuMemoryLoanReclaimed", event.getReason());
    assertEquals("process 9 was killed", event.getMessage());
    assertEquals("tessera-node-agent", event.getSource().getComponent());
    assertEquals("gpu-node-1", event.getSource().getHost());
    assertEquals("2026-11-23T10:00:00Z", event.getLastTimestamp());
  }

  @Test
  void recordsANormalEventOnThePod() throws Exception {
    KubeApi api = new KubeApi(new KubeConfig(URI.create(server.url("/")), () -> "token", null));
    ClaimRecord pod = new ClaimRecord("team", "train-0", "uid-0", "main", List.of("GPU-1"));

    new KubePodEvents(api, "gpu-node-1", new TestClock(Instant.parse("2026-11-23T10:00:00Z")))
        .normal(pod, "GpuComputeShareLent", "may use up to 70%");

    Await.until(() -> !client.v1().events().inNamespace("team").list().getItems().isEmpty(), "the event");
    Event event = client.v1().events().inNamespace("team").list().getItems().get(0);
    assertEquals("Normal", event.getType());
    assertEquals("GpuComputeShareLent", event.getReason());
  }
}
