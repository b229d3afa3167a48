package dev.tessera.controller.workloads.policy;

import dev.tessera.api.policy.WorkloadPolicySpec;
import dev.tessera.api.policy.WorkloadPolicySpec.Constraints;
import dev.tessera.api.syntax.Durations;
import dev.tessera.api.workloads.WorkloadKind;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Validates WorkloadPolicies: every problem of every policy at once, never thrown. A policy with a
 * problem is left out whole rather than half applied; two policies of the same scope are both left
 * out, because which one wins cannot be guessed.
 */
final class WorkloadPolicyRules {
  static final String KINDS =
      Arrays.stream(WorkloadKind.values()).filter(WorkloadKind::managedByTessera).map(WorkloadKind::kind)
          .collect(Collectors.joining(", "));

  private WorkloadPolicyRules() {}

  /** What validation found: the accepted policies by scope, and the problems by policy name. */
  record Result(Map<Scope, NamedPolicy> accepted, Map<String, List<String>> problems) {}

  static Result check(List<NamedPolicy> policies) {
    Map<String, List<String>> problems = new TreeMap<>();
    Map<Scope, List<String>> byScope = new LinkedHashMap<>();
    Map<String, NamedPolicy> byName = new TreeMap<>();
    for (NamedPolicy policy : policies) {
      List<String> found = new ArrayList<>();
      if (byName.putIfAbsent(policy.name(), policy) != null) {
        found.add("another policy has the same name");
      }
      WorkloadPolicySpec spec = policy.spec();
      if (spec == null) {
        found.add("spec is missing");
      } else {
        Optional<WorkloadKind> kind = kind(spec.workloadKind(), found);
        if (spec.project() != null && spec.project().isBlank()) {
          found.add("project is empty; leave it out for a global policy");
        }
        if (spec.defaults() != null && spec.defaults().stopped() != null) {
          found.add("defaults.stopped is not a default: leave it out");
        }
        constraints(spec.constraints(), found);
        if (found.isEmpty()) {
          byScope.computeIfAbsent(new Scope(kind.orElse(null), spec.project()), s -> new ArrayList<>())
              .add(policy.name());
        }
      }
      if (!found.isEmpty()) {
        problems.put(policy.name(), found);
      }
    }
    Map<Scope, NamedPolicy> accepted = new LinkedHashMap<>();
    byScope.forEach((scope, names) -> {
      if (names.size() == 1) {
        accepted.put(scope, byName.get(names.get(0)));
        return;
      }
      for (String name : names) {
        List<String> others = names.stream().filter(n -> !n.equals(name)).sorted().toList();
        problems.computeIfAbsent(name, n -> new ArrayList<>()).add("its scope (" + scope.describe()
            + ") is also the scope of " + String.join(", ", others)
            + "; one scope has one policy: merge them or narrow one");
      }
    });
    return new Result(accepted, problems);
  }

  /** The kind a policy names; empty for every kind (and for an unknown one, reported). */
  private static Optional<WorkloadKind> kind(String name, List<String> found) {
    if (name == null) {
      return Optional.empty();
    }
    for (WorkloadKind kind : WorkloadKind.values()) {
      if (kind.managedByTessera() && kind.kind().equals(name)) { // policies govern only what Tessera runs
        return Optional.of(kind);
      }
    }
    found.add("workloadKind " + name + " is not a workload kind: use one of " + KINDS
        + ", or leave it out for every kind");
    return Optional.empty();
  }

  private static void constraints(Constraints c, List<String> found) {
    if (c == null) {
      return;
    }
    if (c.maxGpus() != null && c.maxGpus() < 0) {
      found.add("constraints.maxGpus must be >= 0, was " + c.maxGpus());
    }
    Double fraction = c.maxGpuFraction();
    if (fraction != null && (fraction.isNaN() || fraction < 0 || fraction > 1)) {
      found.add("constraints.maxGpuFraction must be between 0 and 1, was " + Messages.number(fraction));
    }
    if (c.maxGpuMemoryMiB() != null && c.maxGpuMemoryMiB() < 0) {
      found.add("constraints.maxGpuMemoryMiB must be >= 0, was " + c.maxGpuMemoryMiB());
    }
    list("constraints.allowedImages", c.allowedImages(), found, true);
    list("constraints.allowedNodePools", c.allowedNodePools(), found, false);
    duration("constraints.maxRuntime", c.maxRuntime(), found);
    duration("constraints.maxIdleTime", c.maxIdleTime(), found);
    quantity("constraints.maxCpu", c.maxCpu(), found);
    quantity("constraints.maxMemory", c.maxMemory(), found);
  }

  private static void list(String field, List<String> values, List<String> found, boolean globs) {
    if (values == null) {
      return;
    }
    if (values.isEmpty()) {
      found.add(field + " is empty, which would allow nothing; leave it out to allow everything");
    }
    for (int i = 0; i < values.size(); i++) {
      String value = values.get(i);
      if (globs) {
        int index = i;
        ImageGlob.problem(value).ifPresent(p -> found.add(field + "[" + index + "] " + p));
      } else if (value == null || value.isBlank()) {
        found.add(field + "[" + i + "] is empty");
      }
    }
  }

  private static void duration(String field, String text, List<String> found) {
    if (text == null) {
      return;
    }
    Optional<java.time.Duration> parsed = Durations.parse(text);
    if (parsed.isEmpty()) {
      found.add(field + " \"" + text + "\" is not a duration: " + Durations.FORMAT_HINT);
    } else if (parsed.get().isZero()) {
      found.add(field + " must be longer than 0, was " + text);
    }
  }

  private static void quantity(String field, String text, List<String> found) {
    if (text == null) {
      return;
    }
    Optional<BigDecimal> parsed = Quantities.parse(text);
    if (parsed.isEmpty()) {
      found.add(field + " \"" + text + "\" is not a Kubernetes quantity: write e.g. 4, 500m or 32Gi");
    } else if (parsed.get().signum() < 0) {
      found.add(field + " must be >= 0, was " + text);
    }
  }
}
