package dev.tessera.controller.workloads.policy;

import dev.tessera.api.workloads.WorkloadKind;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Every WorkloadPolicy of the cluster, validated, and the policy that applies to a workload. Pure
 * and immutable: build a new one when a policy changes.
 *
 * <p>Up to four policies apply to a workload of kind K in project P, and they are merged field by
 * field, the first that sets a field winning:
 *
 * <ol>
 *   <li>project P, kind K
 *   <li>project P, every kind
 *   <li>global, kind K
 *   <li>global, every kind
 * </ol>
 *
 * A project's policy outranks any global one, even a kind-specific global one: the issue says a
 * project policy overrides the global one, and a team's admin writing "every kind" means their
 * team. Within one level, a kind-specific policy outranks the all-kinds one. A field is a whole
 * value: a list of allowed images or a default GPU request is taken from one policy, never joined.
 *
 * <p>Invalid policies are left out whole ({@link #problems()} says why, to be written to their
 * status); a project whose own policy is invalid falls back to the global ones.
 */
public final class WorkloadPolicies {
  /** No policies: nothing filled in, everything allowed. */
  public static final WorkloadPolicies NONE = of(List.of());

  private final Map<Scope, NamedPolicy> accepted;
  private final Map<String, List<String>> problems;

  private WorkloadPolicies(Map<Scope, NamedPolicy> accepted, Map<String, List<String>> problems) {
    this.accepted = Map.copyOf(accepted);
    this.problems = copy(problems);
  }

  /** Validates {@code policies}; nothing is thrown for bad ones, see {@link #problems()}. */
  public static WorkloadPolicies of(Collection<NamedPolicy> policies) {
    List<NamedPolicy> sorted = new ArrayList<>();
    if (policies != null) {
      policies.stream().filter(Objects::nonNull).forEach(sorted::add);
    }
    sorted.sort(Comparator.comparing(NamedPolicy::name));
    WorkloadPolicyRules.Result result = WorkloadPolicyRules.check(sorted);
    return new WorkloadPolicies(result.accepted(), result.problems());
  }

  /** Why each rejected policy is rejected, by policy name; accepted policies are not keys. */
  public Map<String, List<String>> problems() {
    return problems;
  }

  /** The problems of one policy; empty when it is accepted (or unknown). */
  public List<String> problems(String policy) {
    return problems.getOrDefault(policy, List.of());
  }

  /**
   * The policy that applies to a workload of {@code kind} in {@code project}.
   *
   * @param project null for a workload in no project: only global policies apply
   */
  public EffectivePolicy effective(WorkloadKind kind, String project) {
    Objects.requireNonNull(kind, "kind");
    List<NamedPolicy> layers = new ArrayList<>();
    for (Scope scope : Scope.precedence(kind, project)) {
      Optional.ofNullable(accepted.get(scope)).ifPresent(layers::add);
    }
    return PolicyMerge.merge(kind, project, layers);
  }

  private static Map<String, List<String>> copy(Map<String, List<String>> in) {
    Map<String, List<String>> out = new java.util.TreeMap<>();
    in.forEach((k, v) -> out.put(k, List.copyOf(v)));
    return java.util.Collections.unmodifiableMap(out);
  }
}
