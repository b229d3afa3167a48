package dev.tessera.extender.policy;

import static dev.tessera.extender.policy.Policies.podGroup;
import static dev.tessera.extender.policy.Policies.pool;
import static dev.tessera.extender.policy.Policies.project;
import static dev.tessera.extender.policy.Policies.quota;
import static dev.tessera.extender.testing.Await.await;
import static dev.tessera.extender.testing.Await.awaitValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.conditions.Condition;
import dev.tessera.api.policy.NodePoolResource;
import dev.tessera.api.policy.PodGroupResource;
import dev.tessera.api.policy.PodGroupStatus;
import dev.tessera.api.policy.PolicyRef;
import dev.tessera.api.policy.PolicyResource;
import dev.tessera.api.policy.ProjectResource;
import dev.tessera.api.policy.ProjectSpec;
import dev.tessera.api.policy.ProjectStatus;
import dev.tessera.extender.testing.MutableClock;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PolicyInformersTest {
  private static final String T0 = "2024-01-01T00:00:00Z";

  private final MutableClock clock = MutableClock.atEpochOfTests();
  private final AtomicReference<PolicyCatalog> latest = new AtomicReference<>();
  private final AtomicInteger deliveries = new AtomicInteger();
  private PolicyApi api;
  private KubernetesClient client;
  private ScheduledExecutorService executor;
  private PolicyInformers informers;

  @BeforeEach
  void startApi() {
    api = new PolicyApi();
    client = api.client();
    executor = Executors.newSingleThreadScheduledExecutor();
  }

  @AfterEach
  void stopAll() {
    if (informers != null) {
      informers.close();
    }
    executor.shutdownNow();
    api.close();
  }

  @Test
  void startDeliversTheCatalogOfWhatIsThereAndMarksEveryObject() {
    create(pool("a100", "gpu", "a100"));
    create(project("ml").namespaces("ml").quota(quota("a100", 4.0)).obj());
    create(podGroup("ml", "train", 4, "ml", null));

    start();

    PolicyCatalog catalog = latest.get();
    assertNotNull(catalog, "start() delivers the first catalog before it returns");
    assertSame(catalog, informers.catalog());
    assertEquals("a100", catalog.poolOf(Map.of("gpu", "a100")));
    assertEquals("ml", catalog.projectOfNamespace("ml").orElseThrow().name());
    assertEquals(4, catalog.podGroup("ml", "train").orElseThrow().minMember());
    for (Condition c : List.of(
        accepted(get(NodePoolResource.class, null, "a100")),
        accepted(get(ProjectResource.class, null, "ml")),
        accepted(get(PodGroupResource.class, "ml", "train")))) {
      assertEquals(new Condition("Accepted", "True", "Valid", "accepted", c.observedGeneration(), T0), c);
    }
    assertEquals(get(ProjectResource.class, null, "ml").getMetadata().getGeneration(),
        accepted(get(ProjectResource.class, null, "ml")).observedGeneration());
    assertEquals(3, api.statusWrites());
  }

  @Test
  void anEmptyClusterStillDeliversACatalog() {
    start();
    assertEquals(PolicyCatalog.EMPTY, latest.get());
    assertEquals(1, deliveries.get());
  }

  @Test
  void objectsCreatedLaterReachTheListener() {
    start();
    create(pool("h100", "gpu", "h100"));
    create(project("nlp").namespaces("nlp", "nlp-dev").quota(quota("h100", 2.0)).obj());
    create(podGroup("nlp-dev", "gang", 3, null, 60));

    await("the new objects in the catalog", () -> latest.get().podGroup("nlp-dev", "gang").isPresent()
        && latest.get().projects().containsKey("nlp") && latest.get().pool("h100").isPresent());
    assertEquals("nlp", latest.get().projectOfNamespace("nlp-dev").orElseThrow().name());
    awaitAccepted(ProjectResource.class, null, "nlp", "True");
    awaitAccepted(PodGroupResource.class, "nlp-dev", "gang", "True");
  }

  @Test
  void aBadProjectIsMarkedThroughTheApiAndFixingItAcceptsIt() {
    start();
    create(project("ml").namespaces("ml").quota(quota("a100", 4.0)).obj());

    Condition rejected = awaitAccepted(ProjectResource.class, null, "ml", "False");
    assertEquals("Invalid", rejected.reason());
    assertTrue(rejected.message().contains("quotas: node pool a100 does not exist"), rejected.message());
    assertEquals(T0, rejected.lastTransitionTime());
    assertFalse(latest.get().projects().containsKey("ml"));
    assertTrue(latest.get().projectOfNamespace("ml").isEmpty());

    clock.advance(Duration.ofMinutes(1));
    create(pool("a100", "gpu", "a100"));

    Condition fixed = awaitAccepted(ProjectResource.class, null, "ml", "True");
    assertEquals("Valid", fixed.reason());
    assertEquals("2024-01-01T00:01:00Z", fixed.lastTransitionTime());
    await("the project in the catalog", () -> latest.get().projects().containsKey("ml"));
    assertEquals("ml", latest.get().projectOfNamespace("ml").orElseThrow().name());
  }

  @Test
  void editingASpecReEvaluatesItAndKeepsTheTransitionTimeWhileTheVerdictStands() {
    start();
    create(project("ml").quota(quota("default", -1.0)).obj());
    Condition first = awaitAccepted(ProjectResource.class, null, "ml", "False");
    assertTrue(first.message().contains("deservedGpus must be >= 0"), first.message());

    clock.advance(Duration.ofMinutes(5));
    client.resources(ProjectResource.class).withName("ml").edit(p -> {
      p.setSpec(new ProjectSpec(null, null, List.of(quota("default", 4.0, 1.0, 2.0)), null, null, null));
      return p;
    });

    Condition second = awaitValue("the new reason", () -> {
      Condition c = accepted(get(ProjectResource.class, null, "ml"));
      return c != null && c.message().contains("limitGpus (2) is below deservedGpus (4)") ? c : null;
    });
    assertEquals("False", second.status());
    assertEquals(T0, second.lastTransitionTime(), "still rejected: the status did not transition");
    assertEquals(first.observedGeneration() + 1, second.observedGeneration());

    client.resources(ProjectResource.class).withName("ml").edit(p -> {
      p.setSpec(new ProjectSpec(null, null, List.of(quota("default", 1.0, 1.0, 2.0)), null, null, null));
      return p;
    });
    assertEquals("2024-01-01T00:05:00Z", awaitAccepted(ProjectResource.class, null, "ml", "True").lastTransitionTime());
  }

  @Test
  void deletingAnObjectRemovesItFromTheCatalog() {
    create(project("ml").namespaces("ml").obj());
    create(podGroup("ml", "train", 2, "ml", null));
    start();
    assertTrue(latest.get().projects().containsKey("ml"));

    client.resources(PodGroupResource.class).inNamespace("ml").withName("train").delete();
    await("the pod group to leave the catalog", () -> latest.get().podGroup("ml", "train").isEmpty());
    assertEquals(null, latest.get().verdict(PolicyRef.podGroup("ml", "train")));

    client.resources(ProjectResource.class).withName("ml").delete();
    await("the project to leave the catalog", () -> latest.get().projects().isEmpty());
    assertTrue(latest.get().projectByNamespace().isEmpty());
  }

  @Test
  void nothingChangedMeansNoStatusWrite() {
    create(pool("a100", "gpu", "a100"));
    create(project("good").quota(quota("a100", 1.0)).obj());
    create(project("bad").quota(quota("a100", -1.0)).obj());
    start();
    assertEquals(3, api.statusWrites(), "one write per object at start");
    Map<String, String> versions = Map.of(
        "good", version(ProjectResource.class, "good"),
        "bad", version(ProjectResource.class, "bad"),
        "a100", version(NodePoolResource.class, "a100"));

    // Each sentinel's ADDED event comes after the echoes of every earlier status write on the
    // projects' watch, so by the time the catalog has it, those echoes have been recomputed.
    for (int i = 1; i <= 3; i++) {
      String sentinel = "sentinel-" + i;
      create(project(sentinel).quota(quota("a100", 1.0)).obj());
      await("the sentinel in the catalog", () -> latest.get().projects().containsKey(sentinel));
      awaitAccepted(ProjectResource.class, null, sentinel, "True");
      assertEquals(3 + i, api.statusWrites(), "only the new object's status is written");
    }
    // A node that changes no label causes no work either.
    client.nodes().resource(node("n1", Map.of("gpu", "a100"))).create();
    client.nodes().withName("n1").edit(n -> {
      n.getMetadata().setAnnotations(Map.of("heartbeat", "1"));
      return n;
    });
    create(project("sentinel-4").obj());
    awaitAccepted(ProjectResource.class, null, "sentinel-4", "True");
    assertEquals(7, api.statusWrites());
    assertEquals(versions, Map.of(
        "good", version(ProjectResource.class, "good"),
        "bad", version(ProjectResource.class, "bad"),
        "a100", version(NodePoolResource.class, "a100")));
  }

  @Test
  void otherStatusFieldsAndConditionsAreKept() {
    create(project("ml").obj());
    ProjectResource withFigures = get(ProjectResource.class, null, "ml");
    Condition other = new Condition("Reclaiming", "False", "Idle", "nothing to reclaim", 1L, T0);
    ProjectStatus.Pool figures = new ProjectStatus.Pool("default", 2.0, 3.5, 1.0, 0.5);
    withFigures.setStatus(new ProjectStatus(List.of(other), List.of(figures)));
    client.resources(ProjectResource.class).resource(withFigures).updateStatus();
    create(podGroup("ml", "g", 2, null, null));
    PodGroupResource group = get(PodGroupResource.class, "ml", "g");
    group.setStatus(new PodGroupStatus("Running", null));
    client.resources(PodGroupResource.class).inNamespace("ml").resource(group).updateStatus();

    start();

    ProjectStatus status = get(ProjectResource.class, null, "ml").getStatus();
    assertEquals(List.of(figures), status.pools());
    assertEquals(2, status.conditions().size());
    assertEquals(other, status.conditions().get(0));
    assertEquals("True", status.conditions().get(1).status());
    PodGroupStatus groupStatus = get(PodGroupResource.class, "ml", "g").getStatus();
    assertEquals("Running", groupStatus.phase());
    assertEquals("True", accepted(get(PodGroupResource.class, "ml", "g")).status());
  }

  @Test
  void nodeLabelsFeedTheOverlapCheck() {
    create(pool("a100", "gpu", "a100"));
    create(pool("team-x", "team", "x"));
    start();
    Condition bySelector = awaitAccepted(NodePoolResource.class, null, "a100", "False");
    assertTrue(bySelector.message().contains("overlaps node pool team-x's"), bySelector.message());
    assertFalse(bySelector.message().contains("node n1"), bySelector.message());

    client.nodes().resource(node("n1", Map.of("gpu", "a100", "team", "x"))).create();
    await("the node named in the pool's reasons",
        () -> accepted(get(NodePoolResource.class, null, "a100")).message().contains("node n1 matches both"));

    client.nodes().withName("n1").edit(n -> {
      n.getMetadata().getLabels().remove("team");
      return n;
    });
    await("the node no longer named",
        () -> !accepted(get(NodePoolResource.class, null, "a100")).message().contains("node n1"));
  }

  @Test
  void aFailingListenerDoesNotStopStatusWrites() {
    Consumer<PolicyCatalog> failing = c -> {
      deliveries.incrementAndGet();
      throw new IllegalStateException("listener bug");
    };
    informers = new PolicyInformers(client, failing, clock, executor, Duration.ofMillis(5));
    informers.start(Duration.ofSeconds(10));
    create(project("ml").obj());
    awaitAccepted(ProjectResource.class, null, "ml", "True");
    assertTrue(informers.catalog().projects().containsKey("ml"));
    assertTrue(deliveries.get() >= 2);
  }

  @Test
  void startFailsClearlyWhenTheApiServerIsUnreachable() {
    Config config = new ConfigBuilder(Config.empty())
        .withMasterUrl("http://127.0.0.1:1")
        .withRequestRetryBackoffLimit(0)
        .withRequestTimeout(1_000)
        .build();
    try (KubernetesClient unreachable = new KubernetesClientBuilder().withConfig(config).build()) {
      PolicyInformers broken = new PolicyInformers(unreachable, c -> {}, Clock.systemUTC(), executor);
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> broken.start(Duration.ofSeconds(3)));
      assertTrue(e.getMessage().contains("05-crds.yaml"), e.getMessage());
      assertEquals(PolicyCatalog.EMPTY, broken.catalog());
      broken.close();
    }
  }

  // --- helpers ---

  private void start() {
    informers = new PolicyInformers(client, c -> {
      latest.set(c);
      deliveries.incrementAndGet();
    }, clock, executor, Duration.ofMillis(5));
    informers.start(Duration.ofSeconds(10));
  }

  private void create(PolicyResource<?, ?> resource) {
    client.resource(resource).create();
  }

  private <R extends PolicyResource<?, ?>> R get(Class<R> type, String namespace, String name) {
    return namespace == null
        ? client.resources(type).withName(name).get()
        : client.resources(type).inNamespace(namespace).withName(name).get();
  }

  private String version(Class<? extends PolicyResource<?, ?>> type, String name) {
    return get(type, null, name).getMetadata().getResourceVersion();
  }

  private static Condition accepted(PolicyResource<?, ?> resource) {
    if (resource == null || resource.getStatus() == null) {
      return null;
    }
    return Condition.find(resource.statusOrEmpty().conditions(), Condition.ACCEPTED);
  }

  /** Waits until the object, read from the API, has an Accepted condition with this status. */
  private <R extends PolicyResource<?, ?>> Condition awaitAccepted(
      Class<R> type, String namespace, String name, String status) {
    return awaitValue(type.getSimpleName() + " " + name + " Accepted=" + status, () -> {
      Condition c = accepted(get(type, namespace, name));
      return c != null && status.equals(c.status()) ? c : null;
    });
  }

  private static Node node(String name, Map<String, String> labels) {
    return new NodeBuilder().withNewMetadata().withName(name).withLabels(new java.util.HashMap<>(labels)).endMetadata()
        .build();
  }
}
