package dev.tessera.controller.external;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.api.WellKnown;
import dev.tessera.controller.admission.AdmissionReviewer;
import dev.tessera.controller.workloads.policy.WorkloadPolicies;
import io.fabric8.zjsonpatch.JsonPatch;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The pod webhook as the API server calls it: an AdmissionReview of a pod in, the JSON patch out,
 * applied here to see the pod the API server would store. Owners are read from a map standing for
 * the API server; each test says what it holds.
 */
class PodWebhookTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Objects by "kind/name", as the API server would return them. */
  private final Map<String, Map<String, Object>> objects = new HashMap<>();
  private final List<String> reads = new ArrayList<>();
  private boolean apiDown;

  private final AdmissionReviewer reviewer = new AdmissionReviewer(() -> WorkloadPolicies.NONE,
      namespace -> namespace.equals("team-a") ? "team-a" : null, AdmissionReviewer.NO_OTHER_KINDS,
      new PodMutation(namespace -> namespace.equals("team-a") ? "team-a" : null, new TopOwners(this::read), JSON));

  @Test
  void aDeploymentsFractionalPodIsScheduledByTesseraGetsItsGpuShareAndJoinsItsDeploymentsWorkload() throws Exception {
    owner("Deployment", "web", "uid-d", null, Map.of("replicas", 3));
    owner("ReplicaSet", "web-5d9f", "uid-rs", ref("apps/v1", "Deployment", "web", "uid-d"), Map.of("replicas", 3));
    ObjectNode pod = pod("web-5d9f-x2x", ref("apps/v1", "ReplicaSet", "web-5d9f", "uid-rs"));
    pod.with("metadata").with("annotations").put(WellKnown.GPU_FRACTION, "0.5");

    JsonNode stored = admitted("team-a", pod);

    assertEquals(WellKnown.SCHEDULER_NAME, stored.path("spec").path("schedulerName").asText());
    assertEquals("1", stored.path("spec").path("containers").get(0).path("resources").path("limits")
        .path(WellKnown.GPU_SHARE_RESOURCE).asText(), "the GPU share kubelet hands to the node agent");
    assertEquals("deployment-web", label(stored, WellKnown.WORKLOAD_LABEL));
    assertEquals("external", label(stored, WellKnown.WORKLOAD_KIND_LABEL));
    assertNull(label(stored, WellKnown.POD_GROUP_LABEL), "each replica is placed alone");
    assertEquals("apps/v1/Deployment/web/uid-d",
        stored.path("metadata").path("annotations").path(WellKnown.TOP_OWNER_ANNOTATION).asText());
    assertEquals("web", label(stored, "app"), "its own labels stay");
    assertEquals(List.of("ReplicaSet/web-5d9f", "Deployment/web"), reads);
  }

  @Test
  void aPyTorchJobsPodsFormOneGangOfMasterAndWorkers() throws Exception {
    owner("PyTorchJob", "bert", "uid-p", null, Map.of("pytorchReplicaSpecs",
        Map.of("Master", Map.of("replicas", 1), "Worker", Map.of("replicas", 3))));
    ObjectNode pod = pod("bert-worker-2", ref("kubeflow.org/v1", "PyTorchJob", "bert", "uid-p"));
    pod.with("metadata").with("labels").put(WellKnown.POD_GROUP_LABEL, "bert-volcano");

    JsonNode stored = admitted("team-a", pod);

    assertEquals("pytorchjob-bert", label(stored, WellKnown.POD_GROUP_LABEL), "Tessera's PodGroup governs it now");
    assertEquals("pytorchjob-bert", label(stored, WellKnown.WORKLOAD_LABEL));
    assertFalse(stored.path("metadata").path("annotations").has(WellKnown.ELASTIC_ANNOTATION));
  }

  @Test
  void rayWorkersAboveTheMinimumMayLeaveAloneButTheHeadMayNot() throws Exception {
    Map<String, Object> cluster =
        Map.of("workerGroupSpecs", List.of(Map.of("replicas", 2, "minReplicas", 1, "maxReplicas", 4)));
    owner("RayJob", "tune", "uid-j", null, Map.of("rayClusterSpec", cluster));
    owner("RayCluster", "tune-raycluster", "uid-c", ref("ray.io/v1", "RayJob", "tune", "uid-j"), cluster);
    ObjectNode worker = pod("tune-worker-a", ref("ray.io/v1", "RayCluster", "tune-raycluster", "uid-c"));
    worker.with("metadata").with("labels").put("ray.io/node-type", "worker");
    ObjectNode head = pod("tune-head", ref("ray.io/v1", "RayCluster", "tune-raycluster", "uid-c"));
    head.with("metadata").with("labels").put("ray.io/node-type", "head");

    JsonNode storedWorker = admitted("team-a", worker);
    JsonNode storedHead = admitted("team-a", head);

    assertEquals("rayjob-tune", label(storedWorker, WellKnown.POD_GROUP_LABEL), "the RayJob is the top owner");
    assertEquals("true", storedWorker.path("metadata").path("annotations").path(WellKnown.ELASTIC_ANNOTATION).asText());
    assertFalse(storedHead.path("metadata").path("annotations").has(WellKnown.ELASTIC_ANNOTATION));
  }

  @Test
  void aCronJobsRunsAreWorkloadsOfTheirOwnAndABarePodIsScheduledButNotGrouped() throws Exception {
    owner("Job", "nightly-2917", "uid-n", ref("batch/v1", "CronJob", "nightly", "uid-cron"), Map.of());
    JsonNode run = admitted("team-a", pod("nightly-2917-abc", ref("batch/v1", "Job", "nightly-2917", "uid-n")));
    assertEquals("job-nightly-2917", label(run, WellKnown.WORKLOAD_LABEL));

    JsonNode bare = admitted("team-a", pod("scratch", null));
    assertEquals(WellKnown.SCHEDULER_NAME, bare.path("spec").path("schedulerName").asText());
    assertNull(label(bare, WellKnown.WORKLOAD_LABEL));
  }

  @Test
  void podsOfAnotherSchedulerOptedOutOrOutsideProjectsAreLeftAlone() throws Exception {
    ObjectNode volcano = pod("v", null);
    volcano.with("spec").put("schedulerName", "volcano");
    assertFalse(reviewed("team-a", volcano).has("patch"), "its owner chose another scheduler");

    ObjectNode optedOut = pod("o", null);
    optedOut.with("metadata").with("labels").put(WellKnown.SCHEDULING_LABEL, WellKnown.SCHEDULING_DISABLED);
    assertFalse(reviewed("team-a", optedOut).has("patch"));

    assertFalse(reviewed("kube-system", pod("k", null)).has("patch"), "no project owns the namespace");
  }

  @Test
  void aPodThatRequestsAGpuResourceItselfGetsNoShareAddedAndAnUnknownOwnerIsItsOwnWorkload() throws Exception {
    ObjectNode pod = pod("w", ref("example.com/v1", "Trainer", "t", "uid-t"));
    pod.with("metadata").with("annotations").put(WellKnown.GPU_FRACTION, "0.5");
    ((ObjectNode) pod.with("spec").withArray("containers").get(0)).putObject("resources").putObject("limits")
        .put(WellKnown.GPU_RESOURCE, "1");

    JsonNode stored = admitted("team-a", pod);

    assertFalse(stored.path("spec").path("containers").get(0).path("resources").path("limits")
        .has(WellKnown.GPU_SHARE_RESOURCE));
    assertEquals("trainer-t", label(stored, WellKnown.WORKLOAD_LABEL));
    assertEquals(List.of(), reads, "Tessera reads only the kinds its RBAC grants");
  }

  @Test
  void anOwnerThatCannotBeReadRefusesThePodWithWhatToDo() throws Exception {
    apiDown = true;
    JsonNode response = reviewed("team-a", pod("p", ref("batch/v1", "Job", "j", "uid-j")));
    assertFalse(response.path("allowed").asBoolean(true));
    assertEquals(503, response.path("status").path("code").asInt());
    assertTrue(response.path("status").path("message").asText().contains("Job j"),
        response.path("status").path("message").asText());
  }

  @Test
  void longOwnerNamesBecomeLabelValuesOfAtMost63CharactersThatStayDistinct() {
    String a = WorkloadNames.of("PyTorchJob", "a".repeat(60) + "-one");
    String b = WorkloadNames.of("PyTorchJob", "a".repeat(60) + "-two");
    assertTrue(a.length() <= 63 && b.length() <= 63, a + " " + b);
    assertFalse(a.equals(b));
    assertEquals("job-x", WorkloadNames.of("Job", "x"));
  }

  private Optional<Map<String, Object>> read(String namespace, String apiVersion, String kind, String name)
      throws TopOwners.ReadFailed {
    if (apiDown) {
      throw new TopOwners.ReadFailed("reading " + kind + " " + name + " failed (HTTP 503)", null);
    }
    reads.add(kind + "/" + name);
    return Optional.ofNullable(objects.get(kind + "/" + name));
  }

  private void owner(String kind, String name, String uid, Map<String, Object> controller, Map<String, Object> spec) {
    Map<String, Object> metadata = new HashMap<>(Map.of("name", name, "namespace", "team-a", "uid", uid));
    if (controller != null) {
      metadata.put("ownerReferences", List.of(controller));
    }
    objects.put(kind + "/" + name, Map.of("metadata", metadata, "spec", spec));
  }

  private static Map<String, Object> ref(String apiVersion, String kind, String name, String uid) {
    return Map.of("apiVersion", apiVersion, "kind", kind, "name", name, "uid", uid, "controller", true);
  }

  private static ObjectNode pod(String name, Map<String, Object> owner) {
    ObjectNode pod = JSON.createObjectNode();
    pod.put("apiVersion", "v1").put("kind", "Pod");
    ObjectNode metadata = pod.putObject("metadata");
    metadata.put("name", name).put("namespace", "team-a");
    metadata.putObject("labels").put("app", "web");
    metadata.putObject("annotations");
    if (owner != null) {
      metadata.putArray("ownerReferences").add(JSON.valueToTree(owner));
    }
    ObjectNode spec = pod.putObject("spec");
    spec.putArray("containers").addObject().put("name", "main").put("image", "nvcr.io/nvidia/pytorch:24.05-py3");
    return pod;
  }

  private JsonNode reviewed(String namespace, ObjectNode pod) throws Exception {
    ObjectNode review = JSON.createObjectNode();
    review.put("apiVersion", "admission.k8s.io/v1").put("kind", "AdmissionReview");
    ObjectNode request = review.putObject("request");
    request.put("uid", "uid-review").put("operation", "CREATE").put("namespace", namespace);
    request.putObject("kind").put("group", "").put("version", "v1").put("kind", "Pod");
    request.set("object", pod);
    return JSON.readTree(reviewer.review(AdmissionReviewer.Endpoint.MUTATE, JSON.writeValueAsBytes(review)))
        .path("response");
  }

  /** The pod as the API server stores it after the webhook's patch. */
  private JsonNode admitted(String namespace, ObjectNode pod) throws Exception {
    JsonNode response = reviewed(namespace, pod);
    assertTrue(response.path("allowed").asBoolean(), response.toString());
    if (!response.has("patch")) {
      return pod;
    }
    assertEquals("JSONPatch", response.path("patchType").asText());
    JsonNode patch = JSON.readTree(Base64.getDecoder().decode(response.path("patch").asText()));
    return JsonPatch.apply(patch, pod);
  }

  private static String label(JsonNode pod, String key) {
    JsonNode value = pod.path("metadata").path("labels").path(key);
    return value.isMissingNode() ? null : value.asText();
  }
}
