package dev.tessera.agent.kube;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The few fields of a pod that the device plugin reads, taken from the API's JSON. Kept instead of
 * a full pod model: the agent holds every pod of its node, and loading a model library costs more
 * memory than the agent's whole budget allows.
 *
 * @param containers the containers, then the init containers
 * @param scheduledAt the {@code PodScheduled=True} condition's lastTransitionTime, or null
 */
public record PodInfo(
    String namespace,
    String name,
    String uid,
    Map<String, String> annotations,
    String creationTimestamp,
    String deletionTimestamp,
    String nodeName,
    String schedulerName,
    List<ContainerInfo> containers,
    String phase,
    String scheduledAt) {

  public PodInfo {
    annotations = Map.copyOf(annotations);
    containers = List.copyOf(containers);
  }

  /**
   * @param name the container's name ("" when absent)
   * @param resources the resource names in its limits and requests
   */
  public record ContainerInfo(String name, Set<String> resources) {
    public ContainerInfo {
      resources = Set.copyOf(resources);
    }
  }

  /** Reads a pod as the API serves it; absent fields become null (or empty collections). */
  public static PodInfo from(JsonNode pod) {
    JsonNode meta = pod.path("metadata");
    JsonNode spec = pod.path("spec");
    JsonNode status = pod.path("status");
    Map<String, String> annotations = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> fields = meta.path("annotations").fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      if (field.getValue().isTextual()) {
        annotations.put(field.getKey(), field.getValue().asText());
      }
    }
    List<ContainerInfo> containers = new ArrayList<>();
    addContainers(spec.path("containers"), containers);
    addContainers(spec.path("initContainers"), containers);
    String scheduledAt = null;
    for (JsonNode condition : status.path("conditions")) {
      if ("PodScheduled".equals(text(condition, "type")) && "True".equals(text(condition, "status"))
          && text(condition, "lastTransitionTime") != null) {
        scheduledAt = text(condition, "lastTransitionTime");
        break;
      }
    }
    return new PodInfo(
        text(meta, "namespace"), text(meta, "name"), text(meta, "uid"), annotations,
        text(meta, "creationTimestamp"), text(meta, "deletionTimestamp"),
        text(spec, "nodeName"), text(spec, "schedulerName"), containers, text(status, "phase"), scheduledAt);
  }

  private static void addContainers(JsonNode list, List<ContainerInfo> out) {
    for (JsonNode container : list) {
      Set<String> resources = new LinkedHashSet<>();
      container.path("resources").path("limits").fieldNames().forEachRemaining(resources::add);
      container.path("resources").path("requests").fieldNames().forEachRemaining(resources::add);
      String name = text(container, "name");
      out.add(new ContainerInfo(name == null ? "" : name, resources));
    }
  }

  /** The field's text, or null when absent or JSON null (asText would give "null"). */
  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? null : value.asText();
  }
}
