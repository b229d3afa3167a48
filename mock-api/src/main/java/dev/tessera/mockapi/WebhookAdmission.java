package dev.tessera.mockapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.mockapi.Webhook.Operation;
import io.fabric8.zjsonpatch.JsonPatch;
import java.io.IOException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The API server's admission webhooks step, as kube-apiserver 1.28 runs it ({@code
 * k8s.io/apiserver/pkg/admission/plugin/webhook}): for a create or update of a resource a webhook's
 * rule names, every matching mutating webhook in turn, each seeing the object as the one before it
 * patched it, then every matching validating webhook on the final object. Each call is an {@code
 * admission.k8s.io/v1} AdmissionReview of its own (a fresh {@code request.uid}).
 *
 * <p>The answers are read as the API server reads them:
 *
 * <ul>
 *   <li>A denial ({@code allowed: false}) ends the request with the webhook's {@code status}, as
 *       {@code webhook/errors.ToStatusErr} passes it on: its code (below 400 made 400), reason and
 *       details (field causes included) unchanged, {@code status: Failure}, and the message
 *       prefixed with {@code admission webhook "NAME" denied the request: }.
 *   <li>A response without the request's uid, a patch from a validating webhook, a patch type other
 *       than {@code JSONPatch}, a patch that does not apply, or a reviewer that throws is the
 *       failure to call a webhook with {@code failurePolicy: Fail}: 500 InternalError, {@code
 *       Internal error occurred: failed calling webhook "NAME": ...}.
 * </ul>
 *
 * Thread-safe; webhooks may be added while requests are served.
 */
final class WebhookAdmission {
  static final String REVIEW_API_VERSION = "admission.k8s.io/v1";

  private final List<Webhook> webhooks = new CopyOnWriteArrayList<>();
  private final ObjectMapper json;

  WebhookAdmission(ObjectMapper json) {
    this.json = Objects.requireNonNull(json, "json");
  }

  /** Adds a webhook after those already there; two webhooks of one name are refused. */
  synchronized void register(Webhook webhook) {
    Objects.requireNonNull(webhook, "webhook");
    for (Webhook registered : webhooks) {
      if (registered.name().equals(webhook.name())) {
        throw new IllegalArgumentException("a webhook named " + webhook.name() + " is already registered");
      }
    }
    webhooks.add(webhook);
  }

  /** Whether any webhook is called for some operation on this resource. */
  boolean reviews(String group, String version, String resource) {
    for (Webhook webhook : webhooks) {
      if (webhook.rule().matches(group, version, resource)) {
        return true;
      }
    }
    return false;
  }

  /**
   * A request as admission sees it.
   *
   * @param group "" for the core group
   * @param namespace null for a cluster-scoped resource
   * @param name "" when the object has only a {@code generateName}
   * @param oldObject the stored object for an update, null for a create
   * @param options the request's {@code CreateOptions} or {@code UpdateOptions}
   */
  record Attributes(
      Operation operation,
      String group,
      String version,
      String resource,
      String namespace,
      String name,
      ObjectNode object,
      JsonNode oldObject,
      boolean dryRun,
      ObjectNode options,
      RequestUser user) {
    Attributes {
      Objects.requireNonNull(operation, "operation");
      Objects.requireNonNull(object, "object");
      Objects.requireNonNull(user, "user");
      name = name == null ? "" : name;
    }
  }

  /** What admission decided. */
  sealed interface Verdict permits Admitted, Refused {}

  /**
   * @param object the object to store, with every mutating webhook's patch applied
   * @param patched whether any webhook changed it
   */
  record Admitted(ObjectNode object, boolean patched) implements Verdict {}

  /** @param status the {@code meta/v1 Status} to answer with, its {@code code} the HTTP status */
  record Refused(ObjectNode status) implements Verdict {
    int code() {
      return status.path("code").asInt(500);
    }
  }

  Verdict admit(Attributes request) {
    ObjectNode object = request.object().deepCopy();
    boolean patched = false;
    for (Webhook webhook : webhooks) {
      if (webhook.type() != Webhook.Type.MUTATING || !calledFor(webhook, request)) {
        continue;
      }
      Answer answer;
      try {
        answer = call(webhook, request, object);
      } catch (CallFailed e) {
        return new Refused(internalError(e.getMessage()));
      }
      if (!answer.allowed()) {
        return new Refused(denial(webhook.name(), answer.status()));
      }
      if (answer.patch() != null) {
        JsonNode after;
        try {
          after = JsonPatch.apply(answer.patch(), object);
        } catch (RuntimeException e) { // zjsonpatch's JsonPatchException, or a malformed operation
          return new Refused(internalError(String.valueOf(e.getMessage())));
        }
        if (!after.isObject()) {
          return new Refused(internalError("the patch of webhook \"" + webhook.name() + "\" replaced the object"));
        }
        patched |= !after.equals(object);
        object = (ObjectNode) after;
      }
    }
    // kube-apiserver calls the validating webhooks in parallel and answers with one refusal; in
    // registration order here, so a request with two refusals always gets the same one.
    for (Webhook webhook : webhooks) {
      if (webhook.type() != Webhook.Type.VALIDATING || !calledFor(webhook, request)) {
        continue;
      }
      Answer answer;
      try {
        answer = call(webhook, request, object);
      } catch (CallFailed e) {
        return new Refused(internalError(e.getMessage()));
      }
      if (!answer.allowed()) {
        return new Refused(denial(webhook.name(), answer.status()));
      }
    }
    return new Admitted(object, patched);
  }

  private static boolean calledFor(Webhook webhook, Attributes request) {
    return webhook.rule().matches(request.operation(), request.group(), request.version(), request.resource());
  }

  /** A webhook's answer, checked as {@code VerifyAdmissionResponse} checks it. */
  private record Answer(boolean allowed, JsonNode status, JsonNode patch) {}

  private Answer call(Webhook webhook, Attributes request, ObjectNode object) throws CallFailed {
    String uid = UUID.randomUUID().toString();
    byte[] answer;
    try {
      answer = webhook.reviewer().review(json.writeValueAsBytes(review(uid, request, object)));
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new CallFailed(webhook, "failed to call webhook: " + e);
    }
    JsonNode review;
    try {
      review = answer == null ? null : json.readTree(answer);
    } catch (IOException e) {
      throw new CallFailed(webhook, "failed to call webhook: the answer is not JSON: " + e.getMessage());
    }
    JsonNode response = review == null ? null : review.get("response");
    if (response == null || !response.isObject()) {
      throw invalid(webhook, "webhook response was absent");
    }
    String answeredUid = response.path("uid").asText("");
    if (!answeredUid.equals(uid)) {
      throw invalid(webhook, "expected response.uid=\"" + uid + "\", got \"" + answeredUid + "\"");
    }
    String kind = review.path("apiVersion").asText("") + ", Kind=" + review.path("kind").asText("");
    if (!kind.equals(REVIEW_API_VERSION + ", Kind=AdmissionReview")) {
      throw invalid(webhook, "expected webhook response of " + REVIEW_API_VERSION + ", Kind=AdmissionReview, got "
          + kind);
    }
    String patch = response.path("patch").asText("");
    String patchType = response.path("patchType").asText("");
    JsonNode operations = null;
    if (!patch.isEmpty() || !patchType.isEmpty()) {
      if (webhook.type() == Webhook.Type.VALIDATING) {
        throw invalid(webhook, "validating webhook may not return response.patch or response.patchType");
      }
      if (patch.isEmpty()) {
        throw invalid(webhook, "response.patchType must not be set if response.patch is not set");
      }
      if (!patchType.equals("JSONPatch")) {
        throw invalid(webhook, "response.patchType must be set to JSONPatch if response.patch is set, got \""
            + patchType + "\"");
      }
      try {
        operations = json.readTree(Base64.getDecoder().decode(patch));
      } catch (IOException | IllegalArgumentException e) {
        throw invalid(webhook, "response.patch is not a base64-encoded JSON Patch: " + e.getMessage());
      }
      if (operations == null || !operations.isArray()) {
        throw invalid(webhook, "response.patch is not a JSON Patch (an array of operations)");
      }
    }
    return new Answer(response.path("allowed").asBoolean(false), response.get("status"), operations);
  }

  private static CallFailed invalid(Webhook webhook, String reason) {
    return new CallFailed(webhook, "received invalid webhook response: " + reason);
  }

  /** The AdmissionReview kube-apiserver sends: {@code CreateAdmissionObjects} in v1. */
  private ObjectNode review(String uid, Attributes request, ObjectNode object) {
    ObjectNode review = json.createObjectNode();
    review.put("kind", "AdmissionReview");
    review.put("apiVersion", REVIEW_API_VERSION);
    ObjectNode r = review.putObject("request");
    r.put("uid", uid);
    String kind = object.path("kind").asText("");
    if (kind.isEmpty() && request.oldObject() != null) {
      kind = request.oldObject().path("kind").asText("");
    }
    r.set("kind", gvk(request, "kind", kind));
    r.set("resource", gvk(request, "resource", request.resource()));
    r.set("requestKind", gvk(request, "kind", kind));
    r.set("requestResource", gvk(request, "resource", request.resource()));
    if (!request.name().isEmpty()) {
      r.put("name", request.name());
    }
    if (request.namespace() != null && !request.namespace().isEmpty()) {
      r.put("namespace", request.namespace());
    }
    r.put("operation", request.operation().name());
    r.set("userInfo", request.user().toJson(json));
    r.set("object", object);
    r.set("oldObject", request.oldObject() == null ? json.nullNode() : request.oldObject());
    r.put("dryRun", request.dryRun());
    r.set("options", request.options());
    return review;
  }

  private ObjectNode gvk(Attributes request, String field, String value) {
    ObjectNode node = json.createObjectNode();
    node.put("group", request.group());
    node.put("version", request.version());
    node.put(field, value);
    return node;
  }

  /**
   * The Status a denial answers with, as {@code ToStatusErr} makes it of the webhook's and the
   * handler writes it: in {@code metav1.Status}'s field order, empty fields left out.
   */
  ObjectNode denial(String webhook, JsonNode given) {
    JsonNode result = given != null && given.isObject() ? given : json.createObjectNode();
    int code = result.path("code").asInt(0);
    if (code < 400) {
      code = 400;
    }
    String state = result.path("status").asText("");
    if (state.isEmpty() || state.equals("Success")) {
      state = "Failure";
    }
    String deniedBy = "admission webhook \"" + webhook + "\" denied the request";
    String message = result.path("message").asText("");
    String reason = result.path("reason").asText("");
    if (!message.isEmpty()) {
      message = deniedBy + ": " + message;
    } else if (!reason.isEmpty()) {
      message = deniedBy + ": " + reason;
    } else {
      message = deniedBy + " without explanation";
    }
    return status(state, message, reason, result.get("details"), code);
  }

  /** {@code apierrors.NewInternalError}: what a failed webhook call with failurePolicy Fail answers. */
  ObjectNode internalError(String error) {
    ObjectNode details = json.createObjectNode();
    details.putArray("causes").addObject().put("message", error);
    return status("Failure", "Internal error occurred: " + error, "InternalError", details, 500);
  }

  private ObjectNode status(String state, String message, String reason, JsonNode details, int code) {
    ObjectNode status = json.createObjectNode();
    status.put("kind", "Status");
    status.put("apiVersion", "v1");
    status.putObject("metadata");
    status.put("status", state);
    status.put("message", message);
    if (!reason.isEmpty()) {
      status.put("reason", reason);
    }
    if (details != null && details.isObject() && !details.isEmpty()) {
      status.set("details", details(details));
    }
    status.put("code", code);
    return status;
  }

  /** {@code metav1.StatusDetails} as Go writes it: its fields in order, the empty ones left out. */
  private ObjectNode details(JsonNode given) {
    ObjectNode details = json.createObjectNode();
    for (String field : List.of("name", "group", "kind", "uid")) {
      String value = given.path(field).asText("");
      if (!value.isEmpty()) {
        details.put(field, value);
      }
    }
    JsonNode causes = given.path("causes");
    if (causes.isArray() && !causes.isEmpty()) {
      ArrayNode out = details.putArray("causes");
      for (JsonNode cause : causes) {
        ObjectNode c = out.addObject();
        for (String field : List.of("reason", "message", "field")) {
          String value = cause.path(field).asText("");
          if (!value.isEmpty()) {
            c.put(field, value);
          }
        }
      }
    }
    int retry = given.path("retryAfterSeconds").asInt(0);
    if (retry != 0) {
      details.put("retryAfterSeconds", retry);
    }
    return details;
  }

  /** The options object of a request: {@code CreateOptions} or {@code UpdateOptions}, from its query. */
  ObjectNode options(Operation operation, Map<String, List<String>> query) {
    ObjectNode options = json.createObjectNode();
    options.put("kind", operation == Operation.CREATE ? "CreateOptions" : "UpdateOptions");
    options.put("apiVersion", "meta.k8s.io/v1");
    List<String> dryRun = query.getOrDefault("dryRun", List.of());
    if (!dryRun.isEmpty()) {
      dryRun.forEach(options.putArray("dryRun")::add);
    }
    List<String> fieldManager = query.getOrDefault("fieldManager", List.of());
    if (!fieldManager.isEmpty()) {
      options.put("fieldManager", fieldManager.get(0));
    }
    return options;
  }

  /** A webhook could not be called, or answered what cannot be read. */
  private static final class CallFailed extends Exception {
    private static final long serialVersionUID = 1L;

    CallFailed(Webhook webhook, String reason) {
      super("failed calling webhook \"" + webhook.name() + "\": " + reason);
    }
  }
}
