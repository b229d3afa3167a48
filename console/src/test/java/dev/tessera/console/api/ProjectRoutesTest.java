package dev.tessera.console.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.api.WellKnown;
import dev.tessera.api.policy.NodePoolResource;
import dev.tessera.api.policy.NodePoolSpec;
import dev.tessera.api.policy.ProjectResource;
import dev.tessera.api.policy.ProjectSpec;
import dev.tessera.api.policy.WorkloadPolicyResource;
import dev.tessera.api.policy.WorkloadPolicySpec;
import dev.tessera.api.workloads.TrainingResource;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.console.ConsoleJson;
import dev.tessera.console.ConsoleRuntime;
import dev.tessera.console.access.Authorizer;
import dev.tessera.console.access.Decision;
import dev.tessera.console.access.DemoUsers;
import dev.tessera.console.metrics.MetricNames;
import dev.tessera.console.metrics.MetricsResult;
import dev.tessera.console.testing.MemoryHistory;
import dev.tessera.controller.workloads.policy.NamedPolicy;
import dev.tessera.controller.workloads.policy.WorkloadPolicies;
import dev.tessera.extender.testing.Await;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the "New workload" form asks, over real HTTP on the in-process API server with the demo's
 * users and their roles: the session, the projects each user may see, and the workload policy of
 * a kind in a namespace, merged by the controller's own code from the WorkloadPolicies the
 * informers see.
 */
class ProjectRoutesTest {
  private static final ObjectMapper JSON = ConsoleJson.mapper();
  private static final HttpClient http = HttpClient.newHttpClient();
  private static final String ALICE = "tessera-demo-alice";
  private static final String BOB = "tessera-demo-bob";
  private static final String ADMIN = "tessera-demo-admin";

  private final DemoUsers users = DemoUsers.forDemo();
  /**
   * The demo's RBAC, but alice may not create distributed trainings: as where her project's
   * RoleBinding leaves them out, so that what she may submit differs by kind.
   */
  private final Authorizer authorizer = (caller, permission) ->
      caller.user().equals("alice") && permission.verb().equals("create")
          && permission.resource().equals("distributedtrainings")
          ? Decision.deny("no RBAC rule lets alice create distributedtrainings.tessera.dev in namespace "
              + permission.namespace())
          : users.check(caller, permission);

  private EmbeddedApiServer api;
  private KubernetesClient client;
  private ConsoleRuntime console;

  @BeforeEach
  void start() throws Exception {
    api = EmbeddedApiServer.start();
    client = api.client();
    client.resource(pool("pool-a")).create();
    client.resource(pool("pool-b")).create();
    client.resource(project("team-vision", List.of("team-vision"), "research", List.of("pool-a", "default",
        "pool-gone"))).create();
    client.resource(project("team-nlp", List.of("nlp-scratch", "team-nlp"), null, List.of())).create();
    client.resource(project("team-secret", List.of("team-secret"), "research", List.of())).create();
    client.resource(policy("vision-limits", new WorkloadPolicySpec("Training", "team-vision",
        spec("pytorch:24.08", new WorkloadSpec.GpuSpec(null, 0.5, null, null, null, null), null, List.of("pool-a")),
        new WorkloadPolicySpec.Constraints(4, null, null, null, null, List.of("pool-a", "default"), null, null, null,
            null, null)))).create();
    client.resource(policy("everyone", new WorkloadPolicySpec(null, null, spec(null, null, "2", null),
        new WorkloadPolicySpec.Constraints(8, null, null, null, null, null, "8h", null, null, null, null)))).create();
    // Left out by the controller's validation, so here too.
    client.resource(policy("broken", new WorkloadPolicySpec("Gadget", null, null,
        new WorkloadPolicySpec.Constraints(1, null, null, null, null, null, null, null, null, null, null)))).create();
    client.resource(training("team-vision", "policy")).create();
    console = ConsoleRuntime.start(new ConsoleRuntime.Settings(0, "lab", Duration.ofDays(30), false, Duration.ZERO),
        client, new MemoryHistory(), request -> new MetricsResult("test", List.of(),
            Map.of(MetricNames.CPU_UTILIZATION, "no Prometheus configured")), users, authorizer, Clock.systemUTC());
    Await.await("the projects, pools and policies in the directory", () -> {
      var now = console.projects().now();
      return now.projects().size() == 3 && now.nodePools().size() == 3
          && now.policies().effective(WorkloadKind.TRAINING, "team-vision").policies().size() == 2
          && now.policies().problems().containsKey("broken");
    });
  }

  @AfterEach
  void stop() {
    console.close();
    api.close();
  }

  private static NodePoolResource pool(String name) {
    NodePoolResource pool = new NodePoolResource();
    pool.setMetadata(new ObjectMetaBuilder().withName(name).build());
    pool.setSpec(new NodePoolSpec(Map.of(WellKnown.GFD_PRODUCT, name), null, null));
    return pool;
  }

  private static ProjectResource project(String name, List<String> namespaces, String department,
      List<String> pools) {
    List<ProjectSpec.Quota> quotas = new ArrayList<>();
    pools.forEach(pool -> quotas.add(new ProjectSpec.Quota(pool, 1.0, null, null)));
    ProjectResource project = new ProjectResource();
    project.setMetadata(new ObjectMetaBuilder().withName(name).build());
    project.setSpec(new ProjectSpec(namespaces, department, quotas.isEmpty() ? null : quotas, null, null, null));
    return project;
  }

  private static WorkloadPolicyResource policy(String name, WorkloadPolicySpec spec) {
    WorkloadPolicyResource policy = new WorkloadPolicyResource();
    policy.setMetadata(new ObjectMetaBuilder().withName(name).build());
    policy.setSpec(spec);
    return policy;
  }

  private static WorkloadSpec spec(String image, WorkloadSpec.GpuSpec gpu, String cpu, List<String> pools) {
    return new WorkloadSpec(image, null, null, null, gpu, cpu, null, null, null, pools, null, null, null, null, null);
  }

  private static TrainingResource training(String namespace, String name) {
    TrainingResource training = new TrainingResource();
    training.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
    training.setSpec(spec("pytorch:24.08", new WorkloadSpec.GpuSpec(1, null, null, null, null, null), null, null));
    return training;
  }

  private JsonNode get(String path, String token, int status) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + console.port() + path));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(status, response.statusCode(), response.body());
    return JSON.readTree(response.body());
  }

  private static List<String> texts(JsonNode array) {
    List<String> texts = new ArrayList<>();
    array.forEach(item -> texts.add(item.asText()));
    return texts;
  }

  @Test
  void theSessionIsTheCallerAsTheirTokenSaysAndNeedsOne() throws Exception {
    JsonNode alice = get("/api/v1/session", ALICE, 200);
    assertEquals("Session", alice.path("kind").asText());
    assertEquals("alice", alice.path("user").asText());
    assertEquals(List.of(DemoUsers.AUTHENTICATED), texts(alice.path("groups")));
    assertEquals("Unauthorized", get("/api/v1/session", null, 401).path("reason").asText());
  }

  @Test
  void eachCallerSeesTheProjectsTheyMayWithTheirPoolsAndWhatTheyMaySubmit() throws Exception {
    JsonNode alice = get("/api/v1/projects", ALICE, 200);
    assertEquals("ProjectList", alice.path("kind").asText());
    assertEquals(1, alice.path("items").size(), alice.toString());
    JsonNode vision = alice.path("items").get(0);
    assertEquals("team-vision", vision.path("name").asText());
    assertEquals("team-vision", vision.path("namespace").asText());
    assertEquals("research", vision.path("department").asText());
    // The pools its quotas name, in their order; one that does not exist is no pool to name.
    assertEquals(List.of("pool-a", "default"), texts(vision.path("nodePools")));
    assertEquals(Map.of("workspaces", true, "trainings", true, "distributedtrainings", false, "inferences", true),
        JSON.convertValue(vision.path("canSubmit"), Map.class));

    // A viewer sees their project's namespace, and may submit nothing there.
    JsonNode bob = get("/api/v1/projects", BOB, 200).path("items");
    assertEquals(1, bob.size(), bob.toString());
    JsonNode nlp = bob.get(0);
    assertEquals("team-nlp", nlp.path("name").asText());
    assertEquals("team-nlp", nlp.path("namespace").asText());
    assertEquals(List.of("team-nlp"), texts(nlp.path("namespaces")));
    assertTrue(nlp.has("department") && nlp.path("department").isNull(), nlp.toString());
    // It names no pools: every pool of the cluster, the nodes no NodePool selects first.
    assertEquals(List.of("default", "pool-a", "pool-b"), texts(nlp.path("nodePools")));
    nlp.path("canSubmit").forEach(allowed -> assertFalse(allowed.asBoolean(), nlp.toString()));

    JsonNode admin = get("/api/v1/projects", ADMIN, 200).path("items");
    List<String> names = new ArrayList<>();
    admin.forEach(item -> names.add(item.path("name").asText()));
    assertEquals(List.of("team-nlp", "team-secret", "team-vision"), names);
    // The namespace named like the project is where the form submits, though the spec lists it second.
    assertEquals("team-nlp", admin.get(0).path("namespace").asText());
    assertEquals(List.of("team-nlp", "nlp-scratch"), texts(admin.get(0).path("namespaces")));
    admin.forEach(item -> item.path("canSubmit").forEach(allowed -> assertTrue(allowed.asBoolean())));
  }

  @Test
  void thePolicyOfAKindIsTheControllersMergeOfTheProjectsAndTheGlobalOnes() throws Exception {
    JsonNode training = get("/api/v1/namespaces/team-vision/effectivepolicies/trainings", ALICE, 200);
    assertEquals("EffectivePolicy", training.path("kind").asText());
    assertEquals("team-vision", training.path("project").asText());
    assertEquals("Training", training.path("workloadKind").asText());
    assertEquals(List.of("vision-limits", "everyone"), texts(training.path("policies")));
    assertEquals(JSON.readTree("{\"image\":\"pytorch:24.08\",\"gpu\":{\"fraction\":0.5},\"cpu\":\"2\","
        + "\"nodePools\":[\"pool-a\"]}"), training.path("defaults"));
    assertEquals(JSON.readTree("{\"maxGpus\":4,\"allowedNodePools\":[\"pool-a\",\"default\"],\"maxRuntime\":\"8h\"}"),
        training.path("constraints"));
    assertEquals("vision-limits", training.path("sources").path("maxGpus").asText());
    assertEquals("everyone", training.path("sources").path("maxRuntime").asText());
    // The same answer the controller's own code gives for the same policies.
    WorkloadPolicies controllers = WorkloadPolicies.of(client.resources(WorkloadPolicyResource.class).list()
        .getItems().stream().map(NamedPolicy::of).toList());
    var expected = controllers.effective(WorkloadKind.TRAINING, "team-vision");
    assertEquals(JSON.valueToTree(expected.defaults()), training.path("defaults"));
    assertEquals(JSON.valueToTree(expected.constraints()), training.path("constraints"));

    // Another kind in the same project: only the global policy applies.
    JsonNode workspace = get("/api/v1/namespaces/team-vision/effectivepolicies/workspaces", ALICE, 200);
    assertEquals(List.of("everyone"), texts(workspace.path("policies")));
    assertEquals(JSON.readTree("{\"cpu\":\"2\"}"), workspace.path("defaults"));

    // A namespace no project owns: no project, the global policies.
    JsonNode loose = get("/api/v1/namespaces/sandbox/effectivepolicies/inferences", ADMIN, 200);
    assertTrue(loose.path("project").isNull(), loose.toString());
    assertEquals(List.of("everyone"), texts(loose.path("policies")));
  }

  @Test
  void thePolicyIsForThoseWhoMaySubmitAndAnUnknownKindIsNotFound() throws Exception {
    JsonNode viewer = get("/api/v1/namespaces/team-nlp/effectivepolicies/trainings", BOB, 403);
    assertEquals("Status", viewer.path("kind").asText());
    assertTrue(viewer.path("message").asText().contains("may not create trainings.tessera.dev in namespace team-nlp"),
        viewer.toString());
    assertEquals(403, get("/api/v1/namespaces/team-vision/effectivepolicies/distributedtrainings", ALICE, 403)
        .path("code").asInt());
    assertEquals(403, get("/api/v1/namespaces/team-nlp/effectivepolicies/trainings", ALICE, 403).path("code").asInt());
    JsonNode unknown = get("/api/v1/namespaces/team-vision/effectivepolicies/gadgets", ALICE, 404);
    assertEquals("NotFound", unknown.path("reason").asText());
    assertTrue(unknown.path("message").asText().contains("no workload kind \"gadgets\""));
  }

  @Test
  void aWorkloadCalledPolicyKeepsItsDetails() throws Exception {
    Await.await("the training called policy", () -> console.catalog().row("team-vision", WorkloadKind.TRAINING,
        "policy").isPresent());
    JsonNode details = get("/api/v1/namespaces/team-vision/trainings/policy", ALICE, 200);
    assertEquals("Training", details.path("kind").asText());
    assertEquals("policy", details.path("row").path("name").asText());
  }

  @Test
  void policiesPoolsAndProjectsFollowTheCluster() throws Exception {
    client.resources(WorkloadPolicyResource.class).withName("vision-limits").delete();
    client.resource(pool("pool-c")).create();
    ProjectResource vision = client.resources(ProjectResource.class).withName("team-vision").get();
    vision.setSpec(new ProjectSpec(List.of("team-vision"), "vision", null, null, null, null));
    client.resource(vision).update();
    Await.await("the directory after the changes", () -> {
      var now = console.projects().now();
      return now.nodePools().contains("pool-c") && now.policies().effective(WorkloadKind.TRAINING, "team-vision")
          .policies().equals(List.of("everyone")) && "vision".equals(now.projects().get(2).department());
    });
    assertEquals(List.of("everyone"), texts(get("/api/v1/namespaces/team-vision/effectivepolicies/trainings", ALICE,
        200).path("policies")));
    JsonNode project = get("/api/v1/projects", ALICE, 200).path("items").get(0);
    assertEquals("vision", project.path("department").asText());
    assertEquals(List.of("default", "pool-a", "pool-b", "pool-c"), texts(project.path("nodePools")));
  }
}
