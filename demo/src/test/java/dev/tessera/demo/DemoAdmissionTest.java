package dev.tessera.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.api.WellKnown;
import dev.tessera.api.workloads.TrainingResource;
import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.controller.admission.AdmissionReviewer;
import dev.tessera.controller.workloads.policy.WorkloadPolicies;
import dev.tessera.extender.ExtenderConfig;
import dev.tessera.extender.telemetry.ReportConfig;
import dev.tessera.mockapi.Webhook;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The demo's API server calls Tessera's admission webhook as a cluster's does: what a user submits
 * through the Workloads API (the console acting as the user) gets team-vision's workload policy's
 * defaults, or is refused with the API server's Status and a cause on each field that breaks a
 * rule. A demo of its own: the workloads created here must not show in {@link EmbeddedDemoTest}'s.
 */
class DemoAdmissionTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String ALICE = "tessera-demo-alice";
  private static final String TRAININGS = "/api/v1/namespaces/team-vision/trainings";

  private static EmbeddedDemo.Running demo;
  private static String printed;
  private static KubernetesClient kubernetes;

  @BeforeAll
  static void startTheDemo() throws Exception {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    demo = new EmbeddedDemo(ExtenderConfig.defaults().withPort(0), ReportConfig.defaults().withPort(0),
        Duration.ofMinutes(5), 0, new PrintStream(buffer, true, StandardCharsets.UTF_8)).start();
    printed = buffer.toString(StandardCharsets.UTF_8);
    kubernetes = new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder().withMasterUrl(demo.kubernetesApi().toString()).build()).build();
  }

  @AfterAll
  static void stopTheDemo() {
    if (kubernetes != null) {
      kubernetes.close();
    }
    if (demo != null) {
      demo.close();
    }
  }

  @Test
  void aDryRunAnswersWithThePolicysDefaultsAndTheCreatorAndStoresNothing() throws Exception {
    HttpResponse<String> preview = post(TRAININGS + "?dryRun=All", "{\"metadata\":{\"name\":\"preview\"},\"spec\":{}}");

    assertEquals(200, preview.statusCode(), preview.body());
    JsonNode object = JSON.readTree(preview.body()).path("object");
    JsonNode spec = object.path("spec");
    assertEquals(DemoWorkloads.PYTORCH, spec.path("image").asText(), preview.body());
    assertEquals(0.5, spec.path("gpu").path("fraction").asDouble(), preview.body());
    assertEquals("2", spec.path("cpu").asText(), preview.body());
    assertEquals("16Gi", spec.path("memory").asText(), preview.body());
    assertEquals("alice", object.path("metadata").path("annotations").path(WellKnown.CREATED_BY_ANNOTATION).asText(),
        "the user the console impersonated: " + preview.body());
    assertNull(training("preview"), "a dry run stores nothing");
  }

  @Test
  void aTrainingAskingForMoreGpusThanThePolicyAllowsIsRefusedOnThatFieldAndTheFixedOneIsCreated() throws Exception {
    String tooBig = "{\"metadata\":{\"name\":\"big\"},\"spec\":{\"gpu\":{\"count\":4}}}";
    for (String path : List.of(TRAININGS + "?dryRun=All", TRAININGS)) {
      HttpResponse<String> refused = post(path, tooBig);
      // What kube-apiserver answers for a webhook's denial: the webhook's code (403 Forbidden for a
      // policy), its message after "admission webhook ... denied the request", its causes.
      assertEquals(403, refused.statusCode(), refused.body());
      JsonNode status = JSON.readTree(refused.body());
      assertEquals("Status", status.path("kind").asText());
      assertEquals("Failure", status.path("status").asText());
      assertEquals("Forbidden", status.path("reason").asText());
      assertEquals(403, status.path("code").asInt());
      assertTrue(status.path("message").asText().startsWith("could not submit Training team-vision/big: admission"
          + " webhook \"policies.workloads.tessera.dev\" denied the request: Training big is rejected by workload"
          + " policy team-vision: gpu.count 4 exceeds the policy maximum of 2"), refused.body());
      List<String> fields = new ArrayList<>();
      status.path("details").path("causes").forEach(cause -> fields.add(cause.path("field").asText()));
      assertEquals(List.of("spec.gpu.count"), fields, refused.body());
      assertEquals("FieldValueForbidden", status.path("details").path("causes").get(0).path("reason").asText());
    }
    assertNull(training("big"), "a refused workload is not stored");

    HttpResponse<String> created = post(TRAININGS, "{\"metadata\":{\"name\":\"big\"},\"spec\":{\"gpu\":{\"count\":2}}}");
    assertEquals(201, created.statusCode(), created.body());
    TrainingResource stored = training("big");
    assertEquals(2, stored.getSpec().gpu().count());
    assertEquals(DemoWorkloads.PYTORCH, stored.getSpec().image(), "the default filled into the stored spec");
    assertEquals("alice", stored.getMetadata().getAnnotations().get(WellKnown.CREATED_BY_ANNOTATION));
  }

  @Test
  void anImageFromElsewhereIsRefusedOnSpecImage() throws Exception {
    HttpResponse<String> refused = post(TRAININGS + "?dryRun=All",
        "{\"metadata\":{\"name\":\"elsewhere\"},\"spec\":{\"image\":\"docker.io/library/python:3.12\"}}");
    assertEquals(403, refused.statusCode(), refused.body());
    JsonNode cause = JSON.readTree(refused.body()).path("details").path("causes").get(0);
    assertEquals("spec.image", cause.path("field").asText(), refused.body());
    assertTrue(cause.path("message").asText().contains("matches none of the allowed images nvcr.io/**"),
        refused.body());
  }

  @Test
  void theDemosOwnWorkloadsPassedThroughTheWebhookAndThePolicyIsPrinted() {
    for (DemoWorkloads.Submission submission : DemoWorkloads.submissions()) {
      WorkloadResource<?> workload = submission.workload();
      WorkloadResource<?> stored = kubernetes.resources(workload.getClass())
          .inNamespace(workload.getMetadata().getNamespace()).withName(workload.getMetadata().getName()).get();
      assertEquals(submission.user(), stored.getMetadata().getAnnotations().get(WellKnown.CREATED_BY_ANNOTATION),
          "the webhook recorded the user the demo submitted it as: " + workload.getMetadata().getName());
    }
    String policies = printed.substring(printed.indexOf("Workload policies"), printed.indexOf("Workloads, run by"));
    assertTrue(policies.contains("  team-vision: project team-vision, every kind, accepted"), policies);
    assertTrue(policies.contains("    defaults     image nvcr.io/nvidia/pytorch:24.05-py3, gpu.fraction 0.5, cpu 2,"
        + " memory 16Gi"), policies);
    assertTrue(policies.contains("    constraints  maxGpus 2, allowedImages [nvcr.io/**, vllm/vllm-openai:*]"),
        policies);
  }

  @Test
  void theWebhooksAreTheOnesDeployRegistersWithTheSameRules() throws Exception {
    List<String> deployed = new ArrayList<>();
    try (InputStream in = Files.newInputStream(Path.of("..", "deploy", "35-admission.yaml"))) {
      for (HasMetadata object : kubernetes.load(in).items()) {
        List<? extends Object> hooks = object instanceof MutatingWebhookConfiguration m ? m.getWebhooks()
            : object instanceof ValidatingWebhookConfiguration v ? v.getWebhooks() : List.of();
        for (Object hook : hooks) {
          JsonNode webhook = JSON.valueToTree(hook);
          deployed.add(describe(webhook.path("name").asText(),
              object instanceof MutatingWebhookConfiguration ? Webhook.Type.MUTATING : Webhook.Type.VALIDATING,
              webhook.path("rules").get(0)));
        }
      }
    }
    List<String> registered = new ArrayList<>();
    for (Webhook webhook : DemoAdmission.webhooks(new AdmissionReviewer(() -> WorkloadPolicies.NONE, ns -> null,
        AdmissionReviewer.NO_OTHER_KINDS))) {
      Webhook.Rule rule = webhook.rule();
      registered.add(webhook.name() + " " + webhook.type() + " " + rule.apiGroup() + "/" + rule.apiVersion() + " "
          + new TreeSet<>(rule.resources()) + " " + new TreeSet<>(rule.operations().stream().map(Enum::name).toList()));
    }
    assertEquals(deployed, registered);
  }

  private static String describe(String name, Webhook.Type type, JsonNode rule) {
    List<String> resources = new ArrayList<>();
    rule.path("resources").forEach(r -> resources.add(r.asText()));
    List<String> operations = new ArrayList<>();
    rule.path("operations").forEach(o -> operations.add(o.asText()));
    return name + " " + type + " " + rule.path("apiGroups").get(0).asText() + "/"
        + rule.path("apiVersions").get(0).asText() + " " + new TreeSet<>(resources) + " " + new TreeSet<>(operations);
  }

  private static TrainingResource training(String name) {
    return kubernetes.resources(TrainingResource.class).inNamespace("team-vision").withName(name).get();
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(demo.workloadsApi() + path))
        .header("Authorization", "Bearer " + ALICE)
        .header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
