package dev.tessera.extender.actions;

import static dev.tessera.extender.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.testing.MutableClock;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KubernetesPodEventsTest {
  private EmbeddedApiServer api;
  private KubernetesClient client;
  private final MutableClock clock = MutableClock.atEpochOfTests();
  private final ExecutorService writer = Executors.newSingleThreadExecutor();

  @BeforeEach
  void start() {
    api = EmbeddedApiServer.start();
    client = api.client();
  }

  @AfterEach
  void stop() throws InterruptedException {
    writer.shutdownNow();
    writer.awaitTermination(5, TimeUnit.SECONDS);
    api.close();
  }

  @Test
  void recordsAnEventOnThePod() {
    KubernetesPodEvents events = new KubernetesPodEvents(client, clock, writer, new EventFactory("extender-0"), 100);
    PodKey pod = new PodKey("team", "notebook", "uid-1");

    events.warn(pod, "InvalidGpuRequest", "gpu-fraction must be a number between 0 and 1");

    List<Event> recorded = awaitEvents("team", 1);
    Event event = recorded.get(0);
    assertEquals("Warning", event.getType());
    assertEquals("InvalidGpuRequest", event.getReason());
    assertEquals("gpu-fraction must be a number between 0 and 1", event.getMessage());
    assertEquals("Pod", event.getInvolvedObject().getKind());
    assertEquals("v1", event.getInvolvedObject().getApiVersion());
    assertEquals("notebook", event.getInvolvedObject().getName());
    assertEquals("team", event.getInvolvedObject().getNamespace());
    assertEquals("uid-1", event.getInvolvedObject().getUid());
    assertEquals(WellKnown.EVENT_SOURCE, event.getSource().getComponent());
    assertEquals(WellKnown.EVENT_SOURCE, event.getReportingComponent());
    assertEquals("extender-0", event.getReportingInstance());
    assertEquals(clock.instant().toString(), event.getFirstTimestamp());
    assertEquals(clock.instant().toString(), event.getLastTimestamp());
    assertEquals("2024-01-01T00:00:00.000000Z", event.getEventTime().getTime());
    assertEquals(1, event.getCount());
    assertTrue(event.getMetadata().getName().startsWith("notebook."), event.getMetadata().getName());
  }

  @Test
  void repeatedCallsForTheSamePodReasonAndMessageMakeOneEvent() {
    KubernetesPodEvents events = new KubernetesPodEvents(client, clock, writer, new EventFactory("extender-0"), 100);
    PodKey pod = new PodKey("team", "typo", "uid-1");
    for (int i = 0; i < 200; i++) {
      events.warn(pod, "InvalidGpuRequest", "bad fraction");
    }
    events.normal(pod, "GpuAssigned", "assigned GPU 0"); // a different event: recorded
    events.warn(new PodKey("team", "typo", "uid-2"), "InvalidGpuRequest", "bad fraction"); // recreated pod

    List<Event> recorded = awaitEvents("team", 3);
    assertEquals(1, recorded.stream().filter(e -> e.getReason().equals("InvalidGpuRequest")
        && e.getInvolvedObject().getUid().equals("uid-1")).count());
  }

  @Test
  void rememberedKeysAreBoundedOldestFirst() {
    KubernetesPodEvents events = new KubernetesPodEvents(client, clock, writer, new EventFactory("extender-0"), 2);
    PodKey pod = new PodKey("team", "p", "uid-1");
    events.warn(pod, "A", "a");
    events.warn(pod, "B", "b");
    events.warn(pod, "C", "c"); // forgets A
    events.warn(pod, "C", "c");
    events.warn(pod, "A", "a"); // recorded again
    List<Event> recorded = awaitEvents("team", 4);
    assertEquals(2, recorded.stream().filter(e -> e.getReason().equals("A")).count());
  }

  @Test
  void callersNeverBlockAndWaitingEventsAreBounded() {
    List<Runnable> parked = new ArrayList<>();
    KubernetesPodEvents events = new KubernetesPodEvents(client, clock, parked::add, new EventFactory("extender-0"), 100_000);
    for (int i = 0; i < KubernetesPodEvents.MAX_PENDING + 500; i++) {
      events.warn(new PodKey("team", "p-" + i, "uid-" + i), "InvalidGpuRequest", "bad");
    }
    assertEquals(KubernetesPodEvents.MAX_PENDING, parked.size());
  }

  @Test
  void failuresAreSwallowed() {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl("http://127.0.0.1:1")
            .withRequestRetryBackoffLimit(0)
            .withRequestTimeout(1_000)
            .build();
    try (KubernetesClient unreachable = new KubernetesClientBuilder().withConfig(config).build()) {
      KubernetesPodEvents events = new KubernetesPodEvents(unreachable, clock, Runnable::run, new EventFactory("extender-0"), 100);
      events.warn(new PodKey("team", "p", "uid-1"), "InvalidGpuRequest", "bad");
      events.warn(new PodKey("team", "p", "uid-1"), "InvalidGpuRequest", "worse");
    }
    KubernetesPodEvents closedWriter = new KubernetesPodEvents(client, clock, r -> {
      throw new java.util.concurrent.RejectedExecutionException("shut down");
    }, new EventFactory("extender-0"), 100);
    closedWriter.warn(new PodKey("team", "p", "uid-1"), "InvalidGpuRequest", "bad");
  }

  @Test
  void longMessagesAreCutToTheApiServersLimit() {
    KubernetesPodEvents events = new KubernetesPodEvents(client, clock, writer, new EventFactory("extender-0"), 100);
    String message = "é".repeat(2000);
    Event event = events.build(new PodKey("team", "p", "uid-1"), "Warning", "R", message, clock.instant());
    assertTrue(event.getMessage().getBytes(StandardCharsets.UTF_8).length <= EventFactory.MAX_MESSAGE_BYTES);
    assertTrue(event.getMessage().endsWith("..."));
    Event named = events.build(new PodKey("team", "x".repeat(253), "uid-1"), "Warning", "R", "m", clock.instant());
    assertTrue(named.getMetadata().getName().length() <= 253);
  }

  @Test
  void eventNamesAreUniqueEvenWhenTheClockStandsStill() {
    KubernetesPodEvents events = new KubernetesPodEvents(client, clock, writer, new EventFactory("extender-0"), 100);
    PodKey pod = new PodKey("team", "p", "uid-1");
    for (int i = 0; i < 5; i++) {
      events.warn(pod, "R", "message " + i);
    }
    assertEquals(5, awaitEvents("team", 5).stream().map(e -> e.getMetadata().getName()).distinct().count());
  }

  private List<Event> awaitEvents(String namespace, int atLeast) {
    try {
      writer.submit(() -> {}).get(10, TimeUnit.SECONDS); // everything queued before has been written
    } catch (Exception e) {
      throw new AssertionError("the event writer did not drain", e);
    }
    await(atLeast + " events in " + namespace,
        () -> client.v1().events().inNamespace(namespace).list().getItems().size() >= atLeast);
    return client.v1().events().inNamespace(namespace).list().getItems();
  }
}
