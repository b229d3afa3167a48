package dev.tessera.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.policy.ProjectResource;
import dev.tessera.api.policy.ProjectSpec;
import dev.tessera.console.access.Caller;
import dev.tessera.console.access.Decision;
import dev.tessera.console.access.Permission;
import dev.tessera.console.access.ProjectAccessController;
import dev.tessera.console.access.SubjectAccessAuthorizer;
import dev.tessera.console.access.TokenReviewAuthenticator;
import dev.tessera.console.access.UnauthenticatedException;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The console's access checks on a real API server, as the console's own ServiceAccount with
 * deploy/75-console-rbac.yaml's grants and deploy/76-user-roles.yaml's roles: the
 * ProjectAccessController binds the roles the Projects' access lists name, TokenReview says whose
 * a real token is, and SubjectAccessReview answers as the RBAC those bindings make.
 *
 * <p>The users are ServiceAccounts with tokens from the TokenRequest API: alice
 * (e2e-users/alice, a researcher of team-a by name) and bob (e2e-viewers/bob, a viewer of team-b
 * through his namespace's group {@code system:serviceaccounts:e2e-viewers}); carol, a project admin
 * of team-a, has no token and is only ever impersonated.
 */
class AccessIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String ALICE = "system:serviceaccount:e2e-users:alice";
  private static final String VIEWERS = "system:serviceaccounts:e2e-viewers";

  private ControlPlane plane;
  private KubernetesClient admin;
  private Path consoleKubeconfig;
  private KubernetesClient console;
  private ProjectAccessController controller;

  @BeforeEach
  void setUp() {
    plane = ControlPlane.shared();
    admin = plane.admin();
    deleteLeftovers();
    for (String namespace : List.of("team-a", "team-b", "e2e-users", "e2e-viewers")) {
      plane.apply(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build());
    }
    plane.apply(new ServiceAccountBuilder().withNewMetadata().withNamespace("e2e-users").withName("alice")
        .endMetadata().build());
    plane.apply(new ServiceAccountBuilder().withNewMetadata().withNamespace("e2e-viewers").withName("bob")
        .endMetadata().build());
    consoleKubeconfig = plane.kubeconfigFor("tessera-console");
    console = ControlPlane.client(consoleKubeconfig);
  }

  @AfterEach
  void tearDown() {
    if (controller != null) {
      controller.close();
    }
    console.close();
    deleteLeftovers();
  }

  @Test
  void projectRolesBoundByTheConsoleDecideWhatRealTokensMayDo() {
    createProject("team-a", access("researcher", List.of(ALICE), null), access("project-admin", List.of("carol"), null));
    createProject("team-b", access("viewer", null, List.of(VIEWERS)));
    controller = new ProjectAccessController(console);
    controller.start();
    Await.until("the console's RoleBindings", WAIT, () -> bindings().equals(Map.of(
        "team-a/tessera-project-admin", "User/carol",
        "team-a/tessera-researcher", "User/" + ALICE,
        "team-b/tessera-viewer", "Group/" + VIEWERS)), () -> "they are " + bindings());

    TokenReviewAuthenticator authenticator = new TokenReviewAuthenticator(console, Clock.systemUTC());
    Caller alice = authenticator.authenticate(token("e2e-users", "alice"));
    assertEquals(ALICE, alice.user());
    assertTrue(alice.groups().containsAll(List.of("system:serviceaccounts", "system:serviceaccounts:e2e-users",
        "system:authenticated")), "alice's groups " + alice.groups());
    Caller bob = authenticator.authenticate(token("e2e-viewers", "bob"));
    assertTrue(bob.groups().contains(VIEWERS), "bob's groups " + bob.groups());
    UnauthenticatedException garbage =
        assertThrows(UnauthenticatedException.class, () -> authenticator.authenticate("not-a-token"));
    assertTrue(garbage.getMessage().startsWith("the API server does not accept the token"), garbage.getMessage());

    // The API server's RBAC reads bindings from its own informers: give it a moment before
    // asking the authorizer that remembers answers.
    Await.until("RBAC to know alice's binding", WAIT, () -> new SubjectAccessAuthorizer(console, Clock.systemUTC())
        .check(alice, Permission.tessera("patch", "trainings", "team-a")).allowed());
    SubjectAccessAuthorizer authorizer = new SubjectAccessAuthorizer(console, Clock.systemUTC());
    Decision patchA = authorizer.check(alice, Permission.tessera("patch", "trainings", "team-a"));
    assertTrue(patchA.allowed(), patchA.reason());
    assertTrue(patchA.reason().contains("tessera-researcher"), "RBAC's reason names the binding: " + patchA.reason());
    Decision patchB = authorizer.check(alice, Permission.tessera("patch", "trainings", "team-b"));
    assertFalse(patchB.allowed());
    assertEquals("no RBAC rule lets " + ALICE + " patch trainings.tessera.dev in namespace team-b", patchB.reason());
    assertTrue(authorizer.check(bob, Permission.tessera("list", "trainings", "team-b")).allowed());
    assertTrue(authorizer.check(bob, Permission.podLogs("team-b")).allowed());
    assertFalse(authorizer.check(bob, Permission.tessera("patch", "trainings", "team-b")).allowed());
    assertFalse(authorizer.check(bob, Permission.tessera("list", "trainings", "team-a")).allowed());
    Caller carol = new Caller("carol", List.of("system:authenticated"));
    assertTrue(authorizer.check(carol,
        new Permission("create", "rbac.authorization.k8s.io", "rolebindings", null, "team-a")).allowed());

    // What the console does for its callers it does as them: the API server's RBAC decides.
    try (KubernetesClient asAlice = impersonating(alice); KubernetesClient asCarol = impersonating(carol)) {
      submitTraining(asAlice, "team-a", "by-alice");
      submitTraining(asCarol, "team-a", "by-carol");
      KubernetesClientException refused =
          assertThrows(KubernetesClientException.class, () -> submitTraining(asAlice, "team-b", "by-alice"));
      assertEquals(403, refused.getCode());
      assertTrue(refused.getMessage().contains("cannot create resource \"trainings\""), refused.getMessage());
    }

    // A role taken out of the access list is taken away.
    admin.resources(ProjectResource.class).withName("team-b").edit(p -> {
      p.setSpec(project("team-b").getSpec());
      return p;
    });
    Await.until("team-b's viewer binding to go", WAIT, () -> !bindings().containsKey("team-b/tessera-viewer"),
        () -> "they are " + bindings());
    Await.until("bob to lose team-b", WAIT,
        () -> !new SubjectAccessAuthorizer(console, Clock.systemUTC())
            .check(bob, Permission.tessera("list", "trainings", "team-b")).allowed());
  }

  @Test
  void theCrdRefusesARoleThatIsNoneOfTheThree() {
    KubernetesClientException e = assertThrows(KubernetesClientException.class,
        () -> createProject("team-a", access("owner", List.of("mallory"), null)));
    assertEquals(422, e.getCode());
    assertTrue(e.getMessage().contains("spec.access[0].role"), e.getMessage());
  }

  private static ProjectSpec.Access access(String role, List<String> users, List<String> groups) {
    return new ProjectSpec.Access(role, users, groups);
  }

  private static ProjectResource project(String name, ProjectSpec.Access... access) {
    ProjectResource project = new ProjectResource();
    project.setMetadata(new ObjectMetaBuilder().withName(name).build());
    project.setSpec(new ProjectSpec(List.of(name), null, null, null, null, List.of(access)));
    return project;
  }

  private void createProject(String name, ProjectSpec.Access... access) {
    admin.resource(project(name, access)).create();
  }

  /** The projects and the trainings of this test; no workload controller runs to hold them up. */
  private void deleteLeftovers() {
    admin.resources(ProjectResource.class).withName("team-a").delete();
    admin.resources(ProjectResource.class).withName("team-b").delete();
    admin.genericKubernetesResources("tessera.dev/v1alpha1", "Training").inNamespace("team-a").delete();
  }

  /** The RoleBindings in team-a and team-b, as "namespace/name" to their subjects. */
  private Map<String, String> bindings() {
    return admin.rbac().roleBindings().inAnyNamespace().list().getItems().stream()
        .filter(b -> List.of("team-a", "team-b").contains(b.getMetadata().getNamespace()))
        .collect(Collectors.toMap(b -> b.getMetadata().getNamespace() + "/" + b.getMetadata().getName(),
            AccessIT::subjects));
  }

  private static String subjects(RoleBinding binding) {
    return binding.getSubjects().stream().map(s -> s.getKind() + "/" + s.getName()).collect(Collectors.joining(","));
  }

  /** A token of a ServiceAccount from the TokenRequest API: what its pod would have mounted. */
  private String token(String namespace, String serviceAccount) {
    return admin.serviceAccounts().inNamespace(namespace).withName(serviceAccount)
        .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(600L).endSpec().build())
        .getStatus().getToken();
  }

  /** The console's account acting as the caller. */
  private KubernetesClient impersonating(Caller caller) {
    try {
      Config config = Config.fromKubeconfig(null, Files.readString(consoleKubeconfig), consoleKubeconfig.toString());
      config.setImpersonateUsername(caller.user());
      config.setImpersonateGroups(caller.groups().toArray(String[]::new));
      return new KubernetesClientBuilder().withConfig(config).build();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void submitTraining(KubernetesClient client, String namespace, String name) {
    GenericKubernetesResource training = new GenericKubernetesResourceBuilder()
        .withApiVersion("tessera.dev/v1alpha1").withKind("Training")
        .withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
        .addToAdditionalProperties("spec", Map.of("image", "registry.invalid/train:1"))
        .build();
    client.resource(training).create();
  }
}
