package dev.tessera.console.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.console.access.Authorizer;
import dev.tessera.console.access.Caller;
import dev.tessera.console.access.Permission;
import dev.tessera.console.catalog.WorkloadActions;
import dev.tessera.console.catalog.WorkloadDetails;
import dev.tessera.console.http.ApiException;
import dev.tessera.console.http.Reply;
import dev.tessera.console.http.Request;
import dev.tessera.console.http.Router;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What users do to workloads: submit (with {@code dryRun=All} to see the policies' defaults and
 * violations first), stop, run and delete. Each is checked against RBAC here, for a clear 403, and
 * done as the user, so the API server checks it again and admission sees who did it. A kind that
 * does not support the action (an external workload, run by its owner's controller) is refused
 * first, with 405 and what to do to its owner instead ({@link Unsupported}).
 */
final class ActionRoutes {
  private final DetailRoutes details;
  private final Impersonation impersonation;
  private final Authorizer authorizer;
  private final ObjectMapper json;

  ActionRoutes(DetailRoutes details, Impersonation impersonation, Authorizer authorizer, ObjectMapper json) {
    this.details = details;
    this.impersonation = impersonation;
    this.authorizer = authorizer;
    this.json = json;
  }

  void register(Router router) {
    router.add("POST", "/api/v1/namespaces/{namespace}/{kind}", this::submit);
    router.add("POST", DetailRoutes.BASE + "/stop", (request, vars, caller) -> stopped(vars, caller, true));
    router.add("POST", DetailRoutes.BASE + "/run", (request, vars, caller) -> stopped(vars, caller, false));
    router.add("DELETE", DetailRoutes.BASE, (request, vars, caller) -> delete(vars, caller));
  }

  private Reply submit(Request request, Map<String, String> vars, Caller caller) throws Exception {
    WorkloadKind kind = Plurals.kind(vars.get("kind"));
    String namespace = vars.get("namespace");
    if (!kind.managedByTessera()) {
      throw Unsupported.notSubmitted(kind, namespace);
    }
    Visibility.require(authorizer, caller, Permission.tessera("create", Plurals.of(kind), namespace));
    String dryRun = request.param("dryRun");
    if (dryRun != null && !dryRun.equals("All")) {
      throw ApiException.badRequest("dryRun is All (check and show defaults without creating), not \"" + dryRun
          + "\"");
    }
    JsonNode body;
    try {
      body = json.readTree(request.body());
    } catch (java.io.IOException e) {
      throw ApiException.badRequest("the body is not JSON: " + e.getMessage());
    }
    if (body == null || !body.isObject()) {
      throw ApiException.badRequest("the body is a workload: {\"metadata\": {\"name\": ...}, \"spec\": {...}}");
    }
    ObjectNode object = ((ObjectNode) body).deepCopy();
    object.put("apiVersion", "tessera.dev/v1alpha1");
    object.put("kind", kind.kind());
    ObjectNode metadata = object.with("metadata");
    if (metadata.path("namespace").isTextual() && !metadata.path("namespace").asText().equals(namespace)) {
      throw ApiException.badRequest("metadata.namespace (" + metadata.path("namespace").asText()
          + ") differs from the path's namespace (" + namespace + ")");
    }
    metadata.put("namespace", namespace);
    metadata.remove("resourceVersion");
    metadata.remove("uid");
    object.remove("status");
    WorkloadResource<?> workload;
    try {
      workload = json.treeToValue(object, Plurals.resourceClass(kind));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new ApiException(422, "Invalid", "the " + kind.kind() + " does not read: " + e.getOriginalMessage(),
          List.of(new ApiException.FieldError(fieldOf(e), "FieldValueInvalid", e.getOriginalMessage())));
    }
    WorkloadResource<?> created;
    try {
      created = impersonation.as(caller, client -> dryRun != null
          ? client.resource(workload).dryRun().create()
          : client.resource(workload).create());
    } catch (KubernetesClientException e) {
      throw ApiErrors.from(e, "submit " + kind.kind() + " " + namespace + "/" + workload.getMetadata().getName());
    }
    return success(dryRun != null ? 200 : 201, dryRun != null
        ? "the " + kind.kind() + " passes the policies; \"object\" shows it with their defaults"
        : kind.kind() + " " + namespace + "/" + created.getMetadata().getName() + " submitted", created);
  }

  private static String fieldOf(com.fasterxml.jackson.core.JsonProcessingException e) {
    if (e instanceof com.fasterxml.jackson.databind.JsonMappingException mapping) {
      StringBuilder path = new StringBuilder();
      for (var reference : mapping.getPath()) {
        if (reference.getFieldName() != null) {
          path.append(path.length() == 0 ? "" : ".").append(reference.getFieldName());
        } else if (reference.getIndex() >= 0) {
          path.append('[').append(reference.getIndex()).append(']');
        }
      }
      return path.toString();
    }
    return "";
  }

  private Reply stopped(Map<String, String> vars, Caller caller, boolean stop) throws Exception {
    WorkloadDetails found = details.found(vars, caller, "get");
    Unsupported.require(found.row(), stop ? WorkloadActions.STOP : WorkloadActions.RUN);
    WorkloadKind kind = Plurals.kind(vars.get("kind"));
    String namespace = found.row().namespace();
    String name = found.row().name();
    Visibility.require(authorizer, caller, Permission.tessera("patch", Plurals.of(kind), namespace));
    String what = kind.kind().toLowerCase(Locale.ROOT) + " " + namespace + "/" + name;
    boolean already = stop == found.row().status().equals("Stopped");
    if (already) {
      return success(what + (stop ? " is already stopped" : " is not stopped"));
    }
    try {
      impersonation.as(caller, client -> client.resources(Plurals.resourceClass(kind)).inNamespace(namespace)
          .withName(name).patch(PatchContext.of(PatchType.JSON_MERGE),
              "{\"spec\":{\"stopped\":" + stop + "}}"));
    } catch (KubernetesClientException e) {
      throw ApiErrors.from(e, (stop ? "stop " : "run ") + what);
    }
    return success(stop ? what + " is stopping: its pods go, its definition stays"
        : what + " runs again: its pods are being created");
  }

  private Reply delete(Map<String, String> vars, Caller caller) throws Exception {
    WorkloadDetails found = details.found(vars, caller, "get");
    Unsupported.require(found.row(), WorkloadActions.DELETE);
    WorkloadKind kind = Plurals.kind(vars.get("kind"));
    String namespace = found.row().namespace();
    String name = found.row().name();
    Visibility.require(authorizer, caller, Permission.tessera("delete", Plurals.of(kind), namespace));
    String what = kind.kind().toLowerCase(Locale.ROOT) + " " + namespace + "/" + name;
    try {
      impersonation.as(caller, client -> client.resources(Plurals.resourceClass(kind)).inNamespace(namespace)
          .withName(name).withPropagationPolicy(DeletionPropagation.FOREGROUND).delete());
    } catch (KubernetesClientException e) {
      throw ApiErrors.from(e, "delete " + what);
    }
    return success(what + " is being deleted; it stays in the Deleted view with its history");
  }

  private Reply success(String message) throws Exception {
    return success(200, message, null);
  }

  /** A Kubernetes Status of Success, with the object acted on when there is one. */
  private Reply success(int code, String message, Object object) throws Exception {
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("kind", "Status");
    answer.put("apiVersion", "v1");
    answer.put("status", "Success");
    answer.put("message", message);
    if (object != null) {
      answer.put("object", object);
    }
    return Reply.json(code, json.writeValueAsBytes(answer));
  }
}
