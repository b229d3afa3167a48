package dev.tessera.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.api.policy.WorkloadPolicyResource;
import dev.tessera.api.policy.WorkloadPolicySpec;
import dev.tessera.controller.workloads.policy.WorkloadPolicies;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** The workload policies, each in three lines: where it applies, its defaults, its constraints. */
final class PolicyTable {
  private PolicyTable() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * @param verdicts the policies as the controller and the admission webhook hold them: which are
   *     accepted
   */
  static String render(List<WorkloadPolicyResource> policies, WorkloadPolicies verdicts) {
    StringBuilder out = new StringBuilder();
    List<WorkloadPolicyResource> sorted = new ArrayList<>(policies);
    sorted.sort(Comparator.comparing(p -> p.getMetadata().getName()));
    for (WorkloadPolicyResource policy : sorted) {
      String name = policy.getMetadata().getName();
      WorkloadPolicySpec spec = policy.getSpec();
      List<String> problems = verdicts.problems(name);
      out.append("  ").append(name).append(": ")
          .append(spec.project() == null ? "every project" : "project " + spec.project()).append(", ")
          .append(spec.workloadKind() == null ? "every kind" : spec.workloadKind()).append(", ")
          .append(problems.isEmpty() ? "accepted" : "not accepted (" + String.join("; ", problems) + ")")
          .append(System.lineSeparator());
      out.append("    defaults     ").append(fields(spec.defaults())).append(System.lineSeparator());
      out.append("    constraints  ").append(fields(spec.constraints())).append(System.lineSeparator());
    }
    return out.toString();
  }

  /** The fields set, as {@code name value} pairs, nested ones with dotted names: {@code gpu.fraction 0.5}. */
  private static String fields(Object value) {
    List<String> pairs = new ArrayList<>();
    flatten("", value == null ? JSON.nullNode() : JSON.valueToTree(value), pairs);
    return pairs.isEmpty() ? "-" : String.join(", ", pairs);
  }

  private static void flatten(String prefix, JsonNode node, List<String> pairs) {
    if (node.isObject()) {
      for (Map.Entry<String, JsonNode> field : node.properties()) {
        flatten(prefix.isEmpty() ? field.getKey() : prefix + "." + field.getKey(), field.getValue(), pairs);
      }
    } else if (node.isArray()) {
      List<String> items = new ArrayList<>();
      node.forEach(item -> items.add(item.isValueNode() ? item.asText() : item.toString()));
      pairs.add(prefix + " [" + String.join(", ", items) + "]");
    } else if (!node.isNull() && !node.isMissingNode()) {
      pairs.add(prefix + " " + node.asText());
    }
  }
}
