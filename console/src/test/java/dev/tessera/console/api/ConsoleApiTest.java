package dev.tessera.console.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tessera.api.WellKnown;
import dev.tessera.api.policy.ProjectResource;
import dev.tessera.api.policy.ProjectSpec;
import dev.tessera.api.workloads.ExternalWorkloadResource;
import dev.tessera.api.workloads.ExternalWorkloadSpec;
import dev.tessera.api.workloads.TrainingResource;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.api.workloads.WorkloadStatus;
import dev.tessera.console.ConsoleJson;
import dev.tessera.console.ConsoleRuntime;
import dev.tessera.console.metrics.MetricNames;
import dev.tessera.console.metrics.MetricsResult;
import dev.tessera.console.testing.MemoryHistory;
import dev.tessera.console.testing.TableAccess;
import dev.tessera.extender.testing.Await;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Workloads API over real HTTP, on the in-process API server: who sees what, filters, CSV,
 * details, actions, errors as Kubernetes Status objects, the change stream and the OpenAPI document.
 * Each test has an API server and a console of its own.
 * RBAC itself (TokenReview, SubjectAccessReview) is proven on the real control plane in e2e.
 */
class ConsoleApiTest {
  private static final ObjectMapper JSON = ConsoleJson.mapper();
  private static final Set<String> READ = Set.of("get", "list", "watch");
  private static final Set<String> WRITE = Set.of("get", "list", "watch", "create", "patch", "delete");
  private static final TableAccess ACCESS = new TableAccess(
      Map.of("alice-token", "alice", "bob-token", "bob"),
      Map.of("alice", Map.of("team-a", WRITE), "bob", Map.of("team-a", READ, "team-b", READ)));

  private EmbeddedApiServer api;
  private KubernetesClient client;
  private ConsoleRuntime console;
  private static final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    api = EmbeddedApiServer.start();
    client = api.client();
    for (String team : List.of("team-a", "team-b")) {
      ProjectResource project = new ProjectResource();
      project.setMetadata(new ObjectMetaBuilder().withName(team).build());
      project.setSpec(new ProjectSpec(List.of(team), "research", null, null, null, null));
      client.resource(project).create();
    }
    client.resource(training("team-a", "bert", 2)).create();
    client.resource(training("team-a", "resnet", 1)).create();
    client.resource(training("team-b", "secret-llm", 8)).create();
    console = ConsoleRuntime.start(new ConsoleRuntime.Settings(0, "lab", Duration.ofDays(30), false, Duration.ZERO),
        client, new MemoryHistory(), request -> new MetricsResult("test", List.of(),
            Map.of(MetricNames.CPU_UTILIZATION, "no Prometheus configured")), ACCESS, ACCESS, Clock.systemUTC());
    Await.await("three rows", () -> console.catalog().live().size() == 3);
  }

  @AfterEach
  void stop() {
    console.close();
    api.close();
  }

  private static TrainingResource training(String namespace, String name, int gpus) {
    TrainingResource training = new TrainingResource();
    training.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name)
        .withAnnotations(Map.of(WellKnown.CREATED_BY_ANNOTATION, "alice")).build());
    training.setSpec(new WorkloadSpec("pytorch:24.08", null, null, null,
        new WorkloadSpec.GpuSpec(gpus, null, null, null, null, null), null, null, null, null, null, null, null, null,
        null, null));
    return training;
  }

  /**
   * A PyTorchJob's pods as the external-workload controller leaves them: an ExternalWorkload
   * owned by the job, its status written from the pods, and the pods labelled with it.
   */
  private void pytorchJob(String namespace, String job, int pods) {
    String name = "pytorchjob-" + job;
    ExternalWorkloadResource external = new ExternalWorkloadResource();
    external.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
    external.setSpec(new ExternalWorkloadSpec(new ExternalWorkloadSpec.Owner("kubeflow.org/v1", "PyTorchJob", job,
        "5f0c-" + job), pods, name, "PyTorchJob: every replica of pytorchReplicaSpecs"));
    ExternalWorkloadResource created = client.resource(external).create();
    created.setStatus(new WorkloadStatus("Running", null, List.of(new WorkloadStatus.PhaseChange("Running",
        "2026-12-07T10:00:05Z", "PodsRunning", pods + "/" + pods + " pods running")), pods, pods, 2.0 * pods,
        2.0 * pods, "4", "16Gi", "4", "16Gi", List.of("gpu-1"), "2026-12-07T10:00:00Z", null, null, "PodsRunning",
        1L));
    client.resource(created).updateStatus();
    for (int i = 0; i < pods; i++) {
      client.resource(new PodBuilder()
          .withNewMetadata().withNamespace(namespace).withName(job + (i == 0 ? "-master-0" : "-worker-" + (i - 1)))
          .withLabels(Map.of(WellKnown.WORKLOAD_LABEL, name, WellKnown.WORKLOAD_KIND_LABEL, "external"))
          .withAnnotations(Map.of(WellKnown.TOP_OWNER_ANNOTATION, "kubeflow.org/v1/PyTorchJob/" + job + "/5f0c-" + job,
              WellKnown.NODE_POOLS, "a100"))
          .endMetadata()
          .withNewSpec().withNodeName("gpu-1").addNewContainer().withName("pytorch").withImage("pytorch:24.08")
          .endContainer().endSpec()
          .withNewStatus().withPhase("Running").endStatus()
          .build()).create();
    }
    Await.await("the external workload's row with its pods", () -> console.catalog().details(namespace,
        WorkloadKind.EXTERNAL, name).map(d -> d.pods().size() == pods && d.row().status().equals("Running"))
        .orElse(false));
  }

  private HttpResponse<String> call(String method, String path, String token, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + console.port() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A GET's body, for a condition awaited. */
  private String call(String method, String path, String token) {
    try {
      return call(method, path, token, null).body();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private JsonNode get(String path, String token, int status) throws Exception {
    HttpResponse<String> response = call("GET", path, token, null);
    assertEquals(status, response.statusCode(), response.body());
    return JSON.readTree(response.body());
  }

  private static List<String> names(JsonNode list) {
    List<String> names = new java.util.ArrayList<>();
    list.path("items").forEach(item -> names.add(item.path("name").asText()));
    return names;
  }

  @Test
  void everyoneSeesExactlyTheProjectsTheyMayAndNothingOfTheOthers() throws Exception {
    JsonNode alice = get("/api/v1/workloads?sortBy=name", "alice-token", 200);
    assertEquals(List.of("bert", "resnet"), names(alice));
    assertEquals(2, alice.path("total").asInt());
    assertEquals("WorkloadList", alice.path("kind").asText());
    // Filtering on another project's name tells nothing about it.
    assertEquals(0, get("/api/v1/workloads?filterBy=project==team-b", "alice-token", 200).path("total").asInt());
    assertEquals(List.of("bert", "resnet", "secret-llm"), names(get("/api/v1/workloads?sortBy=name", "bob-token", 200)));

    JsonNode forbidden = get("/api/v1/namespaces/team-b/trainings/secret-llm", "alice-token", 403);
    assertEquals("Status", forbidden.path("kind").asText());
    assertEquals("Forbidden", forbidden.path("reason").asText());
    assertTrue(forbidden.path("message").asText().contains("may not get trainings.tessera.dev in namespace team-b"));
    // The same answer whether the workload exists or not.
    assertEquals(403, call("GET", "/api/v1/namespaces/team-b/trainings/nothing", "alice-token", null).statusCode());
  }

  @Test
  void signingInIsRequiredAndABadTokenIsRefused() throws Exception {
    JsonNode none = get("/api/v1/workloads", null, 401);
    assertTrue(none.path("message").asText().contains("bearer token"));
    assertEquals("Unauthorized", get("/api/v1/workloads", "forged", 401).path("reason").asText());
    assertEquals("ok", call("GET", "/healthz", null, null).body());
  }

  @Test
  void filtersSortsPagesAndWritesCsv() throws Exception {
    JsonNode big = get("/api/v1/workloads?filterBy=gpuComputeRequest%3E%3D2&sortBy=gpuComputeRequest&sortOrder=desc",
        "bob-token", 200);
    assertEquals(List.of("secret-llm", "bert"), names(big));
    JsonNode first = get("/api/v1/workloads?sortBy=name&limit=2", "bob-token", 200);
    assertEquals(List.of("bert", "resnet"), names(first));
    assertEquals(1, first.path("metadata").path("remainingItemCount").asInt());
    String token = first.path("metadata").path("continue").asText();
    JsonNode second = get("/api/v1/workloads?sortBy=name&limit=2&continue=" + token, "bob-token", 200);
    assertEquals(List.of("secret-llm"), names(second));

    HttpResponse<String> csv = call("GET", "/api/v1/workloads?sortBy=name&format=csv&columns=name,project,gpuComputeRequest",
        "alice-token", null);
    assertEquals(200, csv.statusCode());
    assertEquals("Name,Project,GPU compute request\r\nbert,team-a,2\r\nresnet,team-a,1\r\n", csv.body());
    assertTrue(csv.headers().firstValue("Content-Disposition").orElseThrow().contains("workloads.csv"));

    JsonNode bad = get("/api/v1/workloads?filterBy=gpuComputeRequest=@2", "alice-token", 400);
    assertEquals("BadRequest", bad.path("reason").asText());
    assertTrue(bad.path("message").asText().contains("takes [==, !=, >=, <=, >, <]"));
    assertEquals(400, call("GET", "/api/v1/workloads?continue=garbage", "alice-token", null).statusCode());
    assertEquals(400, call("GET", "/api/v1/workloads?sortOrder=up", "alice-token", null).statusCode());
  }

  @Test
  void detailsSayWhatTheCallerMayDo() throws Exception {
    JsonNode asAlice = get("/api/v1/namespaces/team-a/trainings/bert", "alice-token", 200);
    assertEquals("Training", asAlice.path("kind").asText());
    assertEquals(2.0, asAlice.path("row").path("gpuComputeRequest").asDouble());
    assertTrue(asAlice.path("actions").path("stop").path("allowed").asBoolean());
    JsonNode asBob = get("/api/v1/namespaces/team-a/trainings/bert", "bob-token", 200);
    assertFalse(asBob.path("actions").path("stop").path("allowed").asBoolean());
    assertTrue(asBob.path("actions").path("stop").path("reason").asText().contains("patch trainings.tessera.dev"));
    JsonNode metrics = get("/api/v1/namespaces/team-a/trainings/bert/metrics?step=30s", "bob-token", 200);
    assertEquals("no Prometheus configured", metrics.path("unavailable").path(MetricNames.CPU_UTILIZATION).asText());
    assertEquals(400, call("GET", "/api/v1/namespaces/team-a/trainings/bert/metrics?start=yesterday", "bob-token",
        null).statusCode());
    JsonNode template = get("/api/v1/namespaces/team-a/trainings/bert/template", "bob-token", 200);
    assertEquals("bert-copy", template.path("metadata").path("name").asText());
    assertEquals(2, template.path("spec").path("gpu").path("count").asInt());
    assertEquals(404, call("GET", "/api/v1/namespaces/team-a/gadgets/bert", "bob-token", null).statusCode());
    assertEquals(405, call("PUT", "/api/v1/workloads", "bob-token", "{}").statusCode());
  }

  @Test
  void actionsAreRefusedToViewersAndDoneForResearchers() throws Exception {
    HttpResponse<String> refused = call("POST", "/api/v1/namespaces/team-a/trainings/resnet/stop", "bob-token", null);
    assertEquals(403, refused.statusCode());
    assertTrue(refused.body().contains("may not patch trainings.tessera.dev in namespace team-a"));

    HttpResponse<String> stopped = call("POST", "/api/v1/namespaces/team-a/trainings/resnet/stop", "alice-token", null);
    assertEquals(200, stopped.statusCode(), stopped.body());
    assertTrue(stopped.body().contains("is stopping"));
    assertEquals(Boolean.TRUE, client.resources(TrainingResource.class).inNamespace("team-a").withName("resnet").get()
        .getSpec().stopped());

    HttpResponse<String> invalid = call("POST", "/api/v1/namespaces/team-a/trainings", "alice-token",
        "{\"metadata\":{\"name\":\"typo\"},\"spec\":{\"image\":\"x\",\"gpus\":2}}");
    assertEquals(422, invalid.statusCode(), invalid.body());
    JsonNode cause = JSON.readTree(invalid.body()).path("details").path("causes").get(0);
    assertEquals("spec.gpus", cause.path("field").asText());

    HttpResponse<String> preview = call("POST", "/api/v1/namespaces/team-a/trainings?dryRun=All", "alice-token",
        "{\"metadata\":{\"name\":\"preview\"},\"spec\":{\"image\":\"pytorch:24.08\"}}");
    assertEquals(200, preview.statusCode(), preview.body());
    assertEquals(null, client.resources(TrainingResource.class).inNamespace("team-a").withName("preview").get(),
        "a dry run creates nothing");

    HttpResponse<String> submitted = call("POST", "/api/v1/namespaces/team-a/trainings", "alice-token",
        "{\"metadata\":{\"name\":\"fresh\"},\"spec\":{\"image\":\"pytorch:24.08\",\"gpu\":{\"fraction\":0.5}}}");
    assertEquals(201, submitted.statusCode(), submitted.body());
    Await.await("the new row", () -> console.catalog().row("team-a",
        dev.tessera.api.workloads.WorkloadKind.TRAINING, "fresh").isPresent());
    assertEquals(403, call("POST", "/api/v1/namespaces/team-b/trainings", "alice-token",
        "{\"metadata\":{\"name\":\"x\"},\"spec\":{}}").statusCode());
    assertEquals(400, call("POST", "/api/v1/namespaces/team-a/trainings", "alice-token", "not json").statusCode());
  }

  @Test
  void changesArriveOnTheStreamFromTheListsVersion() throws Exception {
    JsonNode list = get("/api/v1/workloads", "alice-token", 200);
    String version = list.path("metadata").path("resourceVersion").asText();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + console.port()
            + "/api/v1/workloads?watch=true&filterBy=name=@streamed&resourceVersion=" + version))
        .header("Authorization", "Bearer alice-token").build();
    HttpResponse<InputStream> stream = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, stream.statusCode());
    assertEquals("text/event-stream", stream.headers().firstValue("content-type").orElseThrow());
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          lines.add(line);
        }
      } catch (java.io.IOException e) {
        // closed at the end of the test
      }
    });
    reader.setDaemon(true);
    reader.start();
    client.resource(training("team-b", "streamed-hidden", 1)).create();
    client.resource(training("team-a", "streamed", 1)).create();
    String event = null;
    String data = null;
    while (data == null) {
      String line = lines.poll(10, TimeUnit.SECONDS);
      if (line == null) {
        throw new AssertionError("no event within 10 s");
      }
      if (line.startsWith("event: ")) {
        event = line.substring(7);
      } else if (line.startsWith("data: ")) {
        data = line.substring(6);
      }
    }
    assertEquals("ADDED", event);
    JsonNode change = JSON.readTree(data);
    assertEquals("streamed", change.path("object").path("name").asText(), "team-b's workload never reaches alice");
    stream.body().close();

    HttpResponse<String> tooNew = call("GET", "/api/v1/workloads?watch=true&resourceVersion="
        + version.substring(0, version.indexOf('.')) + ".999999999", "alice-token", null);
    assertEquals(400, tooNew.statusCode());
    // Another replica's version: the stream says so (410) and ends; the client lists again.
    HttpResponse<String> foreign = call("GET", "/api/v1/workloads?watch=true&resourceVersion=elsewhere.3",
        "alice-token", null);
    assertTrue(foreign.body().contains("event: ERROR") && foreign.body().contains("\"code\":410"), foreign.body());
  }

  @Test
  void aRowThatStopsPassingTheFiltersLeavesTheStreamAsDeleted() throws Exception {
    JsonNode list = get("/api/v1/workloads", "alice-token", 200);
    String version = list.path("metadata").path("resourceVersion").asText();
    HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
            + console.port() + "/api/v1/workloads?watch=true&filterBy=name==leaving&filterBy=image=@:v2"
            + "&resourceVersion=" + version))
        .header("Authorization", "Bearer alice-token").build(), HttpResponse.BodyHandlers.ofInputStream());
    BlockingQueue<String> events = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          if (line.startsWith("event: ")) {
            events.add(line.substring(7));
          }
        }
      } catch (java.io.IOException e) {
        // closed at the end of the test
      }
    });
    reader.setDaemon(true);
    reader.start();
    client.resource(training("team-a", "leaving", 1)).create();
    Await.await("the row", () -> console.catalog().row("team-a",
        dev.tessera.api.workloads.WorkloadKind.TRAINING, "leaving").isPresent());
    var trainings = client.resources(TrainingResource.class).inNamespace("team-a").withName("leaving");
    trainings.edit(t -> {
      t.setSpec(new WorkloadSpec("pytorch:v2", null, null, null, t.getSpec().gpu(), null, null, null, null, null,
          null, null, null, null, null));
      return t;
    });
    // Created outside the filters it sent nothing; changed into them, it arrives.
    assertEquals("MODIFIED", events.poll(10, TimeUnit.SECONDS));
    trainings.edit(t -> {
      t.setSpec(new WorkloadSpec("pytorch:24.08", null, null, null, t.getSpec().gpu(), null, null, null, null, null,
          null, null, null, null, null));
      return t;
    });
    assertEquals("DELETED", events.poll(10, TimeUnit.SECONDS), "out of the filters again, it leaves the stream");
    stream.body().close();
  }

  @Test
  void anExternalWorkloadIsListedWithItsOwnerAndItsPodsLikeTheOtherKinds() throws Exception {
    api.podLogs((pod, container) -> java.util.Optional.of("epoch 1 loss 0.42\n"));
    pytorchJob("team-a", "gpt", 2);

    JsonNode list = get("/api/v1/workloads?sortBy=name", "bob-token", 200);
    assertEquals(List.of("bert", "pytorchjob-gpt", "resnet", "secret-llm"), names(list));
    JsonNode row = list.path("items").get(1);
    assertEquals("external", row.path("type").asText());
    assertEquals("PyTorchJob", row.path("ownerKind").asText());
    assertEquals("gpt", row.path("ownerName").asText());
    assertEquals("Running", row.path("status").asText());
    assertEquals(4.0, row.path("gpuComputeRequest").asDouble(), "from its status: the owner's spec is not read");
    assertEquals(2, row.path("runningPods").asInt());
    assertEquals("distributed", row.path("architecture").asText(), "its pods are one gang");
    assertEquals(List.of("a100"), List.of(row.path("nodePools").get(0).asText()), "the pools its pods asked for");
    assertFalse(row.has("image"), "no spec, no image: each pod says its own");
    assertEquals(0, row.path("actions").size(), "Tessera neither stops, runs, deletes nor copies it");
    assertEquals("[\"stop\",\"run\",\"delete\",\"copy\"]", list.path("items").get(0).path("actions").toString());
    assertTrue(list.path("items").get(0).path("ownerKind").isMissingNode());

    // The owner is a column like the others: filtered, searched, sorted and in CSV.
    assertEquals(List.of("pytorchjob-gpt"), names(get("/api/v1/workloads?filterBy=ownerKind==PyTorchJob", "bob-token",
        200)));
    assertEquals(List.of("pytorchjob-gpt"), names(get("/api/v1/workloads?search=gpt", "bob-token", 200)));
    assertEquals("pytorchjob-gpt", names(get("/api/v1/workloads?sortBy=ownerName&sortOrder=desc", "bob-token", 200))
        .get(0));
    HttpResponse<String> csv = call("GET", "/api/v1/workloads?filterBy=type==external&format=csv"
        + "&columns=name,type,ownerKind,ownerName,status", "bob-token", null);
    assertEquals("Name,Type,Owner kind,Owner name,Status\r\npytorchjob-gpt,external,PyTorchJob,gpt,Running\r\n",
        csv.body());

    // Details, history, metrics and logs, as for the other kinds: they go by the pods' labels.
    String path = "/api/v1/namespaces/team-a/externalworkloads/pytorchjob-gpt";
    JsonNode details = get(path, "bob-token", 200);
    assertEquals("ExternalWorkload", details.path("kind").asText());
    assertEquals("PyTorchJob", details.path("spec").path("owner").path("kind").asText());
    assertEquals("kubeflow.org/v1", details.path("spec").path("owner").path("apiVersion").asText());
    assertEquals(2, details.path("spec").path("minMember").asInt());
    assertEquals("PyTorchJob: every replica of pytorchReplicaSpecs", details.path("spec").path("grouping").asText());
    assertEquals(2, details.path("pods").size());
    assertEquals(0, details.path("connections").size());
    assertEquals(0, details.path("dataSources").size());
    Await.await("its phase in its history", () -> call("GET", path + "/history", "bob-token")
        .contains("Running: 2/2 pods running"));
    assertEquals(200, call("GET", path + "/metrics", "bob-token", null).statusCode());
    HttpResponse<String> log = call("GET", path + "/pods/gpt-master-0/log", "bob-token", null);
    assertEquals(200, log.statusCode(), log.body());
    assertEquals("epoch 1 loss 0.42\n", log.body());
  }

  @Test
  void anExternalWorkloadsActionsAreRefusedWithWhatToDoToItsOwner() throws Exception {
    pytorchJob("team-a", "bert", 1);
    String path = "/api/v1/namespaces/team-a/externalworkloads/pytorchjob-bert";
    // alice's role would let her change anything in team-a: the refusal is the kind's, not RBAC's.
    JsonNode actions = get(path, "alice-token", 200).path("actions");
    for (String action : List.of("stop", "run", "delete", "copy")) {
      assertFalse(actions.path(action).path("allowed").asBoolean(), action);
      assertTrue(actions.path(action).path("reason").asText().startsWith("ExternalWorkload pytorchjob-bert is run by"
          + " PyTorchJob bert's own controller, not by Tessera: "), actions.toString());
    }
    assertTrue(actions.path("logs").path("allowed").asBoolean());
    assertTrue(get("/api/v1/namespaces/team-a/trainings/bert", "alice-token", 200).path("actions").path("stop")
        .path("allowed").asBoolean(), "the training of the same name is Tessera's to stop");

    JsonNode stop = refused("POST", path + "/stop", null);
    assertEquals("ExternalWorkload pytorchjob-bert is run by PyTorchJob bert's own controller, not by Tessera: stop"
        + " or delete the PyTorchJob itself (kubectl -n team-a delete pytorchjob bert)", stop.path("message").asText());
    assertTrue(refused("POST", path + "/run", null).path("message").asText()
        .endsWith("create or resume the PyTorchJob to run it again"));
    assertTrue(refused("DELETE", path, null).path("message").asText().contains("delete the PyTorchJob (kubectl -n"
        + " team-a delete pytorchjob bert) and its ExternalWorkload goes with it"));
    assertTrue(refused("GET", path + "/template", null).path("message").asText()
        .contains("copy the PyTorchJob's manifest instead (kubectl -n team-a get pytorchjob bert -o yaml)"));
    String body = "{\"metadata\":{\"name\":\"mine\"},\"spec\":{}}";
    assertTrue(refused("POST", "/api/v1/namespaces/team-a/externalworkloads", body).path("message").asText()
        .startsWith("ExternalWorkloads are not submitted: Tessera makes one for each workload another controller"
            + " runs"));
    assertEquals(405, call("POST", "/api/v1/namespaces/team-a/externalworkloads?dryRun=All", "alice-token", body)
        .statusCode());
    assertTrue(refused("GET", "/api/v1/namespaces/team-a/effectivepolicies/externalworkloads", null)
        .path("message").asText().startsWith("WorkloadPolicies do not govern ExternalWorkloads"));
    assertTrue(client.resources(ExternalWorkloadResource.class).inNamespace("team-a").withName("pytorchjob-bert")
        .get() != null, "nothing was done to it");
    assertFalse(get("/api/v1/projects", "alice-token", 200).path("items").get(0).path("canSubmit")
        .has("externalworkloads"), "never offered in the New workload form");

    // Whether it exists is still only for those who may see it.
    assertEquals(403, call("POST", "/api/v1/namespaces/team-b/externalworkloads/x/stop", "alice-token", null)
        .statusCode());
  }

  /** A 405 Status from alice's call, as the API server writes one for a verb a resource does not serve. */
  private JsonNode refused(String method, String path, String body) throws Exception {
    HttpResponse<String> response = call(method, path, "alice-token", body);
    assertEquals(405, response.statusCode(), response.body());
    JsonNode status = JSON.readTree(response.body());
    assertEquals("Status", status.path("kind").asText());
    assertEquals("MethodNotAllowed", status.path("reason").asText());
    assertEquals(405, status.path("code").asInt());
    return status;
  }

  @Test
  void everyRouteIsInTheOpenApiDocumentAndTheDocsAreServed() throws Exception {
    JsonNode document = new YAMLMapper().readTree(ClassPathFiles.read(DocsRoutes.OPENAPI));
    Set<String> documented = new HashSet<>();
    Iterator<Map.Entry<String, JsonNode>> paths = document.path("paths").fields();
    while (paths.hasNext()) {
      Map.Entry<String, JsonNode> path = paths.next();
      path.getValue().fieldNames().forEachRemaining(method -> documented.add(method.toUpperCase(java.util.Locale.ROOT)
          + " " + path.getKey()));
    }
    var router = ConsoleApi.router(new ConsoleApi.Parts(console.catalog(), console.projects(), new MemoryHistory(), null, ACCESS, ACCESS,
        client, false, console.registry(), JSON, Clock.systemUTC(), () -> true, null, null, null, "test"));
    for (var route : router.routes()) {
      String key = route.method() + " " + route.pattern().replace("{kind}", "{kind}");
      assertTrue(documented.contains(key), key + " is served but not in openapi.yaml");
    }
    // Every column, every kind and every action a row may list are in the document too.
    List<String> columns = new java.util.ArrayList<>();
    document.path("components").path("schemas").path("Column").path("enum").forEach(c -> columns.add(c.asText()));
    assertEquals(dev.tessera.console.table.Column.keys(), String.join(", ", columns));
    Set<String> kinds = new HashSet<>();
    document.path("components").path("parameters").path("kind").path("schema").path("enum")
        .forEach(k -> kinds.add(k.asText()));
    for (WorkloadKind kind : WorkloadKind.values()) {
      assertTrue(kinds.contains(Plurals.of(kind)), Plurals.of(kind) + " is not in openapi.yaml's kinds");
    }
    Set<String> actions = new HashSet<>();
    document.path("components").path("schemas").path("WorkloadRow").path("properties").path("actions").path("items")
        .path("enum").forEach(a -> actions.add(a.asText()));
    assertEquals(Set.copyOf(dev.tessera.console.catalog.WorkloadActions.of(WorkloadKind.TRAINING)), actions);
    HttpResponse<String> docs = call("GET", "/docs/", null, null);
    assertEquals(200, docs.statusCode());
    assertTrue(docs.body().contains("/openapi.yaml"));
    assertEquals(200, call("GET", "/docs/swagger-ui-bundle.js", null, null).statusCode());
    assertEquals(404, call("GET", "/docs/..%2Fpom.properties", null, null).statusCode());
  }
}
