package dev.tessera.mockapi;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.crud.KubernetesCrudDispatcherException;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.zjsonpatch.JsonPatch;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * fabric8's CRUD mock API server, plus pod binding as the real kube-apiserver does it
 * ({@code pkg/registry/core/pod/storage}, {@code BindingREST}): {@code POST
 * /api/v1/namespaces/{ns}/pods/{name}/binding} and the legacy {@code POST
 * /api/v1/namespaces/{ns}/bindings}.
 *
 * <p>A binding is refused with 404 when the pod does not exist, and with 409 Conflict when the pod
 * is being deleted, already has a {@code spec.nodeName}, or the Binding's {@code metadata.uid} is
 * set and is not the pod's. Otherwise, in one stored update, {@code spec.nodeName} becomes the
 * target's name, the Binding's annotations are merged into the pod's, and the pod gets the
 * condition {@code PodScheduled=True}; watchers see one MODIFIED event with all of it. The answer is
 * 201 with a {@code Status} of Success. Error messages are the API server's, word for word, so
 * clients can tell the cases apart the same way against both.
 *
 * <p>Also the Eviction API ({@code POST .../pods/{name}/eviction}, {@code policy/v1 Eviction}):
 * 404 for a missing pod, 409 when the eviction's UID precondition does not match, 429 when a
 * PodDisruptionBudget in the namespace selects the pod (by {@code matchLabels}) and its {@code
 * status.disruptionsAllowed} is below 1; otherwise that budget's allowance is decremented and the
 * pod deleted (at once: there is no kubelet to wait for).
 *
 * <p>And admission webhooks ({@link Webhook}, registered through {@link
 * EmbeddedApiServer#register}): a create ({@code POST} to a collection, dry runs included) or an
 * update ({@code PUT}, or a JSON or merge {@code PATCH}) of a resource a webhook's rule names goes
 * through {@link WebhookAdmission} first, and is stored (or, for {@code dryRun=All}, answered) as
 * the mutating webhooks patched it, or refused with the denying webhook's Status. Every other
 * request goes to the CRUD dispatcher unchanged.
 */
public class BindingAwareCrudDispatcher extends KubernetesCrudDispatcher {
  private static final Pattern POD_BINDING =
      Pattern.compile("^/api/v1/namespaces/([^/?]+)/pods/([^/?]+)/binding/?(?:\\?.*)?$");
  private static final Pattern POD_EVICTION =
      Pattern.compile("^/api/v1/namespaces/([^/?]+)/pods/([^/?]+)/eviction/?(?:\\?.*)?$");
  private static final Pattern LEGACY_BINDINGS =
      Pattern.compile("^/api/v1/namespaces/([^/?]+)/bindings/?(?:\\?.*)?$");
  private static final Pattern POD_LOG =
      Pattern.compile("^/api/v1/namespaces/([^/?]+)/pods/([^/?]+)/log/?(?:\\?(.*))?$");
  private static final Pattern DRY_RUN = Pattern.compile("[?&]dryRun=All(&|$)");
  /**
   * A collection or an object: {@code /api/v1} (the core group) or {@code /apis/GROUP/VERSION}, an
   * optional {@code namespaces/NAMESPACE}, then resource, name and subresource.
   */
  private static final Pattern RESOURCE = Pattern.compile(
      "^/(?:api/(v1)|apis/([^/?]+)/([^/?]+))(?:/namespaces/([^/?]+))?/([^/?]+)(?:/([^/?]+))?(?:/([^/?]+))?/?(?:\\?.*)?$");
  /** Retries of the read-modify-write when another writer changed the pod in between. */
  private static final int UPDATE_ATTEMPTS = 5;

  private final ObjectMapper json = new ObjectMapper();
  private final Clock clock;
  private final WebhookAdmission admission;
  private final Object bindLock = new Object();
  /** Set once by whoever simulates the kubelets; read by the server's threads. */
  private volatile PodLogs logs;

  public BindingAwareCrudDispatcher() {
    this(Clock.systemUTC());
  }

  /** @param clock for the {@code PodScheduled} condition's transition time */
  public BindingAwareCrudDispatcher(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.admission = new WebhookAdmission(json);
  }

  /** Calls {@code webhook} from now on, after those registered before it. */
  public void register(Webhook webhook) {
    admission.register(webhook);
  }

  /** Answers pods' logs from {@code logs} from now on; until then a log request is refused. */
  public void podLogs(PodLogs logs) {
    this.logs = Objects.requireNonNull(logs, "logs");
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    if (request.method() == HttpMethod.POST) {
      String path = request.getPath();
      Matcher subresource = POD_BINDING.matcher(path);
      if (subresource.matches()) {
        return bind(subresource.group(1), subresource.group(2), request.getUtf8Body());
      }
      Matcher eviction = POD_EVICTION.matcher(path);
      if (eviction.matches()) {
        return evict(eviction.group(1), eviction.group(2), request.getUtf8Body());
      }
      Matcher legacy = LEGACY_BINDINGS.matcher(path);
      if (legacy.matches()) {
        return bind(legacy.group(1), null, request.getUtf8Body());
      }
    }
    if (request.method() == HttpMethod.GET) {
      Matcher log = POD_LOG.matcher(request.getPath());
      if (log.matches()) {
        return log(log.group(1), log.group(2), log.group(3));
      }
    }
    Target target = Target.of(request);
    if (target != null && admission.reviews(target.group(), target.version(), target.resource())) {
      return admitted(request, target);
    }
    if (request.method() == HttpMethod.POST && DRY_RUN.matcher(request.getPath()).find()) {
      String path = request.getPath();
      return dryRunCreate(path.substring(0, path.indexOf('?')), request.getUtf8Body());
    }
    return super.dispatch(request);
  }

  /**
   * What a create or update may be reviewed on: the resource its path names. Subresources ({@code
   * .../status}) are not, as a webhook rule without them does not match them.
   */
  private record Target(
      Webhook.Operation operation, String group, String version, String namespace, String resource, String name) {
    static Target of(RecordedRequest request) {
      HttpMethod method = request.method();
      if (method != HttpMethod.POST && method != HttpMethod.PUT && method != HttpMethod.PATCH) {
        return null;
      }
      Matcher path = RESOURCE.matcher(request.getPath());
      if (!path.matches() || path.group(7) != null) {
        return null;
      }
      String group = path.group(1) != null ? "" : path.group(2);
      String version = path.group(1) != null ? path.group(1) : path.group(3);
      String name = path.group(6);
      if (method == HttpMethod.POST) {
        return name == null ? new Target(Webhook.Operation.CREATE, group, version, path.group(4), path.group(5), null)
            : null;
      }
      return name == null ? null
          : new Target(Webhook.Operation.UPDATE, group, version, path.group(4), path.group(5), name);
    }
  }

  /**
   * A create or update that admission webhooks review: called as kube-apiserver calls them, with
   * the stored object as {@code oldObject} for an update. A body that is not an object, an update of
   * an object that does not exist, and a patch that cannot be applied (or of a type the CRUD server
   * does not take) go to the CRUD server unreviewed, which refuses them as it does.
   */
  private MockResponse admitted(RecordedRequest request, Target target) {
    String body = request.getUtf8Body(); // read once: reading drains the buffer
    String path = request.getPath();
    int query = path.indexOf('?');
    Map<String, List<String>> params = query(query < 0 ? "" : path.substring(query + 1));
    boolean dryRun = params.getOrDefault("dryRun", List.of()).contains("All");
    JsonNode old = null;
    JsonNode object;
    if (target.operation() == Webhook.Operation.UPDATE) {
      MockResponse current = handleGet(query < 0 ? path : path.substring(0, query));
      if (current == null || current.code() != 200) {
        return super.dispatch(withBody(request, request.method(), body));
      }
      old = readObject(current.getBody().readUtf8());
      object = request.method() == HttpMethod.PATCH ? patched(request, old, body) : readObject(body);
    } else {
      object = readObject(body);
    }
    if (object == null) {
      return super.dispatch(withBody(request, request.method(), body));
    }
    String name = target.name() != null ? target.name() : object.path("metadata").path("name").asText("");
    WebhookAdmission.Verdict verdict = admission.admit(new WebhookAdmission.Attributes(
        target.operation(), target.group(), target.version(), target.resource(), target.namespace(), name,
        (ObjectNode) object, old, dryRun, admission.options(target.operation(), params),
        RequestUser.of(request.getHeaders().toMultimap())));
    if (verdict instanceof WebhookAdmission.Refused refused) {
      return json(refused.code(), refused.status());
    }
    WebhookAdmission.Admitted admitted = (WebhookAdmission.Admitted) verdict;
    String stored = admitted.object().toString();
    if (target.operation() == Webhook.Operation.CREATE) {
      return dryRun ? dryRunCreate(query < 0 ? path : path.substring(0, query), stored)
          : super.dispatch(withBody(request, HttpMethod.POST, stored));
    }
    if (dryRun) { // the update as it would be stored, and nothing stored
      return new MockResponse().setResponseCode(200).setHeader("Content-Type", "application/json").setBody(stored);
    }
    if (request.method() == HttpMethod.PATCH && !admitted.patched()) {
      return super.dispatch(withBody(request, HttpMethod.PATCH, body));
    }
    // A patched PATCH is stored whole, as the API server stores the object admission returned.
    return super.dispatch(withBody(request, HttpMethod.PUT, stored));
  }

  /** The object a PATCH makes of {@code current}, or null when it cannot be applied here. */
  private JsonNode patched(RecordedRequest request, JsonNode current, String patch) {
    if (current == null) {
      return null;
    }
    String type = String.valueOf(request.getHeader("Content-Type")).toLowerCase(java.util.Locale.ROOT);
    try {
      if (type.startsWith("application/json-patch+json")) {
        JsonNode after = JsonPatch.apply(json.readTree(patch), current);
        return after.isObject() ? after : null;
      }
      if (type.startsWith("application/merge-patch+json")) {
        JsonNode after = merge(current, patch);
        return after != null && after.isObject() ? after : null;
      }
    } catch (JsonProcessingException | RuntimeException | KubernetesCrudDispatcherException e) {
      return null; // the CRUD server answers it as it answers a bad patch
    }
    return null; // strategic merge and apply patches: the CRUD server refuses them with 415
  }

  private JsonNode readObject(String body) {
    try {
      JsonNode node = json.readTree(body == null ? "" : body);
      return node != null && node.isObject() ? node : null;
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  /** The request with another method and body, its path and headers kept. */
  private static RecordedRequest withBody(RecordedRequest request, HttpMethod method, String body) {
    byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    Headers headers = request.getHeaders();
    if (method != request.method()) {
      headers = headers.newBuilder().set("Content-Type", "application/json").build();
    }
    return new RecordedRequest(request.getHttpVersion(), method, request.getPath(), headers, new Buffer(bytes));
  }

  private static Map<String, List<String>> query(String query) {
    Map<String, List<String>> params = new java.util.HashMap<>();
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      params.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
    }
    return params;
  }

  /**
   * A create with {@code dryRun=All}, as the API server answers it: the object as it would be
   * stored, and nothing stored (fabric8's CRUD server would store it). A name already taken is
   * 409 as a real create's would be.
   */
  private MockResponse dryRunCreate(String collection, String body) {
    JsonNode object;
    try {
      object = json.readTree(body == null ? "" : body);
    } catch (JsonProcessingException e) {
      return status(400, "BadRequest", "the request body is not an object: " + e.getOriginalMessage(), null, null);
    }
    if (object == null || !object.isObject()) {
      return status(400, "BadRequest", "the request body is not an object", null, null);
    }
    String name = object.path("metadata").path("name").asText("");
    MockResponse existing = name.isEmpty() ? null : handleGet(collection + "/" + name);
    if (existing != null && existing.code() == 200) {
      return status(409, "AlreadyExists", "\"" + name + "\" already exists", null, name);
    }
    return new MockResponse().setResponseCode(201).setBody(object.toString());
  }

  private MockResponse bind(String namespace, String nameInUrl, String body) {
    JsonNode binding;
    try {
      binding = json.readTree(body == null ? "" : body);
    } catch (JsonProcessingException e) {
      return status(400, "BadRequest", "the request body is not a Binding: " + e.getOriginalMessage(), null, null);
    }
    if (binding == null || !binding.isObject()) {
      return status(400, "BadRequest", "the request body is not a Binding object", null, null);
    }
    JsonNode metadata = binding.path("metadata");
    String name = metadata.path("name").asText("");
    if (nameInUrl != null && !nameInUrl.equals(name)) {
      return status(400, "BadRequest", "name in URL does not match name in Binding object", null, null);
    }
    if (name.isEmpty()) {
      return status(422, "Invalid", "Binding \"\" is invalid: metadata.name: Required value: name or generateName is required", "bindings", name);
    }
    String bindingNamespace = metadata.path("namespace").asText("");
    if (!bindingNamespace.isEmpty() && !bindingNamespace.equals(namespace)) {
      return status(
          400, "BadRequest",
          "the namespace of the provided object does not match the namespace sent on the request", null, null);
    }
    JsonNode target = binding.path("target");
    String node = target.path("name").asText("");
    if (node.isEmpty()) {
      return status(422, "Invalid", "Binding \"" + name + "\" is invalid: target.name: Required value", "bindings", name);
    }
    String kind = target.path("kind").asText("");
    if (!kind.isEmpty() && !kind.equals("Node")) {
      return status(
          422, "Invalid",
          "Binding \"" + name + "\" is invalid: target.kind: Not supported: \"" + kind + "\": supported values: \"Node\"",
          "bindings", name);
    }
    String uid = metadata.path("uid").asText("");
    JsonNode annotations = metadata.path("annotations");

    String podPath = "/api/v1/namespaces/" + namespace + "/pods/" + name;
    synchronized (bindLock) {
      for (int attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
        MockResponse current = handleGet(podPath);
        if (current == null || current.code() == 404) {
          return status(404, "NotFound", "pods \"" + name + "\" not found", "pods", name);
        }
        ObjectNode pod;
        try {
          pod = (ObjectNode) json.readTree(current.getBody().readUtf8());
        } catch (JsonProcessingException | ClassCastException e) {
          return status(500, "InternalError", "stored pod " + name + " is not readable: " + e.getMessage(), "pods", name);
        }
        ObjectNode podMeta = pod.withObjectProperty("metadata");
        if (!podMeta.path("deletionTimestamp").asText("").isEmpty()) {
          return conflict("pods/binding", name, "pod " + name + " is being deleted, cannot be assigned to a host");
        }
        String podUid = podMeta.path("uid").asText("");
        if (!uid.isEmpty() && !uid.equals(podUid)) {
          return conflict(
              "pods", name, "Precondition failed: UID in precondition: " + uid + ", UID in object meta: " + podUid);
        }
        ObjectNode spec = pod.withObjectProperty("spec");
        String bound = spec.path("nodeName").asText("");
        if (!bound.isEmpty()) {
          return conflict("pods/binding", name, "pod " + name + " is already assigned to node \"" + bound + "\"");
        }
        JsonNode gates = spec.path("schedulingGates");
        if (gates.isArray() && !gates.isEmpty()) {
          return conflict("pods/binding", name, "pod " + name + " has non-empty .spec.schedulingGates");
        }

        spec.put("nodeName", node);
        if (annotations.isObject() && !annotations.isEmpty()) {
          ObjectNode podAnnotations = podMeta.withObjectProperty("annotations");
          for (Map.Entry<String, JsonNode> entry : annotations.properties()) {
            podAnnotations.put(entry.getKey(), entry.getValue().asText());
          }
        }
        markScheduled(pod.withObjectProperty("status"));

        MockResponse updated = handleUpdate(put(podPath, pod));
        if (updated.code() == 200) {
          return status(201, null, null, null, null);
        }
        if (updated.code() != 409) {
          return updated;
        }
        // The pod changed between our read and write (resourceVersion conflict): read it again.
      }
      return conflict("pods", name, "the object has been modified; please apply your changes to the latest version and try again");
    }
  }

  private MockResponse evict(String namespace, String name, String body) {
    JsonNode eviction;
    try {
      eviction = json.readTree(body == null ? "" : body);
    } catch (JsonProcessingException e) {
      return status(400, "BadRequest", "the request body is not an Eviction: " + e.getOriginalMessage(), null, null);
    }
    String uid = eviction == null ? "" : eviction.path("deleteOptions").path("preconditions").path("uid").asText("");
    String podPath = "/api/v1/namespaces/" + namespace + "/pods/" + name;
    synchronized (bindLock) {
      MockResponse current = handleGet(podPath);
      if (current == null || current.code() == 404) {
        return status(404, "NotFound", "pods \"" + name + "\" not found", "pods", name);
      }
      JsonNode pod;
      try {
        pod = json.readTree(current.getBody().readUtf8());
      } catch (JsonProcessingException e) {
        return status(500, "InternalError", "stored pod " + name + " is not readable: " + e.getMessage(), "pods", name);
      }
      String podUid = pod.path("metadata").path("uid").asText("");
      if (!uid.isEmpty() && !uid.equals(podUid)) {
        return conflict(
            "pods", name, "Precondition failed: UID in precondition: " + uid + ", UID in object meta: " + podUid);
      }
      JsonNode labels = pod.path("metadata").path("labels");
      String budgetsPath = "/apis/policy/v1/namespaces/" + namespace + "/poddisruptionbudgets";
      MockResponse budgets = handleGet(budgetsPath);
      if (budgets != null && budgets.code() == 200) {
        try {
          for (JsonNode budget : json.readTree(budgets.getBody().readUtf8()).path("items")) {
            if (!selects(budget.path("spec").path("selector").path("matchLabels"), labels)) {
              continue;
            }
            int allowed = budget.path("status").path("disruptionsAllowed").asInt(0);
            if (allowed < 1) {
              return status(
                  429, "TooManyRequests",
                  "Cannot evict pod as it would violate the pod's disruption budget.", "pods", name);
            }
            ObjectNode updated = (ObjectNode) budget.deepCopy();
            updated.withObjectProperty("status").put("disruptionsAllowed", allowed - 1);
            handleUpdate(put(budgetsPath + "/" + budget.path("metadata").path("name").asText(), updated));
          }
        } catch (JsonProcessingException e) {
          return status(500, "InternalError", "stored budgets are not readable: " + e.getMessage(), null, null);
        }
      }
      handleDelete(podPath);
      return status(201, null, null, null, null);
    }
  }

  private static boolean selects(JsonNode matchLabels, JsonNode labels) {
    if (!matchLabels.isObject() || matchLabels.isEmpty()) {
      return false;
    }
    for (Map.Entry<String, JsonNode> wanted : matchLabels.properties()) {
      if (!wanted.getValue().asText().equals(labels.path(wanted.getKey()).asText(null))) {
        return false;
      }
    }
    return true;
  }

  private void markScheduled(ObjectNode status) {
    String now = DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS));
    ArrayNode conditions = status.withArrayProperty("conditions");
    for (JsonNode condition : conditions) {
      if ("PodScheduled".equals(condition.path("type").asText())) {
        ObjectNode c = (ObjectNode) condition;
        if (!"True".equals(c.path("status").asText())) {
          c.put("lastTransitionTime", now);
        }
        c.put("status", "True");
        c.remove("reason");
        c.remove("message");
        return;
      }
    }
    ObjectNode condition = conditions.addObject();
    condition.put("type", "PodScheduled");
    condition.put("status", "True");
    condition.putNull("lastProbeTime");
    condition.put("lastTransitionTime", now);
  }

  private RecordedRequest put(String path, ObjectNode pod) {
    byte[] bytes;
    try {
      bytes = json.writeValueAsBytes(pod);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a JSON tree", e); // cannot happen
    }
    Headers headers = Headers.builder().add("Content-Type", "application/json").build();
    return new RecordedRequest("HTTP/1.1", HttpMethod.PUT, path, headers, new Buffer(bytes));
  }

  private MockResponse conflict(String resource, String name, String cause) {
    return status(
        409, "Conflict", "Operation cannot be fulfilled on " + resource + " \"" + name + "\": " + cause, resource, name);
  }

  private static MockResponse json(int code, JsonNode body) {
    return new MockResponse()
        .setResponseCode(code)
        .setHeader("Content-Type", "application/json")
        .setBody(body.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** A {@code meta/v1 Status}; success when {@code reason} is null. */
  /**
   * A pod's log, as the API server relays its kubelet's answer: 404 for a pod that does not exist,
   * 400 while its container has not started, else the text, its last {@code tailLines} lines if
   * asked.
   */
  private MockResponse log(String namespace, String name, String query) {
    MockResponse pod = handleGet("/api/v1/namespaces/" + namespace + "/pods/" + name);
    if (pod == null || pod.code() != 200) {
      return status(404, "NotFound", "pods \"" + name + "\" not found", "pods", name);
    }
    Map<String, String> params = new HashMap<>();
    if (query != null) {
      for (String pair : query.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          params.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
    }
    PodLogs source = logs;
    Optional<String> text;
    try {
      text = source == null ? Optional.empty()
          : source.log(json.readValue(pod.getBody().readUtf8(), Pod.class), params.get("container"));
    } catch (JsonProcessingException e) {
      return status(500, "InternalError", "the stored pod does not read as a Pod: " + e.getOriginalMessage(), null,
          null);
    }
    if (text.isEmpty()) {
      return status(400, "BadRequest", "container in pod \"" + name + "\" is waiting to start"
          + (source == null ? " (the in-process API server runs no containers; nothing simulates their logs)" : ""),
          null, null);
    }
    String body = text.get();
    String tail = params.get("tailLines");
    if (tail != null) {
      int lines;
      try {
        lines = Integer.parseInt(tail);
      } catch (NumberFormatException e) {
        return status(400, "BadRequest", "tailLines is a whole number, not \"" + tail + "\"", null, null);
      }
      List<String> all = body.lines().toList();
      body = String.join("\n", all.subList(Math.max(0, all.size() - Math.max(0, lines)), all.size()))
          + (all.isEmpty() ? "" : "\n");
    }
    return new MockResponse().setResponseCode(200).setHeader("Content-Type", "text/plain").setBody(body);
  }

  private MockResponse status(int code, String reason, String message, String kind, String name) {
    ObjectNode status = json.createObjectNode();
    status.put("kind", "Status");
    status.put("apiVersion", "v1");
    status.putObject("metadata");
    status.put("status", reason == null ? "Success" : "Failure");
    if (message != null) {
      status.put("message", message);
    }
    if (reason != null) {
      status.put("reason", reason);
    }
    if (kind != null) {
      ObjectNode details = status.putObject("details");
      details.put("name", name);
      details.put("kind", kind);
    }
    status.put("code", code);
    return new MockResponse()
        .setResponseCode(code)
        .setHeader("Content-Type", "application/json")
        .setBody(status.toString().getBytes(StandardCharsets.UTF_8));
  }
}
