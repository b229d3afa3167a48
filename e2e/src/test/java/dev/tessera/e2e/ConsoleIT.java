package dev.tessera.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.api.policy.ProjectResource;
import dev.tessera.api.policy.ProjectSpec;
import dev.tessera.api.policy.WorkloadPolicyResource;
import dev.tessera.api.policy.WorkloadPolicySpec;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.console.history.EmbeddedDatabase;
import dev.tessera.console.testing.Browser;
import dev.tessera.controller.workloads.policy.NamedPolicy;
import dev.tessera.controller.workloads.policy.WorkloadPolicies;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/**
 * The Workloads API as users meet it: {@code tessera-console.jar} as its own process, with the
 * tessera-console ServiceAccount's token and deploy/75-console-rbac.yaml's rights, its history in a
 * real PostgreSQL, on the real control plane. Its own ProjectAccessController binds the roles the
 * Projects' access lists name; callers are real tokens (ServiceAccounts' from the TokenRequest
 * API): alice, a researcher of team-a by name, and bob, a viewer of team-b through his namespace's
 * group. Tessera's admission webhook runs in this JVM, so the API server records who created each
 * workload as it does in a cluster.
 *
 * <p>No workload controller runs: the workloads have no status (their rows say Creating) and no
 * pods, and their history holds only what the test writes as Kubernetes events.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Duration GARBAGE_COLLECTOR_WAIT = Duration.ofSeconds(45);
  private static final String TRAININGS = "/api/v1/namespaces/%s/trainings";
  private static final String ALICE = "system:serviceaccount:e2e-users:alice";
  private static final String BOB = "system:serviceaccount:e2e-viewers:bob";
  private static final String VIEWERS = "system:serviceaccounts:e2e-viewers";
  private static final List<String> PROJECTS = List.of("team-a", "team-b");
  private static final ObjectMapper JSON = new ObjectMapper();

  private ControlPlane plane;
  private KubernetesClient admin;
  private AdmissionWebhook webhook;
  private EmbeddedDatabase postgres;
  private String databaseUrl;
  private Path databasePassword;
  private Path consoleKubeconfig;
  private int consoleStarts;
  private ConsoleProcess console;
  private String alice;
  private String bob;

  @BeforeAll
  void startTheConsole() throws IOException {
    plane = ControlPlane.shared();
    admin = plane.admin();
    // The extender (the workload controller) of the test before would give these trainings status and pods.
    Installation.stopExtenderIfStarted();
    deleteLeftovers();
    for (String namespace : List.of("team-a", "team-b", "e2e-users", "e2e-viewers")) {
      plane.apply(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build());
    }
    plane.apply(new ServiceAccountBuilder().withNewMetadata().withNamespace("e2e-users").withName("alice")
        .endMetadata().build());
    plane.apply(new ServiceAccountBuilder().withNewMetadata().withNamespace("e2e-viewers").withName("bob")
        .endMetadata().build());
    alice = token("e2e-users", "alice");
    bob = token("e2e-viewers", "bob");
    admin.resource(project("team-a", new ProjectSpec.Access("researcher", List.of(ALICE), null))).create();
    admin.resource(project("team-b", new ProjectSpec.Access("viewer", null, List.of(VIEWERS)))).create();
    // team-a's workload policy, as an admin writes it: the console reads it for the New workload
    // form, and the webhook (reading the cluster's policies at each review) enforces it.
    admin.resource(teamAPolicy()).create();
    webhook = AdmissionWebhook.register(plane, PROJECTS,
        () -> WorkloadPolicies.of(admin.resources(WorkloadPolicyResource.class).list().getItems().stream()
            .filter(policy -> policy.getSpec() != null).map(NamedPolicy::of).toList()),
        namespace -> PROJECTS.contains(namespace) ? namespace : null);
    for (String name : List.of("a-stop", "a-keep", "a-history")) {
      admin.resource(training("team-a", name)).create();
    }
    for (String name : List.of("b-one", "b-two")) {
      admin.resource(training("team-b", name)).create();
    }

    postgres = EmbeddedDatabase.start();
    databaseUrl = postgres.createDatabase();
    // The server trusts local connections: the password is read, as the Deployment's is, but not checked.
    databasePassword = plane.work.resolve("console-db-password");
    Files.writeString(databasePassword, "not-checked\n");
    consoleKubeconfig = plane.kubeconfigFor("tessera-console");
    console = startConsole();

    // The console binds the roles; the API server's RBAC knows them a moment later. Asked before,
    // the console would remember a refusal for a few seconds.
    Await.until("RBAC to let alice list team-a's and bob team-b's trainings", WAIT,
        () -> rbacAllows(ALICE, List.of(), "list", "team-a") && rbacAllows(BOB, List.of(VIEWERS), "list", "team-b"));
  }

  @AfterAll
  void stopTheConsole() {
    try {
      if (console != null) {
        console.close();
      }
    } finally {
      if (webhook != null) {
        webhook.close();
      }
      if (postgres != null) {
        postgres.close();
      }
      if (admin != null) {
        deleteLeftovers();
      }
    }
  }

  @Test
  void aResearcherListsHerProjectsWorkloadsOnlyAndIsToldWhyAnotherProjectsAreRefused() {
    Await.until("alice's table to show team-a's trainings", WAIT,
        () -> names(list(alice, "")).equals(names("team-a")), () -> "it shows " + names(list(alice, "")));
    JsonNode table = list(alice, "");
    assertEquals("WorkloadList", table.path("kind").asText());
    assertEquals(table.path("items").size(), table.path("total").asInt(), "total counts alice's rows only");
    for (JsonNode row : table.path("items")) {
      assertEquals("team-a", row.path("namespace").asText(), row.toString());
      assertEquals("team-a", row.path("project").asText(), row.toString());
      assertEquals("training", row.path("type").asText(), row.toString());
      assertEquals("e2e", row.path("cluster").asText(), row.toString());
    }

    // team-b's workloads are in the console's table (a cluster admin's token sees them), but no
    // filter or search shows alice one.
    assertEquals(2, list(adminToken(), "&filterBy=" + encode("project==team-b")).path("total").asInt());
    JsonNode filtered = list(alice, "&filterBy=" + encode("project==team-b"));
    assertEquals(0, filtered.path("total").asInt(), filtered.toString());
    assertEquals(0, filtered.path("items").size(), filtered.toString());
    assertEquals(0, list(alice, "&search=b-one").path("total").asInt());

    HttpResponse<String> other = console.get(String.format(TRAININGS, "team-b") + "/b-one", alice);
    JsonNode status = status(other, 403);
    assertEquals("Forbidden", status.path("reason").asText(), other.body());
    assertEquals("user \"" + ALICE + "\" may not get trainings.tessera.dev in namespace team-b (no RBAC rule lets "
        + ALICE + " get trainings.tessera.dev in namespace team-b)", status.path("message").asText());
    // Whether a workload exists is not told either: one that does not is refused the same way.
    HttpResponse<String> missing = console.get(String.format(TRAININGS, "team-b") + "/no-such", alice);
    assertEquals(status.path("message").asText(), status(missing, 403).path("message").asText());
  }

  @Test
  void aViewerMayNotStopAndAResearcherStopsAsHerself() {
    Await.until("bob's table to show team-b's trainings", WAIT,
        () -> names(list(bob, "")).equals(names("team-b")), () -> "it shows " + names(list(bob, "")));
    JsonNode details = json(console.get(String.format(TRAININGS, "team-b") + "/b-one", bob), 200);
    assertEquals(false, details.path("actions").path("stop").path("allowed").asBoolean(true), details.toString());

    HttpResponse<String> refused = console.post(String.format(TRAININGS, "team-b") + "/b-one/stop", bob, "");
    assertEquals("user \"" + BOB + "\" may not patch trainings.tessera.dev in namespace team-b (no RBAC rule lets "
        + BOB + " patch trainings.tessera.dev in namespace team-b)", status(refused, 403).path("message").asText());
    assertNotEquals(Boolean.TRUE, stopped("team-b", "b-one"), "bob's refused stop changed nothing");

    HttpResponse<String> stop = console.post(String.format(TRAININGS, "team-a") + "/a-stop/stop", alice, "");
    JsonNode done = status(stop, 200);
    assertEquals("Success", done.path("status").asText(), stop.body());
    assertEquals("training team-a/a-stop is stopping: its pods go, its definition stays",
        done.path("message").asText());
    assertEquals(Boolean.TRUE, stopped("team-a", "a-stop"), "the Training's spec.stopped in the API server");

    // The console's own account may read workloads but not change them (75-console-rbac.yaml): the
    // stop was done as someone who may, the caller.
    try (KubernetesClient asConsole = ControlPlane.client(consoleKubeconfig)) {
      KubernetesClientException e = assertThrows(KubernetesClientException.class,
          () -> asConsole.genericKubernetesResources("tessera.dev/v1alpha1", "Training").inNamespace("team-a")
              .withName("a-keep").patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"stopped\":true}}"));
      assertEquals(403, e.getCode(), e.getMessage());
    }
  }

  @Test
  void aSubmissionIsCreatedAsTheCallerAndTheTableShowsIt() {
    String body = "{\"metadata\": {\"name\": \"a-submitted\"}, \"spec\": {\"image\": \"registry.invalid/train:2\","
        + " \"gpu\": {\"count\": 1}}}";
    HttpResponse<String> submitted = console.post(String.format(TRAININGS, "team-a"), alice, body);
    JsonNode answer = status(submitted, 201);
    assertEquals("Training team-a/a-submitted submitted", answer.path("message").asText(), submitted.body());

    GenericKubernetesResource created = workloads("team-a").withName("a-submitted").get();
    assertNotNull(created, "the API server has the Training");
    assertEquals("registry.invalid/train:2", ((Map<?, ?>) created.getAdditionalProperties().get("spec")).get("image"));
    // The admission webhook writes the user the API server authenticated for the create: alice,
    // impersonated by the console, not the console's account.
    assertEquals(ALICE, AdmissionWebhook.createdBy(created));

    Await.until("alice's table to show a-submitted", WAIT,
        () -> list(alice, "&filterBy=" + encode("name==a-submitted")).path("total").asInt() == 1);
    JsonNode row = list(alice, "&filterBy=" + encode("name==a-submitted")).path("items").get(0);
    assertEquals(created.getMetadata().getUid(), row.path("uid").asText());
    assertEquals(ALICE, row.path("createdBy").asText(), row.toString());
    assertEquals("team-a", row.path("project").asText(), row.toString());
    assertEquals(1.0, row.path("gpuComputeRequest").asDouble(), row.toString());

    // Where alice may not create, the console says so before the API server is asked.
    HttpResponse<String> elsewhere = console.post(String.format(TRAININGS, "team-b") + "?dryRun=All", alice, body);
    assertEquals("user \"" + ALICE + "\" may not create trainings.tessera.dev in namespace team-b (no RBAC rule lets "
        + ALICE + " create trainings.tessera.dev in namespace team-b)", status(elsewhere, 403).path("message").asText());
    assertNull(workloads("team-b").withName("a-submitted").get());
  }

  @Test
  void aDeletedWorkloadAndItsHistoryOutliveTheConsole() {
    GenericKubernetesResource training = workloads("team-a").withName("a-history").get();
    String uid = training.getMetadata().getUid();
    String history = String.format(TRAININGS, "team-a") + "/a-history/history";
    admin.v1().events().inNamespace("team-a").resource(new EventBuilder()
        .withNewMetadata().withNamespace("team-a").withName("a-history.e2e").endMetadata()
        .withNewInvolvedObject().withApiVersion("tessera.dev/v1alpha1").withKind("Training").withNamespace("team-a")
            .withName("a-history").withUid(uid).endInvolvedObject()
        .withType("Warning").withReason("OverQuota").withMessage("e2e: team-a is over its quota")
        .withFirstTimestamp(Instant.now().toString()).withLastTimestamp(Instant.now().toString()).withCount(1)
        .withNewSource().withComponent("tessera-e2e").endSource()
        .build()).create();
    // History is read from PostgreSQL: the entry is there once the console's writer has written it.
    Await.until("a-history's history to hold the event", WAIT,
        () -> reasons(console.get(history, alice)).contains("OverQuota"), () -> console.get(history, alice).body());

    HttpResponse<String> deleted = console.delete(String.format(TRAININGS, "team-a") + "/a-history", alice);
    assertEquals("training team-a/a-history is being deleted; it stays in the Deleted view with its history",
        status(deleted, 200).path("message").asText());
    // Foreground deletion: kube-controller-manager's garbage collector finishes it, once it watches
    // trainings, which it starts on its discovery sync every 30 s: up to 30 s into a new control plane.
    Await.until("the garbage collector to finish deleting a-history", GARBAGE_COLLECTOR_WAIT,
        () -> workloads("team-a").withName("a-history").get() == null);
    Await.until("a-history in alice's Deleted view", WAIT, () -> deletedUids(alice).contains(uid));

    // A new console process, on the same database: what it knows of deleted workloads it read there.
    console.close();
    console = startConsole();
    // Ready means the Deleted view was read from the database (when it can be reached).
    assertEquals(Set.of(uid), deletedUids(alice), "the restarted console's Deleted view");
    JsonNode row = json(console.get("/api/v1/deleted/" + uid, alice), 200);
    assertEquals("a-history", row.path("name").asText(), row.toString());
    assertEquals("team-a", row.path("namespace").asText(), row.toString());
    assertTrue(row.hasNonNull("deletedAt"), row.toString());
    HttpResponse<String> kept = console.get("/api/v1/deleted/" + uid + "/history", alice);
    JsonNode entry = null;
    for (JsonNode item : json(kept, 200).path("items")) {
      entry = item.path("reason").asText().equals("OverQuota") ? item : entry;
    }
    assertNotNull(entry, "the event is in the deleted workload's history: " + kept.body());
    assertEquals("e2e: team-a is over its quota", entry.path("message").asText(), kept.body());
    assertEquals("POLICY", entry.path("category").asText(), kept.body());
    assertEquals("Warning", entry.path("type").asText(), kept.body());

    // Deleted rows keep their project's access: bob, who may not see team-a, is refused.
    status(console.get("/api/v1/deleted/" + uid, bob), 403);
    assertEquals(Set.of(), deletedUids(bob));
  }

  @Test
  void theWorkloadsViewSignsInWithARealTokenAndItsFormMeetsTheRealWebhook() throws IOException {
    Assumptions.assumeTrue(Browser.missing().isEmpty(), () -> "browser test skipped: " + Browser.missing().get());
    try (Browser browser = Browser.open()) {
      // alice's ServiceAccount token, typed in: TokenReview says who she is, RBAC what she sees.
      browser.signInWithToken(console.url(), alice, ALICE);
      browser.until(d -> !browser.all("tr[data-name='a-keep']").isEmpty());
      assertTrue(browser.all("tr[data-name^='b-']").isEmpty(), "team-b's workloads are not alice's to see");

      // The form is team-a's policy's: its default image, its limit; the real webhook checks it.
      browser.find("[data-test=new]").click();
      WebElement form = browser.find("[data-test=workload-form]");
      browser.until(d -> "team-a".equals(form.findElement(By.name("project")).getAttribute("value")));
      browser.until(d -> "registry.invalid/train:1".equals(form.findElement(By.name("image")).getAttribute("value")));
      form.findElement(By.name("name")).sendKeys("a-from-the-view");
      form.findElement(By.cssSelector("input[name=gpuMode][value=whole]")).click();
      WebElement count = browser.find("input[name=gpuCount]");
      count.sendKeys("4");
      WebElement refused = browser.find("[data-field='spec.gpu'] .field-error");
      assertTrue(refused.getText().contains("exceeds the policy maximum of 2"), refused.getText());
      count.sendKeys(Keys.chord(Keys.CONTROL, "a"), "2");
      browser.until(d -> browser.all("[data-field='spec.gpu'] .field-error").isEmpty()
          && browser.find("[data-test=check]").getText().contains("would be admitted"));
      browser.find("[data-test=submit]").click();
      // Created as alice, and in her table without a reload.
      browser.until(d -> !browser.all("tr[data-name='a-from-the-view']").isEmpty());
      assertEquals(ALICE, AdmissionWebhook.createdBy(workloads("team-a").withName("a-from-the-view").get()));

      // bob, a viewer of team-b through his group, sees b-one but may not stop it: RBAC says why.
      browser.signOut();
      browser.signInWithToken(console.url(), bob, BOB);
      browser.find("tr[data-name='b-one']").click();
      WebElement stop = browser.until(d -> {
        WebElement button = browser.button("Stop");
        return button.getAttribute("title").contains("checking") ? null : button;
      });
      assertFalse(stop.isEnabled());
      assertTrue(stop.getAttribute("title").contains("patch trainings.tessera.dev in namespace team-b"),
          stop.getAttribute("title"));
    }
  }

  @Test
  void aTokenTheApiServerDoesNotAcceptIs401() {
    JsonNode garbage = status(console.get("/api/v1/workloads", "not-a-token"), 401);
    assertEquals("Unauthorized", garbage.path("reason").asText(), garbage.toString());
    assertTrue(garbage.path("message").asText().contains("the API server does not accept the token"),
        garbage.toString());
    status(console.get("/api/v1/workloads", null), 401);
    status(console.post(String.format(TRAININGS, "team-a") + "/a-keep/stop", "not-a-token", ""), 401);
  }

  private ConsoleProcess startConsole() {
    consoleStarts++;
    return ConsoleProcess.start(consoleKubeconfig, databaseUrl, EmbeddedDatabase.USER, databasePassword,
        plane.work.resolve("logs/console-" + consoleStarts + ".log")).awaitReady(Duration.ofSeconds(60));
  }

  private JsonNode list(String token, String query) {
    return json(console.get("/api/v1/workloads?limit=1000" + query, token), 200);
  }

  private Set<String> deletedUids(String token) {
    Set<String> uids = new TreeSet<>();
    list(token, "&view=deleted").path("items").forEach(row -> uids.add(row.path("uid").asText()));
    return uids;
  }

  private static Set<String> names(JsonNode table) {
    Set<String> names = new TreeSet<>();
    table.path("items").forEach(row -> names.add(row.path("name").asText()));
    return names;
  }

  /** The Trainings the API server has in a namespace. */
  private Set<String> names(String namespace) {
    Set<String> names = new TreeSet<>();
    workloads(namespace).list().getItems().forEach(t -> names.add(t.getMetadata().getName()));
    return names;
  }

  private static List<String> reasons(HttpResponse<String> history) {
    List<String> reasons = new ArrayList<>();
    json(history, 200).path("items").forEach(entry -> reasons.add(entry.path("reason").asText()));
    return reasons;
  }

  private static JsonNode json(HttpResponse<String> response, int code) {
    assertEquals(code, response.statusCode(), response.request().method() + " " + response.request().uri() + ": "
        + response.body());
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + response.body(), e);
    }
  }

  /** A Kubernetes Status with this code. */
  private static JsonNode status(HttpResponse<String> response, int code) {
    JsonNode status = json(response, code);
    assertEquals("Status", status.path("kind").asText(), response.body());
    if (code >= 400) {
      assertEquals("Failure", status.path("status").asText(), response.body());
      assertEquals(code, status.path("code").asInt(), response.body());
    }
    return status;
  }

  private Boolean stopped(String namespace, String name) {
    Object spec = workloads(namespace).withName(name).get().getAdditionalProperties().get("spec");
    return (Boolean) ((Map<?, ?>) spec).get("stopped");
  }

  /** The Trainings of a namespace, as the cluster admin reads them. */
  private NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList,
      Resource<GenericKubernetesResource>> workloads(String namespace) {
    return admin.genericKubernetesResources("tessera.dev/v1alpha1", "Training").inNamespace(namespace);
  }

  private boolean rbacAllows(String user, List<String> groups, String verb, String namespace) {
    return admin.authorization().v1().subjectAccessReview().create(new SubjectAccessReviewBuilder()
        .withNewSpec().withUser(user).withGroups(groups)
            .withNewResourceAttributes().withGroup("tessera.dev").withResource("trainings").withVerb(verb)
                .withNamespace(namespace).endResourceAttributes()
        .endSpec().build()).getStatus().getAllowed();
  }

  /** A token of a ServiceAccount from the TokenRequest API: what its pod would have mounted. */
  private String token(String namespace, String serviceAccount) {
    return admin.serviceAccounts().inNamespace(namespace).withName(serviceAccount)
        .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(600L).endSpec().build())
        .getStatus().getToken();
  }

  /** The admin kubeconfig's token (up.sh's, system:masters): the console shows it every workload. */
  private String adminToken() {
    return admin.getConfiguration().getAutoOAuthToken();
  }

  private static ProjectResource project(String name, ProjectSpec.Access access) {
    ProjectResource project = new ProjectResource();
    project.setMetadata(new ObjectMetaBuilder().withName(name).build());
    project.setSpec(new ProjectSpec(List.of(name), null, null, null, null, List.of(access)));
    return project;
  }

  private static WorkloadPolicyResource teamAPolicy() {
    WorkloadPolicyResource policy = new WorkloadPolicyResource();
    policy.setMetadata(new ObjectMetaBuilder().withName("team-a-limits").build());
    policy.setSpec(new WorkloadPolicySpec(null, "team-a",
        new WorkloadSpec("registry.invalid/train:1", null, null, null, null, null, null, null, null, null, null, null,
            null, null, null),
        new WorkloadPolicySpec.Constraints(2, null, null, null, null, null, null, null, null, null, null)));
    return policy;
  }

  private static GenericKubernetesResource training(String namespace, String name) {
    return new GenericKubernetesResourceBuilder().withApiVersion("tessera.dev/v1alpha1").withKind("Training")
        .withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
        .addToAdditionalProperties("spec", Map.of("image", "registry.invalid/train:1"))
        .build();
  }

  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8);
  }

  /**
   * This test's projects, trainings and the RoleBindings the console made for the projects (it
   * takes them away only while it runs); no workload controller holds the trainings up.
   */
  private void deleteLeftovers() {
    admin.resources(WorkloadPolicyResource.class).withName("team-a-limits").delete();
    for (String project : PROJECTS) {
      admin.resources(ProjectResource.class).withName(project).delete();
      workloads(project).delete();
      admin.rbac().roleBindings().inNamespace(project).withLabel("app.kubernetes.io/managed-by", "tessera").delete();
    }
    Await.until("the previous run's trainings to be gone", WAIT,
        () -> PROJECTS.stream().allMatch(namespace -> workloads(namespace).list().getItems().isEmpty()));
  }
}
