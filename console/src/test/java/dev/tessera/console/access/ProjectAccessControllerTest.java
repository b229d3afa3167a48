package dev.tessera.console.access;

import static dev.tessera.console.access.AccessPlanTest.access;
import static dev.tessera.console.access.AccessPlanTest.project;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.api.policy.ProjectResource;
import dev.tessera.api.policy.ProjectSpec;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The controller on fabric8's mock API server: Projects in, RoleBindings out. */
class ProjectAccessControllerTest {
  private EmbeddedApiServer api;
  private KubernetesClient client;
  private ProjectAccessController controller;

  @BeforeEach
  void setUp() {
    api = EmbeddedApiServer.start();
    client = api.client();
    for (String namespace : List.of("cv", "cv-dev", "nlp", "other")) {
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
          .create();
    }
    controller = new ProjectAccessController(api.newClient());
  }

  @AfterEach
  void tearDown() {
    controller.close();
    api.close();
  }

  @Test
  void eachNamespaceOfAProjectGetsABindingPerRoleLabelledAsTesserasOwn() {
    create(project("vision", List.of("cv", "cv-dev"),
        access("researcher", List.of("alice"), List.of("ml")), access("viewer", List.of("bob"), null)));
    controller.start();

    awaitBindings(Map.of(
        "cv/tessera-researcher", "tessera-researcher: User/alice Group/ml",
        "cv/tessera-viewer", "tessera-viewer: User/bob",
        "cv-dev/tessera-researcher", "tessera-researcher: User/alice Group/ml",
        "cv-dev/tessera-viewer", "tessera-viewer: User/bob"));
    RoleBinding binding = client.rbac().roleBindings().inNamespace("cv").withName("tessera-researcher").get();
    assertEquals("tessera", binding.getMetadata().getLabels().get("app.kubernetes.io/managed-by"));
    assertEquals("project-access", binding.getMetadata().getLabels().get("app.kubernetes.io/component"));
    assertEquals("vision", binding.getMetadata().getAnnotations().get("tessera.dev/project"));
    assertEquals("ClusterRole", binding.getRoleRef().getKind());
    assertEquals("rbac.authorization.k8s.io", binding.getSubjects().get(0).getApiGroup());
  }

  @Test
  void bindingsFollowTheAccessListAsItChanges() {
    create(project("vision", List.of("cv", "cv-dev"),
        access("researcher", List.of("alice"), null), access("viewer", List.of("bob"), null)));
    controller.start();
    awaitBindings(Map.of(
        "cv/tessera-researcher", "tessera-researcher: User/alice",
        "cv/tessera-viewer", "tessera-viewer: User/bob",
        "cv-dev/tessera-researcher", "tessera-researcher: User/alice",
        "cv-dev/tessera-viewer", "tessera-viewer: User/bob"));

    // carol joins the researchers, the viewers go, and cv-dev leaves the project.
    update("vision", spec -> new ProjectSpec(List.of("cv"), null, null, null, null,
        List.of(access("researcher", List.of("alice", "carol"), null))));
    awaitBindings(Map.of("cv/tessera-researcher", "tessera-researcher: User/alice User/carol"));

    client.resources(ProjectResource.class).withName("vision").delete();
    awaitBindings(Map.of());
  }

  @Test
  void aBindingChangedOrDeletedByHandIsRestored() {
    create(project("vision", List.of("cv"), access("researcher", List.of("alice"), null)));
    controller.start();
    awaitBindings(Map.of("cv/tessera-researcher", "tessera-researcher: User/alice"));

    client.rbac().roleBindings().inNamespace("cv").withName("tessera-researcher")
        .edit(b -> new RoleBindingBuilder(b).editFirstSubject().withName("mallory").endSubject().build());
    awaitBindings(Map.of("cv/tessera-researcher", "tessera-researcher: User/alice"));

    client.rbac().roleBindings().inNamespace("cv").withName("tessera-researcher").delete();
    awaitBindings(Map.of("cv/tessera-researcher", "tessera-researcher: User/alice"));
  }

  @Test
  void bindingsItDoesNotManageAreLeftAloneEvenOfTheSameName() {
    RoleBinding theirs = new RoleBindingBuilder().withNewMetadata().withNamespace("cv").withName("tessera-viewer")
        .endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", "view")
        .addNewSubject().withKind("User").withName("zed").endSubject().build();
    RoleBinding unrelated = new RoleBindingBuilder(theirs).editMetadata().withName("ci").endMetadata().build();
    client.resource(theirs).create();
    client.resource(unrelated).create();
    create(project("vision", List.of("cv"),
        access("viewer", List.of("bob"), null), access("researcher", List.of("alice"), null)));
    controller.start();

    awaitBindings(Map.of(
        "cv/ci", "view: User/zed",
        "cv/tessera-researcher", "tessera-researcher: User/alice",
        "cv/tessera-viewer", "view: User/zed"));
    update("vision", spec -> new ProjectSpec(List.of("cv"), null, null, null, null, null));
    awaitBindings(Map.of("cv/ci", "view: User/zed", "cv/tessera-viewer", "view: User/zed"));
  }

  @Test
  void anUnknownRoleIsSkippedAndTheOtherRolesAndProjectsAreStillBound() {
    // The mock API server applies no schema: the bad entry gets through, as it could on a cluster
    // whose CRD is older than the controller.
    create(project("vision", List.of("cv"),
        access("owner", List.of("mallory"), null), access("researcher", List.of("alice"), null)));
    create(project("nlp", List.of("nlp"), access("viewer", List.of("bob"), null)));
    controller.start();

    awaitBindings(Map.of(
        "cv/tessera-researcher", "tessera-researcher: User/alice",
        "nlp/tessera-viewer", "tessera-viewer: User/bob"));
  }

  @Test
  void aBindingTheApiServerRefusesIsTriedAgainLaterAndTheOthersAreMadeMeanwhile() {
    // No namespace "later" yet, says the API server twice; the mock server does not check by itself.
    api.expect().post().withPath("/apis/rbac.authorization.k8s.io/v1/namespaces/later/rolebindings")
        .andReturn(404, new StatusBuilder().withCode(404).withReason("NotFound")
            .withMessage("namespaces \"later\" not found").build())
        .times(2);
    ProjectAccessController quick = new ProjectAccessController(api.newClient(), Duration.ofMillis(100));
    try {
      create(project("new", List.of("later", "other"), access("viewer", List.of("bob"), null)));
      quick.start();
      awaitBindings(Map.of(
          "later/tessera-viewer", "tessera-viewer: User/bob", "other/tessera-viewer", "tessera-viewer: User/bob"));
    } finally {
      quick.close();
    }
  }

  @Test
  void itStartsOnce() {
    controller.start();
    assertThrows(IllegalStateException.class, controller::start);
  }

  private void create(ProjectResource project) {
    client.resource(project).create();
  }

  private void update(String name, java.util.function.UnaryOperator<ProjectSpec> change) {
    client.resources(ProjectResource.class).withName(name).edit(p -> {
      p.setSpec(change.apply(p.getSpec()));
      return p;
    });
  }

  /** Waits until the RoleBindings of every namespace are these, as "ns/name" to "role: Kind/name ...". */
  private void awaitBindings(Map<String, String> expected) {
    Await.until("RoleBindings " + expected, () -> bindings().equals(new TreeMap<>(expected)),
        () -> "they are " + bindings());
  }

  private Map<String, String> bindings() {
    return client.rbac().roleBindings().inAnyNamespace().list().getItems().stream().collect(Collectors.toMap(
        b -> b.getMetadata().getNamespace() + "/" + b.getMetadata().getName(),
        b -> b.getRoleRef().getName() + ":" + b.getSubjects().stream().map(s -> " " + s.getKind() + "/" + s.getName())
            .collect(Collectors.joining()),
        (a, b) -> a, TreeMap::new));
  }
}
