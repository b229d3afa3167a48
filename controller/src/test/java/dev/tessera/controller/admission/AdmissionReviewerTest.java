package dev.tessera.controller.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.api.policy.WorkloadPolicySpec;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.controller.admission.AdmissionReviewer.Endpoint;
import dev.tessera.controller.workloads.policy.NamedPolicy;
import dev.tessera.controller.workloads.policy.WorkloadPolicies;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdmissionReviewerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Team ml (namespace ml-dev): at most 1 GPU, images from nvcr.io only; defaults cpu and pools. */
  static WorkloadPolicies policies() {
    return WorkloadPolicies.of(
        List.of(
            named(
                "ml-limits",
                "{\"project\":\"ml\",\"defaults\":{\"cpu\":\"2\",\"nodePools\":[\"a100\"],"
                    + "\"gpu\":{\"fraction\":0.5}},"
                    + "\"constraints\":{\"maxGpus\":1,\"allowedImages\":[\"nvcr.io/**\"]}}")));
  }

  static String projectOf(String namespace) {
    return Map.of("ml-dev", "ml").get(namespace);
  }

  private final AdmissionReviewer reviewer =
      new AdmissionReviewer(AdmissionReviewerTest::policies, AdmissionReviewerTest::projectOf, AdmissionReviewer.NO_OTHER_KINDS);

  @Test
  void aWorkloadBreakingTwoRulesIsDeniedWithBoth() throws Exception {
    String spec = "{\"image\":\"docker.io/me/train:1\",\"gpu\":{\"count\":4}}";
    JsonNode response = review(Endpoint.VALIDATE, request("CREATE", "Training", spec));

    assertEquals("uid-1", response.path("uid").asText());
    assertFalse(response.path("allowed").asBoolean(true));
    assertEquals(403, response.path("status").path("code").asInt());
    var policy = policies().effective(WorkloadKind.TRAINING, "ml");
    List<String> expected =
        policy.violations(policy.applyDefaults(JSON.readValue(spec, WorkloadSpec.class)));
    assertEquals(2, expected.size(), "fixture: the image and the GPU count break a rule each");
    assertEquals(
        "Training t1 is rejected by workload policy ml-limits: " + String.join("; ", expected),
        response.path("status").path("message").asText());
    // Each rule broken is also a cause on its field, which the API server hands to the client.
    JsonNode causes = response.path("status").path("details").path("causes");
    assertEquals(List.of("spec.gpu.count", "spec.image"),
        List.of(causes.get(0).path("field").asText(), causes.get(1).path("field").asText()));
    assertEquals(expected.get(0), causes.get(0).path("message").asText());
    assertEquals("FieldValueForbidden", causes.get(1).path("reason").asText());
  }

  @Test
  void aWorkloadWithinThePolicyIsAllowed() throws Exception {
    JsonNode response =
        review(Endpoint.VALIDATE, request("CREATE", "Training", "{\"image\":\"nvcr.io/x:1\"}"));
    assertTrue(response.path("allowed").asBoolean());
    assertFalse(response.has("status"));
  }

  @Test
  void anUpdateLeavingTheSpecAloneOrStoppingIsAllowedEvenIfItBreaksThePolicy() throws Exception {
    String bad = "{\"image\":\"docker.io/me/train:1\"}";
    ObjectNode finalizerEdit = request("UPDATE", "Training", bad);
    finalizerEdit.with("request").set("oldObject", finalizerEdit.path("request").path("object"));
    assertTrue(review(Endpoint.VALIDATE, finalizerEdit).path("allowed").asBoolean());

    ObjectNode stop = request("UPDATE", "Training", "{\"image\":\"docker.io/me/train:1\",\"stopped\":true}");
    stop.with("request").set("oldObject", request("UPDATE", "Training", bad).path("request").path("object"));
    assertTrue(review(Endpoint.VALIDATE, stop).path("allowed").asBoolean());

    ObjectNode change = request("UPDATE", "Training", "{\"image\":\"docker.io/me/train:2\"}");
    change.with("request").set("oldObject", request("UPDATE", "Training", bad).path("request").path("object"));
    assertFalse(review(Endpoint.VALIDATE, change).path("allowed").asBoolean(true));
  }

  @Test
  void aNameAnotherKindHoldsIsRefusedAtCreation() throws Exception {
    AdmissionReviewer knowing = new AdmissionReviewer(AdmissionReviewerTest::policies, AdmissionReviewerTest::projectOf,
        (namespace, name, kind) -> namespace.equals("ml-dev") && name.equals("t1") && kind != WorkloadKind.WORKSPACE
            ? java.util.Optional.of(WorkloadKind.WORKSPACE) : java.util.Optional.empty());
    JsonNode response = JSON.readTree(knowing.review(Endpoint.VALIDATE,
        JSON.writeValueAsBytes(request("CREATE", "Training", "{\"image\":\"nvcr.io/x:1\"}")))).path("response");
    assertFalse(response.path("allowed").asBoolean(true));
    assertEquals(409, response.path("status").path("code").asInt());
    assertEquals("Training t1 cannot be created: Workspace t1 exists in namespace ml-dev, and the pods, Services and"
        + " PodGroup of two workloads of one name would collide; choose another name",
        response.path("status").path("message").asText());
  }

  @Test
  void whatTheApiServerWouldRefuseLaterIsRefusedNow() throws Exception {
    JsonNode noFramework = review(Endpoint.VALIDATE,
        request("CREATE", "DistributedTraining", "{\"image\":\"nvcr.io/x:1\",\"workers\":2}"));
    assertEquals(422, noFramework.path("status").path("code").asInt());
    assertEquals("DistributedTraining t1 is invalid: spec.framework is required: one of [pytorch, tensorflow, mpi]",
        noFramework.path("status").path("message").asText());

    JsonNode unnamed = review(Endpoint.VALIDATE, request("CREATE", "Workspace",
        "{\"image\":\"nvcr.io/x:1\",\"connections\":[{\"port\":80},{\"port\":81}]}"));
    assertFalse(unnamed.path("allowed").asBoolean(true));
    assertTrue(unnamed.path("status").path("message").asText()
        .contains("spec.connections[1].name is required"), unnamed.toString());
  }

  @Test
  void anElasticTrainingIsRefusedWhereItsRangeOrFrameworkCannotWork() throws Exception {
    assertTrue(review(Endpoint.VALIDATE, request("CREATE", "DistributedTraining",
        "{\"image\":\"nvcr.io/x:1\",\"framework\":\"pytorch\",\"minWorkers\":1,\"maxWorkers\":3}"))
        .path("allowed").asBoolean(false), "a pytorch range is an elastic training");
    assertEquals("DistributedTraining t1 is invalid: spec.maxWorkers (1) must be at least spec.minWorkers (2)",
        review(Endpoint.VALIDATE, request("CREATE", "DistributedTraining",
            "{\"image\":\"nvcr.io/x:1\",\"framework\":\"pytorch\",\"minWorkers\":2,\"maxWorkers\":1}"))
            .path("status").path("message").asText());
    assertEquals("DistributedTraining t1 is invalid: elastic training (minWorkers/maxWorkers) needs framework pytorch,"
        + " whose launcher (torchrun) re-forms the group as workers come and go; mpi needs a fixed spec.workers",
        review(Endpoint.VALIDATE, request("CREATE", "DistributedTraining",
            "{\"image\":\"nvcr.io/x:1\",\"framework\":\"mpi\",\"minWorkers\":1,\"maxWorkers\":2}"))
            .path("status").path("message").asText());
    assertEquals("DistributedTraining t1 is invalid: spec.workers fixes the size and spec.minWorkers/maxWorkers make"
        + " it elastic: give one or the other; an elastic training needs both spec.minWorkers and spec.maxWorkers",
        review(Endpoint.VALIDATE, request("CREATE", "DistributedTraining",
            "{\"image\":\"nvcr.io/x:1\",\"framework\":\"pytorch\",\"workers\":2,\"minWorkers\":1}"))
            .path("status").path("message").asText());
  }

  @Test
  void anInferenceThatCouldNotScaleAsWrittenIsRefusedSayingWhy() throws Exception {
    JsonNode noSeries = review(Endpoint.VALIDATE, request("CREATE", "Inference",
        "{\"image\":\"nvcr.io/x:1\",\"connections\":[{\"name\":\"http\",\"port\":8000}],"
            + "\"autoscaling\":{\"metric\":\"concurrency\",\"target\":4}}"));
    assertEquals(422, noSeries.path("status").path("code").asInt());
    assertEquals("Inference t1 is invalid: spec.autoscaling.series is required for concurrency: the Prometheus series"
            + " each replica serves, e.g. vllm:num_requests_running (vLLM) or nv_inference_pending_request_count"
            + " (Triton)",
        noSeries.path("status").path("message").asText());

    JsonNode noPort = review(Endpoint.VALIDATE, request("CREATE", "Inference",
        "{\"image\":\"nvcr.io/x:1\",\"autoscaling\":{\"metric\":\"requests-per-second\",\"target\":0,"
            + "\"series\":\"vllm:request_success_total\"}}"));
    assertEquals("Inference t1 is invalid: spec.autoscaling.target must be at least 1, was 0;"
            + " spec.autoscaling.port is required for requests-per-second: the inference has no connection whose port"
            + " its replicas' metrics could be read on",
        noPort.path("status").path("message").asText());

    JsonNode fine = review(Endpoint.VALIDATE, request("CREATE", "Inference",
        "{\"image\":\"nvcr.io/x:1\",\"autoscaling\":{\"metric\":\"concurrency\",\"target\":200,"
            + "\"port\":9090,\"path\":\"/stats/prometheus\",\"series\":\"inflight{model=\\\"a\\\"}\"}}"));
    assertTrue(fine.path("allowed").asBoolean(), fine.toString());
  }

  @Test
  void defaultsBecomeTheExactJsonPatch() throws Exception {
    JsonNode response =
        review(
            Endpoint.MUTATE,
            request("CREATE", "Workspace", "{\"image\":\"nvcr.io/x:1\",\"cpu\":\"1\"}"));

    assertTrue(response.path("allowed").asBoolean());
    assertEquals("JSONPatch", response.path("patchType").asText());
    JsonNode patch = JSON.readTree(Base64.getDecoder().decode(response.path("patch").asText()));
    assertEquals(
        JSON.readTree(
            "[{\"op\":\"add\",\"path\":\"/spec/gpu\",\"value\":{\"fraction\":0.5}},"
                + "{\"op\":\"add\",\"path\":\"/spec/nodePools\",\"value\":[\"a100\"]}]"),
        patch);
  }

  @Test
  void aWorkloadWithoutSpecGetsTheWholeDefaultSpec() throws Exception {
    ObjectNode request = request("CREATE", "Inference", "{}");
    ((ObjectNode) request.path("request").path("object")).remove("spec");
    JsonNode patch =
        JSON.readTree(
            Base64.getDecoder().decode(review(Endpoint.MUTATE, request).path("patch").asText()));
    assertEquals(
        JSON.readTree(
            "[{\"op\":\"add\",\"path\":\"/spec\",\"value\":"
                + "{\"gpu\":{\"fraction\":0.5},\"cpu\":\"2\",\"nodePools\":[\"a100\"]}}]"),
        patch);
  }

  @Test
  void nothingToFillMeansNoPatch() throws Exception {
    String full = "{\"image\":\"nvcr.io/x:1\",\"gpu\":{\"count\":1},\"cpu\":\"1\",\"nodePools\":[\"h100\"]}";
    JsonNode response = review(Endpoint.MUTATE, request("CREATE", "Training", full));
    assertTrue(response.path("allowed").asBoolean());
    assertFalse(response.has("patch"));
    assertFalse(response.has("patchType"));

    // outside any project only global policies apply: there are none here
    ObjectNode elsewhere = request("CREATE", "Training", "{}");
    ((ObjectNode) elsewhere.path("request")).put("namespace", "default");
    assertFalse(review(Endpoint.MUTATE, elsewhere).has("patch"));
  }

  @Test
  void theCreatingUserIsRecordedOverWhateverTheObjectClaims() throws Exception {
    String full = "{\"image\":\"nvcr.io/x:1\",\"gpu\":{\"count\":1},\"cpu\":\"1\",\"nodePools\":[\"h100\"]}";
    ObjectNode plain = request("CREATE", "Training", full);
    ((ObjectNode) plain.path("request")).putObject("userInfo").put("username", "alice");
    assertEquals(
        JSON.readTree("[{\"op\":\"add\",\"path\":\"/metadata/annotations\","
            + "\"value\":{\"tessera.dev/created-by\":\"alice\"}}]"),
        patchOf(review(Endpoint.MUTATE, plain)));

    ObjectNode forged = request("CREATE", "Training", full);
    ((ObjectNode) forged.path("request")).putObject("userInfo").put("username", "bob");
    ((ObjectNode) forged.path("request").path("object").path("metadata")).putObject("annotations")
        .put("tessera.dev/created-by", "alice");
    assertEquals(
        JSON.readTree("[{\"op\":\"add\",\"path\":\"/metadata/annotations/tessera.dev~1created-by\","
            + "\"value\":\"bob\"}]"),
        patchOf(review(Endpoint.MUTATE, forged)));
  }

  @Test
  void anUpdateMayNotChangeWhoCreatedTheWorkload() throws Exception {
    ObjectNode update = request("UPDATE", "Training", "{\"image\":\"nvcr.io/x:1\"}");
    ObjectNode request = (ObjectNode) update.path("request");
    request.set("oldObject", request.path("object").deepCopy());
    ((ObjectNode) request.path("oldObject").path("metadata")).putObject("annotations")
        .put("tessera.dev/created-by", "alice");
    ((ObjectNode) request.path("object").path("metadata")).putObject("annotations")
        .put("tessera.dev/created-by", "mallory");
    JsonNode denied = review(Endpoint.VALIDATE, update);
    assertFalse(denied.path("allowed").asBoolean());
    assertEquals(403, denied.path("status").path("code").asInt());
    assertTrue(denied.path("status").path("message").asText().contains("it says alice"), denied.toString());

    ((ObjectNode) request.path("object").path("metadata").path("annotations")).put("tessera.dev/created-by", "alice");
    assertTrue(review(Endpoint.VALIDATE, update).path("allowed").asBoolean(), "the same creator: allowed");
  }

  private static JsonNode patchOf(JsonNode response) throws Exception {
    return JSON.readTree(Base64.getDecoder().decode(response.path("patch").asText()));
  }

  @Test
  void otherKindsAndOperationsAreAllowedUntouched() throws Exception {
    ObjectNode pod = request("CREATE", "Pod", "{\"image\":\"docker.io/x\"}");
    ((ObjectNode) pod.path("request").path("kind")).put("group", "");
    assertTrue(review(Endpoint.VALIDATE, pod).path("allowed").asBoolean());
    assertFalse(review(Endpoint.MUTATE, pod).has("patch"));

    ObjectNode policy = request("CREATE", "WorkloadPolicy", "{}");
    assertTrue(review(Endpoint.VALIDATE, policy).path("allowed").asBoolean());

    ObjectNode delete = request("DELETE", "Training", "{\"image\":\"docker.io/x\"}");
    assertTrue(review(Endpoint.VALIDATE, delete).path("allowed").asBoolean());
    // defaults are filled on CREATE only
    assertFalse(review(Endpoint.MUTATE, request("UPDATE", "Training", "{}")).has("patch"));
  }

  @Test
  void anUnreadableSpecIsDeniedWithTheUid() throws Exception {
    JsonNode response =
        review(Endpoint.VALIDATE, request("CREATE", "Training", "{\"gpu\":{\"count\":\"many\"}}"));
    assertEquals("uid-1", response.path("uid").asText());
    assertFalse(response.path("allowed").asBoolean(true));
    assertEquals(400, response.path("status").path("code").asInt());
    assertTrue(
        response.path("status").path("message").asText().startsWith("the Training's spec cannot be read"),
        response.toString());
  }

  @Test
  void aBodyWithoutReadableUidIsMalformed() {
    for (String body :
        List.of("not json", "{}", "{\"request\":{}}", "{\"request\":{\"uid\":7}}", "[]")) {
      MalformedReviewException e =
          assertThrows(
              MalformedReviewException.class,
              () -> reviewer.review(Endpoint.VALIDATE, body.getBytes(StandardCharsets.UTF_8)),
              body);
      assertFalse(e.getMessage().isBlank());
    }
  }

  /** A review of {@code kind} t1 in namespace ml-dev with {@code spec}. */
  static ObjectNode request(String operation, String kind, String spec) throws Exception {
    return (ObjectNode)
        JSON.readTree(
            "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
                + "\"uid\":\"uid-1\",\"kind\":{\"group\":\"tessera.dev\",\"version\":\"v1alpha1\","
                + "\"kind\":\"" + kind + "\"},\"operation\":\"" + operation + "\",\"name\":\"t1\","
                + "\"namespace\":\"ml-dev\",\"object\":{\"apiVersion\":\"tessera.dev/v1alpha1\","
                + "\"kind\":\"" + kind + "\",\"metadata\":{\"name\":\"t1\",\"namespace\":\"ml-dev\"},"
                + "\"spec\":" + spec + "}}}");
  }

  private JsonNode review(Endpoint endpoint, JsonNode request) throws Exception {
    JsonNode review = JSON.readTree(reviewer.review(endpoint, JSON.writeValueAsBytes(request)));
    assertEquals("admission.k8s.io/v1", review.path("apiVersion").asText());
    assertEquals("AdmissionReview", review.path("kind").asText());
    return review.path("response");
  }

  private static NamedPolicy named(String name, String spec) {
    try {
      return new NamedPolicy(name, JSON.readValue(spec, WorkloadPolicySpec.class));
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }
}
