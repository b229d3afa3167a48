package dev.tessera.controller.workloads.policy;

import dev.tessera.api.policy.WorkloadPolicySpec.Constraints;
import dev.tessera.api.syntax.Durations;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.api.workloads.WorkloadSpec.GpuSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The policy that applies to one kind of workload in one project, merged from up to four policies
 * (see {@link WorkloadPolicies}).
 *
 * @param policies the names of the policies it was merged from, most specific first; empty when
 *     none applies
 * @param defaults the merged defaults; fields no policy sets are null
 * @param constraints the merged constraints; rules no policy sets are null
 * @param sources for each constraint field set ("maxGpus"), the policy it came from
 */
public record EffectivePolicy(
    WorkloadKind kind,
    String project,
    List<String> policies,
    WorkloadSpec defaults,
    Constraints constraints,
    Map<String, String> sources) {

  public EffectivePolicy {
    Objects.requireNonNull(kind, "kind");
    policies = List.copyOf(policies);
    Objects.requireNonNull(defaults, "defaults");
    Objects.requireNonNull(constraints, "constraints");
    sources = Map.copyOf(sources);
  }

  /**
   * {@code spec} with every field it leaves out taken from the defaults. What the user set is
   * never replaced. The GPU request is one value: a workload that asks for GPUs in any way (count,
   * fraction or memory) keeps its request whole, so a default fraction never lands next to a
   * count the user gave; one that asks for none takes the default request whole.
   */
  public WorkloadSpec applyDefaults(WorkloadSpec spec) {
    WorkloadSpec s = spec == null ? empty() : spec;
    WorkloadSpec d = defaults;
    return new WorkloadSpec(
        or(s.image(), d.image()),
        or(s.command(), d.command()),
        or(s.args(), d.args()),
        or(s.env(), d.env()),
        asksForGpus(s.gpu()) || d.gpu() == null ? s.gpu() : d.gpu(),
        or(s.cpu(), d.cpu()),
        or(s.cpuLimit(), d.cpuLimit()),
        or(s.memory(), d.memory()),
        or(s.memoryLimit(), d.memoryLimit()),
        or(s.nodePools(), d.nodePools()),
        or(s.priorityClassName(), d.priorityClassName()),
        or(s.preemptible(), d.preemptible()),
        or(s.dataSources(), d.dataSources()),
        or(s.connections(), d.connections()),
        s.stopped());
  }

  /**
   * Every rule {@code spec} breaks, one sentence each naming the field, its value, the limit and
   * the policy; empty when the workload is allowed. Check the spec after {@link #applyDefaults}.
   * The durations are not checked here: the controller stops a workload that runs past them.
   */
  public List<String> violations(WorkloadSpec spec) {
    return fieldViolations(spec).stream().map(Violation::message).toList();
  }

  /** As {@link #violations}, each with the field it concerns, for answers that name fields. */
  public List<Violation> fieldViolations(WorkloadSpec spec) {
    return new ConstraintChecks(this).check(spec == null ? empty() : spec);
  }

  /** How long the workload may run before the controller stops it. */
  public Optional<Duration> maxRuntime() {
    return Optional.ofNullable(constraints.maxRuntime()).flatMap(Durations::parse);
  }

  /** How long a workspace may sit idle before the controller stops it. */
  public Optional<Duration> maxIdleTime() {
    return Optional.ofNullable(constraints.maxIdleTime()).flatMap(Durations::parse);
  }

  /** The policy a constraint field came from, for messages. */
  String source(String field) {
    return sources.getOrDefault(field, "?");
  }

  private static boolean asksForGpus(GpuSpec gpu) {
    return gpu != null && (gpu.count() != null || gpu.fraction() != null || gpu.memoryMiB() != null);
  }

  private static <T> T or(T given, T fallback) {
    return given != null ? given : fallback;
  }

  private static WorkloadSpec empty() {
    return new WorkloadSpec(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
  }
}
