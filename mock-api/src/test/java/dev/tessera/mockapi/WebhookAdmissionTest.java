package dev.tessera.mockapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.mockapi.Webhook.Operation;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.RequestConfigBuilder;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Admission webhooks on the in-process API server, called as kube-apiserver calls them: the
 * AdmissionReview they get, their patches applied, their denials answered with their Status, dry
 * runs stored nowhere. Each test has a server of its own, so webhooks never leak between tests.
 */
class WebhookAdmissionTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ResourceDefinitionContext TRAININGS = new ResourceDefinitionContext.Builder()
      .withGroup("tessera.dev").withVersion("v1alpha1").withKind("Training").withPlural("trainings")
      .withNamespaced(true).build();
  private static final String TRAININGS_PATH = "/apis/tessera.dev/v1alpha1/namespaces/team/trainings";
  private static final Webhook.Rule CREATE_UPDATE =
      new Webhook.Rule("tessera.dev", "v1alpha1", Set.of("trainings"), Set.of(Operation.CREATE, Operation.UPDATE));

  private EmbeddedApiServer api;
  private KubernetesClient client;
  /** Every AdmissionReview request a webhook was sent, in order. */
  private final List<JsonNode> reviews = new ArrayList<>();

  @BeforeEach
  void start() {
    api = EmbeddedApiServer.start();
    client = api.client();
  }

  @AfterEach
  void stop() {
    api.close();
  }

  @Test
  void aMutatingWebhooksPatchIsStoredAndTheReviewIsTheApiServers() {
    api.register(Webhook.mutating("defaults.test", CREATE_UPDATE, reviewer(request -> allowed(request,
        patch(op("add", "/spec/image", "registry.invalid/default:1"),
            op("add", "/metadata/annotations", JSON.createObjectNode().put("who", user(request))))))));

    GenericKubernetesResource created = trainings().inNamespace("team").resource(training("t1", Map.of())).create();

    assertEquals("registry.invalid/default:1", spec(created).get("image"));
    assertEquals("kubernetes-admin", created.getMetadata().getAnnotations().get("who"));
    GenericKubernetesResource stored = trainings().inNamespace("team").withName("t1").get();
    assertEquals("registry.invalid/default:1", spec(stored).get("image"));

    assertEquals(1, reviews.size());
    JsonNode request = reviews.get(0);
    assertFalse(request.path("uid").asText().isEmpty());
    assertEquals("{\"group\":\"tessera.dev\",\"version\":\"v1alpha1\",\"kind\":\"Training\"}",
        request.path("kind").toString());
    assertEquals("{\"group\":\"tessera.dev\",\"version\":\"v1alpha1\",\"resource\":\"trainings\"}",
        request.path("resource").toString());
    assertEquals("t1", request.path("name").asText());
    assertEquals("team", request.path("namespace").asText());
    assertEquals("CREATE", request.path("operation").asText());
    assertEquals("{\"username\":\"kubernetes-admin\",\"groups\":[\"system:masters\",\"system:authenticated\"]}",
        request.path("userInfo").toString());
    assertTrue(request.path("oldObject").isNull(), request.toString());
    assertFalse(request.path("dryRun").asBoolean(true));
    assertEquals("CreateOptions", request.path("options").path("kind").asText());
    assertEquals("t1", request.path("object").path("metadata").path("name").asText());
  }

  @Test
  void theReviewCarriesTheImpersonatedUser() {
    api.register(Webhook.mutating("defaults.test", CREATE_UPDATE, reviewer(request -> allowed(request, null))));

    as("alice", List.of("team-vision"), c -> c.genericKubernetesResources(TRAININGS).inNamespace("team")
        .resource(training("t1", Map.of())).create());
    as("system:serviceaccount:ci:builder", List.of(), c -> c.genericKubernetesResources(TRAININGS)
        .inNamespace("team").resource(training("t2", Map.of())).create());

    assertEquals("{\"username\":\"alice\",\"groups\":[\"team-vision\",\"system:authenticated\"]}",
        reviews.get(0).path("userInfo").toString());
    assertEquals("{\"username\":\"system:serviceaccount:ci:builder\",\"groups\":[\"system:serviceaccounts\","
        + "\"system:serviceaccounts:ci\",\"system:authenticated\"]}", reviews.get(1).path("userInfo").toString());
  }

  @Test
  void aDenialAnswersWithTheWebhooksStatusAsKubeApiserverDoes() throws Exception {
    ObjectNode status = JSON.createObjectNode().put("code", 403).put("reason", "Forbidden")
        .put("message", "Training t1 breaks the rules");
    status.putObject("details").putArray("causes").addObject().put("field", "spec.gpu.count")
        .put("reason", "FieldValueForbidden").put("message", "gpu.count 4 exceeds 2");
    api.register(Webhook.mutating("defaults.test", CREATE_UPDATE, reviewer(request -> allowed(request, null))));
    api.register(Webhook.validating("rules.test", CREATE_UPDATE, reviewer(request -> denied(request, status))));

    KubernetesClientException refused = assertThrows(KubernetesClientException.class,
        () -> trainings().inNamespace("team").resource(training("t1", Map.of())).create());

    assertEquals(403, refused.getCode());
    assertEquals("Failure", refused.getStatus().getStatus());
    assertEquals("Forbidden", refused.getStatus().getReason());
    assertEquals("admission webhook \"rules.test\" denied the request: Training t1 breaks the rules",
        refused.getStatus().getMessage());
    StatusCause cause = refused.getStatus().getDetails().getCauses().get(0);
    assertEquals("spec.gpu.count", cause.getField());
    assertEquals("FieldValueForbidden", cause.getReason());
    assertNull(trainings().inNamespace("team").withName("t1").get(), "a refused create stores nothing");
    assertEquals(List.of("CREATE", "CREATE"), reviews.stream().map(r -> r.path("operation").asText()).toList(),
        "the mutating webhook first, then the validating one");

    // The body, byte for byte as Go writes a metav1.Status.
    HttpResponse<String> raw = post(TRAININGS_PATH,
        JSON.writeValueAsString(training("t2", Map.of())));
    assertEquals(403, raw.statusCode());
    assertEquals("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
        + "\"message\":\"admission webhook \\\"rules.test\\\" denied the request: Training t1 breaks the rules\","
        + "\"reason\":\"Forbidden\",\"details\":{\"causes\":[{\"reason\":\"FieldValueForbidden\","
        + "\"message\":\"gpu.count 4 exceeds 2\",\"field\":\"spec.gpu.count\"}]},\"code\":403}", raw.body());
  }

  @Test
  void aDenialWithoutACodeOrAMessageIsStillARefusal() throws Exception {
    api.register(Webhook.validating("rules.test", CREATE_UPDATE,
        reviewer(request -> denied(request, JSON.createObjectNode().put("code", 200)))));

    HttpResponse<String> raw = post(TRAININGS_PATH,
        JSON.writeValueAsString(training("t1", Map.of())));

    assertEquals(400, raw.statusCode(), "a refusal is never answered below 400");
    JsonNode body = JSON.readTree(raw.body());
    assertEquals("admission webhook \"rules.test\" denied the request without explanation",
        body.path("message").asText());
    assertEquals("Failure", body.path("status").asText());
  }

  @Test
  void aDryRunIsAdmittedAndPatchedButNotStored() {
    api.register(Webhook.mutating("defaults.test", CREATE_UPDATE,
        reviewer(request -> allowed(request, patch(op("add", "/spec/image", "registry.invalid/default:1"))))));

    GenericKubernetesResource preview =
        trainings().inNamespace("team").resource(training("t1", Map.of())).dryRun().create();

    assertEquals("registry.invalid/default:1", spec(preview).get("image"));
    assertNull(trainings().inNamespace("team").withName("t1").get(), "a dry run stores nothing");
    JsonNode request = reviews.get(0);
    assertTrue(request.path("dryRun").asBoolean(), request.toString());
    assertEquals("[\"All\"]", request.path("options").path("dryRun").toString());
  }

  @Test
  void aRefusedDryRunIsRefusedAsTheCreateWouldBe() {
    api.register(Webhook.validating("rules.test", CREATE_UPDATE, reviewer(request -> denied(request,
        JSON.createObjectNode().put("code", 403).put("reason", "Forbidden").put("message", "no")))));

    KubernetesClientException refused = assertThrows(KubernetesClientException.class,
        () -> trainings().inNamespace("team").resource(training("t1", Map.of())).dryRun().create());

    assertEquals(403, refused.getCode());
    assertEquals("admission webhook \"rules.test\" denied the request: no", refused.getStatus().getMessage());
  }

  @Test
  void anUpdateIsReviewedWithTheStoredObjectAsOldObject() {
    GenericKubernetesResource created = trainings().inNamespace("team").resource(training("t1", Map.of())).create();
    // Refuses any change of spec.image, as a policy webhook would refuse a forbidden value.
    api.register(Webhook.validating("rules.test", CREATE_UPDATE, reviewer(request ->
        request.path("object").path("spec").path("image").asText().equals("registry.invalid/forbidden:1")
            ? denied(request, JSON.createObjectNode().put("code", 422).put("reason", "Invalid").put("message", "bad"))
            : allowed(request, null))));

    Resource<GenericKubernetesResource> t1 = trainings().inNamespace("team").withName("t1");
    KubernetesClientException merge = assertThrows(KubernetesClientException.class, () ->
        t1.patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"image\":\"registry.invalid/forbidden:1\"}}"));
    assertEquals(422, merge.getCode());
    GenericKubernetesResource edited = t1.get();
    spec(edited).put("image", "registry.invalid/forbidden:1");
    assertEquals(422, assertThrows(KubernetesClientException.class, () -> trainings().inNamespace("team").resource(edited).update()).getCode());
    assertEquals(422, assertThrows(KubernetesClientException.class, () -> t1.patch(PatchContext.of(PatchType.JSON),
        "[{\"op\":\"replace\",\"path\":\"/spec/image\",\"value\":\"registry.invalid/forbidden:1\"}]")).getCode());
    assertEquals("registry.invalid/train:1", spec(t1.get()).get("image"), "nothing refused was stored");

    t1.patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"image\":\"registry.invalid/train:2\"}}");
    assertEquals("registry.invalid/train:2", spec(t1.get()).get("image"));
    JsonNode update = reviews.get(reviews.size() - 1);
    assertEquals("UPDATE", update.path("operation").asText());
    assertEquals("t1", update.path("name").asText());
    assertEquals("UpdateOptions", update.path("options").path("kind").asText());
    assertEquals("registry.invalid/train:1", update.path("oldObject").path("spec").path("image").asText());
    assertEquals(created.getMetadata().getUid(), update.path("oldObject").path("metadata").path("uid").asText());
  }

  @Test
  void aMutatingWebhookOnUpdatePatchesWhatAPatchStores() {
    trainings().inNamespace("team").resource(training("t1", Map.of())).create();
    api.register(Webhook.mutating("defaults.test", CREATE_UPDATE, reviewer(request -> allowed(request,
        patch(op("add", "/metadata/labels", JSON.createObjectNode().put("reviewed", "yes")))))));

    trainings().inNamespace("team").withName("t1")
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"image\":\"registry.invalid/train:2\"}}");

    GenericKubernetesResource stored = trainings().inNamespace("team").withName("t1").get();
    assertEquals("registry.invalid/train:2", spec(stored).get("image"));
    assertEquals("yes", stored.getMetadata().getLabels().get("reviewed"));
  }

  // Sent with a plain HTTP client: fabric8's retries a 500 for ten seconds and more.
  @Test
  void aWebhookThatFailsFailsTheRequestWith500() throws Exception {
    api.register(Webhook.validating("broken.test", CREATE_UPDATE, review -> {
      throw new IllegalStateException("no policies loaded");
    }));
    HttpResponse<String> failed = post(TRAININGS_PATH, JSON.writeValueAsString(training("t1", Map.of())));
    assertEquals(500, failed.statusCode());
    JsonNode status = JSON.readTree(failed.body());
    assertEquals("InternalError", status.path("reason").asText());
    assertEquals("Internal error occurred: failed calling webhook \"broken.test\": failed to call webhook:"
        + " java.lang.IllegalStateException: no policies loaded", status.path("message").asText());
    assertEquals("failed calling webhook \"broken.test\": failed to call webhook: java.lang.IllegalStateException:"
        + " no policies loaded", status.path("details").path("causes").path(0).path("message").asText());
    assertNull(trainings().inNamespace("team").withName("t1").get());
  }

  @Test
  void anAnswerToAnotherRequestOrAPatchFromAValidatingWebhookIsAFailedCall() throws Exception {
    api.register(Webhook.validating("uid.test", CREATE_UPDATE, reviewer(request -> {
      ObjectNode answer = (ObjectNode) allowed(request, null);
      ((ObjectNode) answer.path("response")).put("uid", "someone-else");
      return answer;
    })));
    HttpResponse<String> uid = post(TRAININGS_PATH, JSON.writeValueAsString(training("t1", Map.of())));
    assertEquals(500, uid.statusCode());
    assertTrue(uid.body().contains("failed calling webhook \\\"uid.test\\\": received invalid webhook response:"
        + " expected response.uid="), uid.body());

    api = restart();
    api.register(Webhook.validating("patching.test", CREATE_UPDATE,
        reviewer(request -> allowed(request, patch(op("add", "/spec/image", "x"))))));
    HttpResponse<String> patch = post(TRAININGS_PATH, JSON.writeValueAsString(training("t1", Map.of())));
    assertEquals(500, patch.statusCode());
    assertTrue(JSON.readTree(patch.body()).path("message").asText().endsWith(
        "validating webhook may not return response.patch or response.patchType"), patch.body());
  }

  @Test
  void onlyTheResourcesAndOperationsARuleNamesAreReviewed() {
    api.register(Webhook.validating("rules.test", CREATE_UPDATE, reviewer(request -> allowed(request, null))));

    Pod pod = new PodBuilder().withNewMetadata().withName("p").withNamespace("team").endMetadata().build();
    client.pods().resource(pod).create();
    trainings().inNamespace("team").resource(training("t1", Map.of())).create();
    trainings().inNamespace("team").withName("t1")
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"image\":\"registry.invalid/train:2\"}}");
    GenericKubernetesResource withStatus = trainings().inNamespace("team").withName("t1").get();
    withStatus.setAdditionalProperty("status", Map.of("phase", "Running"));
    trainings().inNamespace("team").resource(withStatus).updateStatus(); // a subresource: not reviewed
    trainings().inNamespace("team").withName("t1").delete();

    assertEquals(List.of("CREATE", "UPDATE"), reviews.stream().map(r -> r.path("operation").asText()).toList());
    assertNotNull(client.pods().inNamespace("team").withName("p").get());
    Webhook.Rule createOnly =
        new Webhook.Rule("tessera.dev", "v1alpha1", Set.of("trainings"), Set.of(Operation.CREATE));
    assertFalse(createOnly.matches(Operation.UPDATE, "tessera.dev", "v1alpha1", "trainings"));
    assertTrue(createOnly.matches(Operation.CREATE, "tessera.dev", "v1alpha1", "trainings"));
    assertFalse(createOnly.matches(Operation.CREATE, "tessera.dev", "v1alpha1", "inferences"));
  }

  @Test
  void twoWebhooksOfOneNameAreRefused() {
    api.register(Webhook.validating("rules.test", CREATE_UPDATE, reviewer(request -> allowed(request, null))));
    assertThrows(IllegalArgumentException.class, () ->
        api.register(Webhook.mutating("rules.test", CREATE_UPDATE, reviewer(request -> allowed(request, null)))));
  }

  private EmbeddedApiServer restart() {
    api.close();
    EmbeddedApiServer fresh = EmbeddedApiServer.start();
    client = fresh.client();
    return fresh;
  }

  private MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>>
      trainings() {
    return client.genericKubernetesResources(TRAININGS);
  }

  private static GenericKubernetesResource training(String name, Map<String, Object> spec) {
    Map<String, Object> fields = new java.util.HashMap<>(Map.of("image", "registry.invalid/train:1"));
    fields.putAll(spec);
    return new GenericKubernetesResourceBuilder().withApiVersion("tessera.dev/v1alpha1").withKind("Training")
        .withNewMetadata().withName(name).withNamespace("team").endMetadata()
        .addToAdditionalProperties("spec", fields)
        .build();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> spec(GenericKubernetesResource resource) {
    return (Map<String, Object>) resource.getAdditionalProperties().get("spec");
  }

  private <T> T as(String user, List<String> groups, Function<KubernetesClient, T> call) {
    return client.adapt(NamespacedKubernetesClient.class)
        .withRequestConfig(new RequestConfigBuilder().withImpersonateUsername(user)
            .withImpersonateGroups(groups.toArray(String[]::new)).build())
        .call(call::apply);
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(api.url().replaceAll("/$", "") + path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A webhook server: records each request, answers what {@code answer} makes of it. */
  private Webhook.Reviewer reviewer(Function<JsonNode, JsonNode> answer) {
    return review -> {
      JsonNode request = JSON.readTree(review).path("request");
      synchronized (reviews) {
        reviews.add(request);
      }
      return JSON.writeValueAsBytes(answer.apply(request));
    };
  }

  private static String user(JsonNode request) {
    return request.path("userInfo").path("username").asText();
  }

  private static JsonNode allowed(JsonNode request, ArrayNode patch) {
    ObjectNode review = review(request);
    ObjectNode response = (ObjectNode) review.path("response");
    response.put("allowed", true);
    if (patch != null) {
      response.put("patchType", "JSONPatch");
      response.put("patch", Base64.getEncoder().encodeToString(patch.toString().getBytes(StandardCharsets.UTF_8)));
    }
    return review;
  }

  private static JsonNode denied(JsonNode request, ObjectNode status) {
    ObjectNode review = review(request);
    ((ObjectNode) review.path("response")).put("allowed", false).set("status", status);
    return review;
  }

  private static ObjectNode review(JsonNode request) {
    ObjectNode review = JSON.createObjectNode().put("apiVersion", "admission.k8s.io/v1").put("kind", "AdmissionReview");
    review.putObject("response").put("uid", request.path("uid").asText());
    return review;
  }

  private static ArrayNode patch(ObjectNode... ops) {
    ArrayNode patch = JSON.createArrayNode();
    for (ObjectNode op : ops) {
      patch.add(op);
    }
    return patch;
  }

  private static ObjectNode op(String op, String path, Object value) {
    ObjectNode node = JSON.createObjectNode().put("op", op).put("path", path);
    node.set("value", JSON.valueToTree(value));
    return node;
  }
}
