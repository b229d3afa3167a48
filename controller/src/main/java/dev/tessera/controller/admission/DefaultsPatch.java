package dev.tessera.controller.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.api.workloads.WorkloadSpec;
import java.util.Iterator;
import java.util.Map;

/**
 * The JSONPatch (RFC 6902) that turns a workload's spec into its spec with the policy defaults
 * applied. Both specs are serialized with Jackson, so the patched object holds exactly what the
 * controller would compute, under the property names the CRD uses.
 *
 * <p>One {@code add} per top-level spec field whose value differs. That is a field the user left
 * out, and the GPU request in the one case {@code applyDefaults} replaces it whole (a gpu block
 * that asks for no GPUs); {@code add} on an existing member replaces it, as RFC 6902 says. A
 * workload without a spec gets one {@code add /spec}.
 */
final class DefaultsPatch {
  private final ObjectMapper json;

  DefaultsPatch(ObjectMapper json) {
    this.json = json;
  }

  /**
   * @param hasSpec whether the object has a {@code spec} member at all
   * @return the operations; empty when the defaults change nothing
   */
  ArrayNode between(WorkloadSpec before, WorkloadSpec after, boolean hasSpec) {
    ArrayNode ops = json.createArrayNode();
    ObjectNode from = before == null ? json.createObjectNode() : json.valueToTree(before);
    ObjectNode to = json.valueToTree(after);
    if (!hasSpec) {
      if (!to.isEmpty()) {
        ops.add(add("/spec", to));
      }
      return ops;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = to.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      if (!field.getValue().equals(from.get(field.getKey()))) {
        ops.add(add("/spec/" + escape(field.getKey()), field.getValue()));
      }
    }
    return ops;
  }

  private ObjectNode add(String path, JsonNode value) {
    ObjectNode op = json.createObjectNode();
    op.put("op", "add");
    op.put("path", path);
    op.set("value", value);
    return op;
  }

  /** JSON Pointer escaping (RFC 6901); the spec's names need none, but a pointer must be exact. */
  private static String escape(String name) {
    return name.replace("~", "~0").replace("/", "~1");
  }
}
