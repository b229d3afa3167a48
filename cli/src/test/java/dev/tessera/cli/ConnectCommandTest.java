package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.LocalPortForward;
import java.net.ServerSocket;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code tessera connect}: choosing the pod and port, and the argument errors. There is no kubelet
 * behind the in-process API server, so the forward is only opened (fabric8 listens locally and
 * reaches the pod per local connection) and handed to a hold that returns instead of waiting.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConnectCommandTest {
  private EmbeddedApiServer api;
  private KubernetesClient client;

  @BeforeAll
  void start() {
    api = EmbeddedApiServer.start();
    client = api.client();
    TestProjects.create(client, "conn");
  }

  @AfterAll
  void stop() {
    api.close();
  }

  private CliRun.Result tessera(String... args) {
    return CliRun.against(api.url(), Clock.systemUTC(), args);
  }

  private CliRun.Result connect(String... args) {
    return CliRun.connect(api.url(), forward -> {
      throw new AssertionError("no forward expected");
    }, args);
  }

  private void pod(String workload, String name, String phase) {
    client.pods().inNamespace("conn").resource(new PodBuilder()
        .withNewMetadata().withName(name)
        .addToLabels(Workloads.WORKLOAD_LABEL, workload).addToLabels(Workloads.KIND_LABEL, "workspace").endMetadata()
        .withNewSpec().addNewContainer().withName("main").withImage("x").endContainer().endSpec()
        .withNewStatus().withPhase(phase).endStatus()
        .build()).create();
  }

  @Test
  void forwardsTheNamedConnectionToTheFirstRunningPod() throws Exception {
    assertEquals(0, tessera("submit", "ws", "nb", "-p", "conn", "--image", "x", "--port", "jupyter:8888",
        "--port", "tb:6006").exit());
    pod("nb", "nb-0", "Pending");
    pod("nb", "nb-1", "Running");
    pod("nb", "nb-2", "Running");
    int free;
    try (ServerSocket probe = new ServerSocket(0)) {
      free = probe.getLocalPort();
    }
    AtomicReference<LocalPortForward> held = new AtomicReference<>();
    AtomicReference<Integer> listening = new AtomicReference<>();
    CliRun.Result result = CliRun.connect(api.url(), forward -> {
      assertTrue(forward.isAlive(), "the local port is listening while held");
      held.set(forward);
      listening.set(forward.getLocalPort());
    }, "ws", "nb", "tb", "--local-port", String.valueOf(free), "-p", "conn");
    assertEquals(0, result.exit(), result::toString);
    assertEquals("Forwarding http://127.0.0.1:" + free + " -> nb-1:6006 (connection tb); Ctrl-C to stop\n",
        result.out(), result::toString);
    assertEquals(free, listening.get());
    assertFalse(held.get().isAlive(), "the local port is closed once the command ends");

    CliRun.Result first = CliRun.connect(api.url(), forward -> { }, "ws", "nb", "-p", "conn");
    assertEquals(0, first.exit(), first::toString);
    assertTrue(first.out().matches("Forwarding http://127\\.0\\.0\\.1:\\d+ -> nb-1:8888 \\(connection jupyter\\);"
        + " Ctrl-C to stop\n"), first::toString);
  }

  @Test
  void refusesWhatItCannotConnectTo() {
    assertEquals(0, tessera("submit", "ws", "bare", "-p", "conn", "--image", "x").exit());
    CliRun.Result none = connect("ws", "bare", "-p", "conn");
    assertEquals(1, none.exit(), none::toString);
    assertTrue(none.err().contains("workspace 'bare' has no connections (spec.connections)"), none::toString);

    assertEquals(0, tessera("submit", "ws", "web", "-p", "conn", "--image", "x", "--port", "http:80",
        "--port", "ssh:22").exit());
    CliRun.Result unknown = connect("ws", "web", "grpc", "-p", "conn");
    assertEquals(2, unknown.exit(), unknown::toString);
    assertTrue(unknown.err().contains("CONNECTION 'grpc' is not one of workspace 'web''s connections: http, ssh"),
        unknown::toString);

    pod("web", "web-0", "Pending");
    CliRun.Result pending = connect("ws", "web", "-p", "conn");
    assertEquals(1, pending.exit(), pending::toString);
    assertTrue(pending.err().contains("workspace 'web' has no running pod to connect to (pods: web-0 Pending)"),
        pending::toString);

    CliRun.Result badPort = connect("ws", "web", "--local-port", "70000", "-p", "conn");
    assertEquals(2, badPort.exit(), badPort::toString);
    assertTrue(badPort.err().contains("--local-port must be 1-65535, was 70000"), badPort::toString);

    CliRun.Result missing = connect("ws", "ghost", "-p", "conn");
    assertEquals(1, missing.exit(), missing::toString);
    assertTrue(missing.err().contains("workspace 'ghost' not found in project 'conn'"), missing::toString);
  }
}
