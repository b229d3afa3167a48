package dev.tessera.controller.admission;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.api.WellKnown;
import dev.tessera.api.workloads.DistributedTrainingSpec;
import dev.tessera.api.workloads.InferenceSpec;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.controller.external.PodMutation;
import dev.tessera.controller.workloads.controller.WorkloadController;
import dev.tessera.controller.workloads.policy.EffectivePolicy;
import dev.tessera.controller.workloads.policy.Violation;
import dev.tessera.controller.workloads.policy.WorkloadPolicies;
import java.io.IOException;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Answers {@code admission.k8s.io/v1} AdmissionReviews for the four workload kinds with the
 * WorkloadPolicies in force, so a workload that breaks a policy is refused at {@code kubectl
 * apply} time instead of failing later in the controller (which still re-checks); and, with a
 * {@link PodMutation}, the pods created in project namespaces. No I/O of its own: the policies,
 * the namespace → project mapping and the pods' owners come from the collaborators given.
 *
 * <ul>
 *   <li>{@link Endpoint#VALIDATE}: a CREATE, or an UPDATE that changes the spec, of a workload
 *       whose spec (with the defaults applied, as the controller checks it) breaks a rule is
 *       denied with HTTP code 403 and every broken rule. An UPDATE that leaves the spec alone
 *       (finalizers, labels: the controller's own edits) or that stops the workload is allowed:
 *       a policy tightened after a workload was created must not keep it from being stopped or
 *       cleaned up. An UPDATE that changes {@value WellKnown#CREATED_BY_ANNOTATION} is denied.
 *   <li>{@link Endpoint#MUTATE}: a CREATE gets a JSONPatch filling in the effective policy's
 *       defaults ({@link DefaultsPatch}) and recording the requesting user (the review's
 *       {@code userInfo.username}) in {@value WellKnown#CREATED_BY_ANNOTATION}, over whatever the
 *       object said; no patch when there is nothing to add. A pod's CREATE gets {@link
 *       PodMutation}'s patch (Tessera's scheduler, the GPU share resource, its workload's labels).
 * </ul>
 *
 * Anything else (other kinds, other operations) is allowed unchanged.
 */
public final class AdmissionReviewer {
  /** The two paths the webhook configurations call. */
  public enum Endpoint {
    VALIDATE("/validate"),
    MUTATE("/mutate");

    private final String path;

    Endpoint(String path) {
      this.path = path;
    }

    public String path() {
      return path;
    }

    /** The endpoint served at {@code path}, if any. */
    public static Optional<Endpoint> of(String path) {
      for (Endpoint e : values()) {
        if (e.path.equals(path)) {
          return Optional.of(e);
        }
      }
      return Optional.empty();
    }
  }

  static final String API_VERSION = "admission.k8s.io/v1";

  /** Finds another kind's workload holding a name. */
  @FunctionalInterface
  public interface OtherKinds {
    /** The kind of a workload named {@code name} in {@code namespace} that is not of {@code kind}, if any. */
    Optional<WorkloadKind> holding(String namespace, String name, WorkloadKind kind);
  }

  /** For a reviewer that knows of no workloads: tests, or a webhook without a controller. */
  public static final OtherKinds NO_OTHER_KINDS = (namespace, name, kind) -> Optional.empty();

  private final Supplier<WorkloadPolicies> policies;
  private final Function<String, String> projectOfNamespace;
  private final OtherKinds otherKinds;
  private final ObjectMapper json;
  private final DefaultsPatch patches;
  private final PodMutation pods;

  /**
   * A reviewer of the workload kinds only: pods are allowed unchanged.
   *
   * @param policies the policies in force, asked once per review
   * @param projectOfNamespace the project owning a namespace, or null for none
   * @param otherKinds where another kind's workload already holds a name
   */
  public AdmissionReviewer(
      Supplier<WorkloadPolicies> policies, Function<String, String> projectOfNamespace, OtherKinds otherKinds) {
    this(policies, projectOfNamespace, otherKinds, null);
  }

  /**
   * As the other, with {@code pods} answering the {@link Endpoint#MUTATE} review of each pod
   * created: the pod webhook that brings other controllers' workloads under Tessera.
   */
  public AdmissionReviewer(Supplier<WorkloadPolicies> policies, Function<String, String> projectOfNamespace,
      OtherKinds otherKinds, PodMutation pods) {
    this.pods = pods;
    this.policies = Objects.requireNonNull(policies, "policies");
    this.projectOfNamespace = Objects.requireNonNull(projectOfNamespace, "projectOfNamespace");
    this.otherKinds = Objects.requireNonNull(otherKinds, "otherKinds");
    this.json =
        new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    this.patches = new DefaultsPatch(json);
  }

  /**
   * The AdmissionReview (JSON, UTF-8) answering {@code body}.
   *
   * @throws MalformedReviewException when {@code body} is not an AdmissionReview with a readable
   *     {@code request.uid}; answer HTTP 400
   */
  public byte[] review(Endpoint endpoint, byte[] body) throws MalformedReviewException {
    Objects.requireNonNull(endpoint, "endpoint");
    JsonNode review;
    try {
      review = json.readTree(body);
    } catch (IOException e) {
      throw new MalformedReviewException("the body is not JSON: " + firstLine(e));
    }
    JsonNode request = review == null ? null : review.get("request");
    if (request == null || !request.isObject()) {
      throw new MalformedReviewException(
          "not an " + API_VERSION + " AdmissionReview: it has no request object");
    }
    JsonNode uid = request.get("uid");
    if (uid == null || !uid.isTextual() || uid.asText().isEmpty()) {
      throw new MalformedReviewException("the AdmissionReview's request has no uid");
    }
    ObjectNode response;
    try {
      response = answer(endpoint, request);
    } catch (BadObject e) {
      response = denied(400, "BadRequest", e.getMessage());
    }
    response.put("uid", uid.asText());
    ObjectNode out = json.createObjectNode();
    out.put("apiVersion", API_VERSION);
    out.put("kind", "AdmissionReview");
    out.set("response", response);
    try {
      return json.writeValueAsBytes(out);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("an AdmissionReview response could not be written", e);
    }
  }

  private ObjectNode answer(Endpoint endpoint, JsonNode request) throws BadObject {
    Optional<WorkloadKind> kind = workloadKind(request.path("kind"));
    String operation = request.path("operation").asText("");
    if (endpoint == Endpoint.MUTATE && "CREATE".equals(operation) && pods != null && isPod(request.path("kind"))) {
      return mutatePod(request);
    }
    if (kind.isEmpty()) {
      return allowed();
    }
    return switch (endpoint) {
      case VALIDATE ->
          "CREATE".equals(operation) || "UPDATE".equals(operation)
              ? validate(kind.get(), operation, request)
              : allowed();
      case MUTATE -> "CREATE".equals(operation) ? mutate(kind.get(), request) : allowed();
    };
  }

  private ObjectNode validate(WorkloadKind kind, String operation, JsonNode request)
      throws BadObject {
    JsonNode object = request.path("object");
    if ("UPDATE".equals(operation)) {
      JsonNode old = request.path("oldObject");
      JsonNode creator = old.path("metadata").path("annotations").path(WellKnown.CREATED_BY_ANNOTATION);
      if (!creator.equals(object.path("metadata").path("annotations").path(WellKnown.CREATED_BY_ANNOTATION))) {
        return denied(403, "Forbidden", kind.kind() + " " + name(request) + ": annotation "
            + WellKnown.CREATED_BY_ANNOTATION + " records who created the workload and cannot be changed"
            + (creator.isTextual() ? " (it says " + creator.asText() + ")" : ""));
      }
      if (object.path("spec").equals(old.path("spec"))
          || object.path("spec").path("stopped").asBoolean(false)) {
        return allowed();
      }
    }
    EffectivePolicy policy = policyFor(kind, request);
    WorkloadSpec effective = policy.applyDefaults(spec(kind, object));
    String name = object.path("metadata").path("name").asText("");
    if ("CREATE".equals(operation) && !name.isEmpty()) {
      Optional<WorkloadKind> other = otherKinds.holding(namespace(request), name, kind);
      if (other.isPresent()) {
        return denied(409, "AlreadyExists", kind.kind() + " " + name + " cannot be created: " + other.get().kind()
            + " " + name + " exists in namespace " + namespace(request) + ", and the pods, Services and PodGroup"
            + " of two workloads of one name would collide; choose another name");
      }
    }
    List<String> problems = WorkloadController.specProblems(kind, name.isEmpty() ? "x" : name, effective,
        distributed(kind, object), inference(kind, object));
    if (!problems.isEmpty()) {
      return denied(422, "Invalid", kind.kind() + " " + name(request) + " is invalid: " + String.join("; ", problems));
    }
    List<Violation> violations = policy.fieldViolations(effective);
    if (violations.isEmpty()) {
      return allowed();
    }
    ObjectNode response = denied(
        403,
        "Forbidden",
        kind.kind()
            + " "
            + name(request)
            + " is rejected by workload policy "
            + String.join(", ", policy.policies())
            + ": "
            + String.join("; ", violations.stream().map(Violation::message).toList()));
    // The API server hands the causes to the client: the console shows each on its field.
    ArrayNode causes = ((ObjectNode) response.path("status")).putObject("details").putArray("causes");
    for (Violation violation : violations) {
      causes.addObject().put("field", violation.field()).put("reason", "FieldValueForbidden")
          .put("message", violation.message());
    }
    return response;
  }

  private ObjectNode mutate(WorkloadKind kind, JsonNode request) throws BadObject {
    JsonNode object = request.path("object");
    WorkloadSpec before = spec(kind, object);
    WorkloadSpec after = policyFor(kind, request).applyDefaults(before);
    ArrayNode ops = patches.between(before, after, object.path("spec").isObject());
    String user = request.path("userInfo").path("username").asText("");
    if (!user.isEmpty()) {
      ops.add(createdBy(object.path("metadata").path("annotations"), user));
    }
    return patched(ops);
  }

  private ObjectNode mutatePod(JsonNode request) throws BadObject {
    JsonNode pod = request.path("object");
    if (!pod.isObject()) {
      throw new BadObject("the AdmissionReview's request has no pod to review");
    }
    PodMutation.Result result = pods.mutate(namespace(request), pod);
    if (result instanceof PodMutation.Result.Refused refused) {
      return denied(refused.denied().code(), refused.denied().reason(), refused.denied().message());
    }
    return patched(((PodMutation.Result.Patch) result).ops());
  }

  private static boolean isPod(JsonNode gvk) {
    return gvk.path("group").asText("").isEmpty() && "Pod".equals(gvk.path("kind").asText());
  }

  private ObjectNode patched(ArrayNode ops) {
    ObjectNode response = allowed();
    if (!ops.isEmpty()) {
      try {
        response.put("patchType", "JSONPatch");
        response.put("patch", Base64.getEncoder().encodeToString(json.writeValueAsBytes(ops)));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("a JSONPatch could not be written", e);
      }
    }
    return response;
  }

  /** The patch operation that records the creating user, whatever the object claimed. */
  private ObjectNode createdBy(JsonNode annotations, String user) {
    ObjectNode op = json.createObjectNode();
    op.put("op", "add");
    if (annotations.isObject()) {
      // JSON Pointer (RFC 6901): the key's "/" is written "~1".
      op.put("path", "/metadata/annotations/" + WellKnown.CREATED_BY_ANNOTATION.replace("/", "~1"));
      op.put("value", user);
    } else {
      op.put("path", "/metadata/annotations");
      op.set("value", json.createObjectNode().put(WellKnown.CREATED_BY_ANNOTATION, user));
    }
    return op;
  }

  private EffectivePolicy policyFor(WorkloadKind kind, JsonNode request) {
    String namespace = namespace(request);
    String project = namespace == null ? null : projectOfNamespace.apply(namespace);
    return policies.get().effective(kind, project);
  }

  private static String namespace(JsonNode request) {
    String namespace = request.path("namespace").asText(null);
    return namespace != null ? namespace : request.path("object").path("metadata").path("namespace").asText(null);
  }

  /** A distributed training's own spec fields; null for the other kinds or when it has no spec. */
  private DistributedTrainingSpec distributed(WorkloadKind kind, JsonNode object) throws BadObject {
    JsonNode spec = object.get("spec");
    if (kind != WorkloadKind.DISTRIBUTED_TRAINING || spec == null || spec.isNull()) {
      return null;
    }
    try {
      return json.treeToValue(spec, DistributedTrainingSpec.class);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new BadObject("the " + kind.kind() + "'s spec cannot be read: " + firstLine(e));
    }
  }

  /** An inference's own spec fields; null for the other kinds or when it has no spec. */
  private InferenceSpec inference(WorkloadKind kind, JsonNode object) throws BadObject {
    JsonNode spec = object.get("spec");
    if (kind != WorkloadKind.INFERENCE || spec == null || spec.isNull()) {
      return null;
    }
    try {
      return json.treeToValue(spec, InferenceSpec.class);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new BadObject("the " + kind.kind() + "'s spec cannot be read: " + firstLine(e));
    }
  }

  /** The object's common spec fields; null when it has none. Every kind's spec is flat. */
  private WorkloadSpec spec(WorkloadKind kind, JsonNode object) throws BadObject {
    if (!object.isObject()) {
      throw new BadObject("the AdmissionReview's request has no object to review");
    }
    JsonNode spec = object.get("spec");
    if (spec == null || spec.isNull()) {
      return null;
    }
    try {
      return json.treeToValue(spec, WorkloadSpec.class);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new BadObject(
          "the " + kind.kind() + "'s spec cannot be read: " + firstLine(e)
              + "; check it against the CRD (kubectl explain " + kind.kind().toLowerCase(java.util.Locale.ROOT)
              + ".spec)");
    }
  }

  private static Optional<WorkloadKind> workloadKind(JsonNode gvk) {
    if (!WellKnown.API_GROUP.equals(gvk.path("group").asText())) {
      return Optional.empty();
    }
    String kind = gvk.path("kind").asText();
    for (WorkloadKind k : WorkloadKind.values()) {
      if (k.managedByTessera() && k.kind().equals(kind)) { // policies govern only what Tessera runs
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }

  private static String name(JsonNode request) {
    String name = request.path("name").asText("");
    if (name.isEmpty()) {
      name = request.path("object").path("metadata").path("name").asText("");
    }
    if (name.isEmpty()) { // generateName: the server names it after admission
      name = request.path("object").path("metadata").path("generateName").asText("") + "*";
    }
    return name;
  }

  private ObjectNode allowed() {
    ObjectNode response = json.createObjectNode();
    response.put("allowed", true);
    return response;
  }

  private ObjectNode denied(int code, String reason, String message) {
    ObjectNode response = json.createObjectNode();
    response.put("allowed", false);
    ObjectNode status = response.putObject("status");
    status.put("code", code);
    status.put("reason", reason);
    status.put("message", message);
    return response;
  }

  private static String firstLine(Exception e) {
    String message = String.valueOf(e.getMessage());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  /** The review is readable but its object is not a workload this code can read. */
  private static final class BadObject extends Exception {
    private static final long serialVersionUID = 1L;

    BadObject(String message) {
      super(message);
    }
  }
}
