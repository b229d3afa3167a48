package dev.tessera.cli;

import dev.tessera.console.ConsoleRuntime;
import dev.tessera.console.metrics.MetricsResult;
import dev.tessera.console.testing.MemoryHistory;
import dev.tessera.console.testing.TableAccess;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The real Workloads API, in-process on the test's API server, with fixed tokens and an in-memory
 * history the test writes entries into; as the console's own ConsoleApiTest starts it.
 */
final class TestConsole implements AutoCloseable {
  final MemoryHistory history = new MemoryHistory();
  final ConsoleRuntime runtime;

  private TestConsole(KubernetesClient client, TableAccess access) throws Exception {
    runtime = ConsoleRuntime.start(new ConsoleRuntime.Settings(0, "lab", Duration.ofDays(30), false, Duration.ZERO),
        client, history, request -> new MetricsResult("test", List.of(), Map.of()), access, access,
        Clock.systemUTC());
  }

  static TestConsole start(KubernetesClient client, TableAccess access) throws Exception {
    return new TestConsole(client, access);
  }

  String url() {
    return "http://127.0.0.1:" + runtime.port();
  }

  /** Waits (polling, up to ten seconds) until the console's catalog shows what the test wrote to the API server. */
  void await(String what, BooleanSupplier condition) throws InterruptedException {
    Instant deadline = Instant.now().plusSeconds(10);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("the console never showed " + what);
      }
      Thread.sleep(20);
    }
  }

  @Override
  public void close() {
    runtime.close();
  }
}
