package dev.tessera.controller.external;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.api.WellKnown;
import dev.tessera.api.workloads.WorkloadKind;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * What the pod admission webhook changes on a pod created in a project's namespace, so that
 * teams' existing Jobs, Deployments and operators' pods are scheduled by Tessera without their
 * owners changing anything:
 *
 * <ol>
 *   <li>{@code schedulerName} becomes {@value WellKnown#SCHEDULER_NAME} when the pod names none or
 *       {@value #DEFAULT_SCHEDULER}. A pod that names another scheduler keeps it and is left
 *       alone: its owner chose that scheduler on purpose.
 *   <li>A pod that asks for a fraction by annotation ({@value WellKnown#GPU_FRACTION} or {@value
 *       WellKnown#GPU_MEMORY}) and requests no GPU resource gets {@value
 *       WellKnown#GPU_SHARE_RESOURCE}: 1 on its first container, without which kubelet never calls
 *       the node agent and the container sees no GPU.
 *   <li>A pod some object owns is labelled as a member of its top owner's workload ({@link
 *       TopOwners}, {@link GroupingRules}): {@value WellKnown#WORKLOAD_LABEL}, {@value
 *       WellKnown#WORKLOAD_KIND_LABEL}: external, {@value WellKnown#TOP_OWNER_ANNOTATION}, and when
 *       the owner's kind makes a gang, {@value WellKnown#POD_GROUP_LABEL} (over any other value:
 *       Tessera's PodGroup now governs it) and, for Ray workers and Spark executors above the
 *       minimum, {@value WellKnown#ELASTIC_ANNOTATION}.
 * </ol>
 *
 * A pod labelled {@value WellKnown#SCHEDULING_LABEL}: {@value WellKnown#SCHEDULING_DISABLED}, a
 * pod of a namespace no project owns, and Tessera's own workloads' pods are not changed (the
 * webhook's namespaceSelector also leaves out namespaces with that label).
 */
public final class PodMutation {
  static final String DEFAULT_SCHEDULER = "default-scheduler";

  /** The pod may not be created now; {@code message} says why and what to do. */
  public record Denied(int code, String reason, String message) {}

  /** The patch for a pod (possibly empty), or why it is refused. */
  public sealed interface Result {
    record Patch(ArrayNode ops) implements Result {}

    record Refused(Denied denied) implements Result {}
  }

  private final Function<String, String> projectOfNamespace;
  private final TopOwners owners;
  private final ObjectMapper json;

  public PodMutation(Function<String, String> projectOfNamespace, TopOwners owners, ObjectMapper json) {
    this.projectOfNamespace = Objects.requireNonNull(projectOfNamespace, "projectOfNamespace");
    this.owners = Objects.requireNonNull(owners, "owners");
    this.json = Objects.requireNonNull(json, "json");
  }

  /** The patch for the pod a CREATE review carries in {@code namespace}. */
  public Result mutate(String namespace, JsonNode pod) {
    ArrayNode ops = json.createArrayNode();
    JsonNode metadata = pod.path("metadata");
    JsonNode labels = metadata.path("labels");
    if (namespace == null || projectOfNamespace.apply(namespace) == null
        || WellKnown.SCHEDULING_DISABLED.equals(labels.path(WellKnown.SCHEDULING_LABEL).asText(null))) {
      return new Result.Patch(ops);
    }
    String scheduler = pod.path("spec").path("schedulerName").asText("");
    if (scheduler.isEmpty() || DEFAULT_SCHEDULER.equals(scheduler)) {
      ops.addObject().put("op", "add").put("path", "/spec/schedulerName").put("value", WellKnown.SCHEDULER_NAME);
    } else if (!WellKnown.SCHEDULER_NAME.equals(scheduler)) {
      return new Result.Patch(ops);
    }
    addGpuShare(pod, ops);
    if (labels.has(WellKnown.WORKLOAD_KIND_LABEL)) {
      return new Result.Patch(ops); // a Tessera workload's pod: its controller labelled it
    }
    Optional<TopOwners.Found> top;
    try {
      top = owners.of(namespace, ownerReferences(metadata));
    } catch (TopOwners.ReadFailed e) {
      return new Result.Refused(new Denied(503, "ServiceUnavailable", "Tessera could not group pod "
          + podName(metadata) + " with its workload: " + e.getMessage()
          + "; the pod's controller creates it again, or retry"));
    }
    if (top.isPresent()) {
      group(top.get(), metadata, ops);
    }
    return new Result.Patch(ops);
  }

  private void group(TopOwners.Found top, JsonNode metadata, ArrayNode ops) {
    GroupingRules.Gang gang = GroupingRules.gang(top.owner().apiVersion(), top.owner().kind(), top.object());
    String name = WorkloadNames.of(top.owner().kind(), top.owner().name());
    ObjectNode labels = json.createObjectNode();
    labels.put(WellKnown.WORKLOAD_LABEL, name);
    labels.put(WellKnown.WORKLOAD_KIND_LABEL, WorkloadKind.EXTERNAL.label());
    if (gang.minMember() > 1) {
      labels.put(WellKnown.POD_GROUP_LABEL, name);
    }
    ObjectNode annotations = json.createObjectNode();
    annotations.put(WellKnown.TOP_OWNER_ANNOTATION, top.owner().annotation());
    if (gang.minMember() > 1 && gang.elasticWorkers() && GroupingRules.elasticMember(stringMap(metadata.path("labels")))) {
      annotations.put(WellKnown.ELASTIC_ANNOTATION, "true");
    }
    put(ops, metadata, "labels", labels);
    put(ops, metadata, "annotations", annotations);
  }

  /** Adds or replaces each entry of {@code values} in the metadata map {@code field}. */
  private static void put(ArrayNode ops, JsonNode metadata, String field, ObjectNode values) {
    JsonNode existing = metadata.path(field);
    if (!existing.isObject()) {
      ops.addObject().put("op", "add").put("path", "/metadata/" + field).set("value", values);
      return;
    }
    values.fields().forEachRemaining(entry -> ops.addObject()
        .put("op", "add") // "add" replaces a member that exists (RFC 6902 4.1)
        .put("path", "/metadata/" + field + "/" + pointer(entry.getKey()))
        .set("value", entry.getValue()));
  }

  private static void addGpuShare(JsonNode pod, ArrayNode ops) {
    JsonNode annotations = pod.path("metadata").path("annotations");
    boolean fraction = !annotations.path(WellKnown.GPU_FRACTION).asText("").isBlank()
        || !annotations.path(WellKnown.GPU_MEMORY).asText("").isBlank();
    JsonNode containers = pod.path("spec").path("containers");
    if (!fraction || !containers.isArray() || containers.isEmpty()) {
      return;
    }
    for (JsonNode container : containers) {
      for (String kind : List.of("limits", "requests")) {
        JsonNode resources = container.path("resources").path(kind);
        if (resources.has(WellKnown.GPU_SHARE_RESOURCE) || resources.has(WellKnown.GPU_RESOURCE)) {
          return; // it asks for a GPU resource itself
        }
      }
    }
    JsonNode resources = containers.get(0).path("resources");
    String base = "/spec/containers/0/resources";
    if (!resources.isObject()) {
      ObjectNode value = ops.addObject().put("op", "add").put("path", base).putObject("value");
      value.putObject("limits").put(WellKnown.GPU_SHARE_RESOURCE, "1");
    } else if (!resources.path("limits").isObject()) {
      ops.addObject().put("op", "add").put("path", base + "/limits").putObject("value")
          .put(WellKnown.GPU_SHARE_RESOURCE, "1");
    } else {
      ops.addObject().put("op", "add").put("path", base + "/limits/" + pointer(WellKnown.GPU_SHARE_RESOURCE))
          .put("value", "1");
    }
  }

  private List<?> ownerReferences(JsonNode metadata) {
    JsonNode references = metadata.path("ownerReferences");
    return references.isArray() ? json.convertValue(references, List.class) : List.of();
  }

  private static Map<String, String> stringMap(JsonNode node) {
    java.util.HashMap<String, String> map = new java.util.HashMap<>();
    node.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
    return map;
  }

  private static String podName(JsonNode metadata) {
    String name = metadata.path("name").asText("");
    return name.isEmpty() ? metadata.path("generateName").asText("") + "*" : name;
  }

  /** A map key as a JSON Pointer token (RFC 6901). */
  private static String pointer(String key) {
    return key.replace("~", "~0").replace("/", "~1");
  }
}
