package dev.tessera.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.tessera.api.WellKnown;
import dev.tessera.api.workloads.InferenceResource;
import dev.tessera.api.workloads.InferenceSpec;
import dev.tessera.api.workloads.WorkloadSpec;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An Inference scaling on requests in flight against a real control plane: its replicas' metrics
 * pages are this test's, one HTTP server per replica on its own loopback address (127.0.0.2,
 * 127.0.0.3, ...), each replica's pod status pointed there once fakelet.py has made it Running
 * with its one fixed pod IP. The extender, a process of its own, reads them as it would read
 * vLLM's, scales the Deployment up when they report load and back down to the minimum once they
 * report none for the scale-down delay.
 */
class InferenceScalingIT {
  private static final String NAME = "chat";
  private static final String SERIES = "e2e_requests_in_flight";
  /** One per replica the inference may have, and one for a replica the ReplicaSet might replace. */
  private static final int ADDRESSES = 4;
  private static final Duration SCALE_WAIT = Duration.ofSeconds(90);

  private Installation tessera;
  private KubernetesClient api;
  /** What every replica's page reports as in flight now. */
  private final AtomicInteger inFlight = new AtomicInteger();
  private final List<HttpServer> pages = new ArrayList<>();
  private final List<String> free = new ArrayList<>();
  /** The loopback address given to each replica, by pod name. */
  private final Map<String, String> given = new LinkedHashMap<>();
  private int port;

  @BeforeEach
  void setUp() {
    tessera = Installation.fresh();
    api = tessera.admin();
    Workloads.gpuNode(api, "w-1", 4, Map.of());
    servePages();
    tessera.startExtender().awaitReady(Duration.ofSeconds(60));
  }

  @AfterEach
  void tearDown() {
    pages.forEach(page -> page.stop(0));
  }

  /** One page server per loopback address, all on one port: the inference's connection's port. */
  private void servePages() {
    for (int attempt = 0; attempt < 10 && pages.size() < ADDRESSES; attempt++) {
      pages.forEach(page -> page.stop(0));
      pages.clear();
      free.clear();
      port = 0;
      try {
        for (int i = 0; i < ADDRESSES; i++) {
          String address = "127.0.0." + (2 + i);
          HttpServer page = HttpServer.create(new InetSocketAddress(InetAddress.getByName(address), port), 0);
          page.createContext("/metrics", exchange -> {
            byte[] body = ("# HELP " + SERIES + " requests being served\n# TYPE " + SERIES + " gauge\n"
                + SERIES + "{model=\"e2e\"} " + inFlight.get() + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          });
          page.start();
          pages.add(page);
          free.add(address);
          port = page.getAddress().getPort();
        }
      } catch (BindException taken) {
        // the port the first address got is taken on another: try another port
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    assertEquals(ADDRESSES, pages.size(), "could not serve the replicas' pages on one port of " + ADDRESSES
        + " loopback addresses");
  }

  @Test
  void anInferenceScalesUpOnRequestsInFlightAndBackToItsMinimumWhenIdle() {
    inFlight.set(5); // on its one replica: 5 in flight at 2 per replica wants 3
    InferenceResource inference = new InferenceResource();
    inference.setMetadata(new ObjectMetaBuilder().withNamespace(Workloads.NAMESPACE).withName(NAME).build());
    inference.setSpec(new InferenceSpec("registry.invalid/serve:1", null, null, null,
        new WorkloadSpec.GpuSpec(1, null, null, null, null, null), "100m", null, null, null, null, null, null, null,
        List.of(new WorkloadSpec.Connection("http", port, null)), null, 1, 3,
        new InferenceSpec.Autoscaling(InferenceSpec.CONCURRENCY, 2, "10s", null, null,
            SERIES + "{model=\"e2e\"}")));
    api.resource(inference).create();

    awaitReplicas(3, "a scale-up to 3 on 5 requests in flight");
    // The event is written after the Deployment is scaled, on the extender's event thread.
    Await.until("the ScaledUp event", SCALE_WAIT, () -> messages("ScaledUp").contains(
            "from 1 to 3 replicas: 5 request(s) in flight over 1 ready replica(s), target 2 per replica"),
        () -> "events: " + messages(null));
    Await.until("3 replicas serving their pages", SCALE_WAIT, () -> pointReplicasAtPages() == 3,
        () -> "replicas at pages: " + given + "; extender log " + tessera.extender().log);

    inFlight.set(0);
    long idleSince = System.nanoTime();
    awaitReplicas(1, "a scale-down to the minimum once idle for 10s");
    long idleFor = Duration.ofNanos(System.nanoTime() - idleSince).toSeconds();
    assertTrue(idleFor >= 10, "scaled down after " + idleFor + " s idle, before the 10 s delay");
    Await.until("the ScaledDown event", SCALE_WAIT, () -> !messages("ScaledDown").isEmpty(),
        () -> "events: " + messages(null));
    List<String> down = messages("ScaledDown");
    assertEquals(List.of("from 3 to 1 replicas: 0 request(s) in flight over 3 ready replica(s), target 2 per replica,"
        + " for 10s or more"), down, "events: " + messages(null));
    assertEquals(1, messages("ScaledUp").size(), "one scale-up only: " + messages(null));
  }

  /** Waits for the Deployment to ask for {@code replicas}, pointing replicas at their pages meanwhile. */
  private void awaitReplicas(int replicas, String what) {
    Await.until(what, SCALE_WAIT, () -> {
      pointReplicasAtPages();
      var deployment = api.apps().deployments().inNamespace(Workloads.NAMESPACE).withName(NAME).get();
      return deployment != null && deployment.getSpec().getReplicas() == replicas;
    }, () -> "replicas at pages: " + given + "; events: " + messages(null) + "; extender log "
        + tessera.extender().log);
  }

  /**
   * Gives each Running replica that fakelet left at its one pod IP a loopback address of its own,
   * where a page is served; returns how many replicas are at a page.
   */
  private int pointReplicasAtPages() {
    int atPages = 0;
    for (Pod pod : api.pods().inNamespace(Workloads.NAMESPACE).withLabel(WellKnown.WORKLOAD_LABEL, NAME).list()
        .getItems()) {
      String name = pod.getMetadata().getName();
      String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
      if (pod.getMetadata().getDeletionTimestamp() != null || ip == null) {
        continue;
      }
      if (ip.equals(given.get(name))) {
        atPages++;
        continue;
      }
      if (!"Running".equals(pod.getStatus().getPhase())) {
        continue;
      }
      String address = given.computeIfAbsent(name, n -> free.remove(0));
      // podIPs too: the API server keeps podIP equal to podIPs[0].
      api.pods().inNamespace(Workloads.NAMESPACE).withName(name).editStatus(p -> {
        p.getStatus().setPodIP(address);
        p.getStatus().setPodIPs(List.of(new PodIP(address)));
        return p;
      });
    }
    return atPages;
  }

  /** The messages of the inference's events with this reason (all, for null), oldest first. */
  private List<String> messages(String reason) {
    return api.v1().events().inNamespace(Workloads.NAMESPACE).list().getItems().stream()
        .filter(e -> NAME.equals(e.getInvolvedObject().getName()) && "Inference".equals(e.getInvolvedObject().getKind()))
        .filter(e -> reason == null || reason.equals(e.getReason()))
        .sorted(java.util.Comparator.comparing((Event e) -> e.getEventTime().getTime())
            .thenComparing(e -> e.getMetadata().getName()))
        .map(e -> reason == null ? e.getReason() + ": " + e.getMessage() : e.getMessage())
        .toList();
  }
}
