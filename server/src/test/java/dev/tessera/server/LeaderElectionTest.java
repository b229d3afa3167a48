package dev.tessera.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tessera.extender.ExtenderConfig;
import dev.tessera.extender.ha.LeaderLabel;
import dev.tessera.extender.ha.Leadership;
import dev.tessera.extender.telemetry.ReportConfig;
import dev.tessera.extender.testing.Await;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Replicas electing the one that decides, against the in-process API server's Leases and pods. */
class LeaderElectionTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private EmbeddedApiServer api;
  private KubernetesClient client;

  @BeforeEach
  void setUp() {
    api = EmbeddedApiServer.start();
    client = api.client();
  }

  @AfterEach
  void tearDown() {
    api.close();
  }

  private Leadership.Settings settings(String identity) {
    return new Leadership.Settings("tessera-system", "tessera-extender", identity, Duration.ofSeconds(3));
  }

  @Test
  void oneLeadsAndTheOtherTakesOverWhenItHandsTheLeaseOver() throws InterruptedException {
    AtomicInteger leading = new AtomicInteger();
    AtomicBoolean secondLeads = new AtomicBoolean();
    AtomicBoolean firstLost = new AtomicBoolean();
    Leadership first = new Leadership(client, settings("a"));
    Leadership second = new Leadership(client, settings("b"));
    try {
      first.start(leading::incrementAndGet, () -> firstLost.set(true));
      Await.await("a to lead", () -> leading.get() == 1, Duration.ofSeconds(10));
      second.start(() -> secondLeads.set(true), () -> {});
      Thread.sleep(1500); // b tries the Lease every 600 ms: real time, as the elector keeps it
      assertFalse(secondLeads.get(), "the Lease is a's while it renews it");
      assertEquals("a", client.leases().inNamespace("tessera-system").withName("tessera-extender").get()
          .getSpec().getHolderIdentity());

      first.close();
      Await.await("b to take over once a hands the Lease over", secondLeads::get, Duration.ofSeconds(10));
      assertEquals(1, leading.get());
    } finally {
      first.close();
      second.close();
    }
  }

  @Test
  void theLeaderLabelsItsOwnPodAndARestartedReplicaClearsIt() {
    client.pods().inNamespace("tessera-system").resource(new PodBuilder()
        .withNewMetadata().withName("tessera-extender-abc").withNamespace("tessera-system").endMetadata()
        .withNewSpec().addNewContainer().withName("extender").withImage("x").endContainer().endSpec().build()).create();
    LeaderLabel label = new LeaderLabel(client, "tessera-system", "tessera-extender-abc");

    label.mark();
    assertEquals("true", labels().get(LeaderLabel.LABEL));
    label.clear();
    assertNull(labels().get(LeaderLabel.LABEL));
    new LeaderLabel(client, "tessera-system", null).mark(); // outside a pod: nothing to label, no error
  }

  private java.util.Map<String, String> labels() {
    return client.pods().inNamespace("tessera-system").withName("tessera-extender-abc").get().getMetadata().getLabels();
  }

  @Test
  void aStandbyFillsItsCacheButDecidesNothingUntilActivated() throws Exception {
    try (ExtenderRuntime standby = ExtenderRuntime.standby(
        ExtenderConfig.defaults().withPort(0), ReportConfig.defaults().withPort(0), Duration.ofMinutes(5), client)) {
      assertEquals(200, status(standby, "/syncedz"), "its cache is filled");
      assertEquals(503, status(standby, "/readyz"), "it decides nothing yet");

      standby.activate();
      assertEquals(200, status(standby, "/readyz"));
      standby.activate(); // once only
    }
  }

  private static int status(ExtenderRuntime runtime, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + runtime.port() + path)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
