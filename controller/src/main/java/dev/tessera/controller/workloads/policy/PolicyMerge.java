package dev.tessera.controller.workloads.policy;

import dev.tessera.api.policy.WorkloadPolicySpec.Constraints;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Merges the policies that apply to a workload, most specific first, field by field. Remembers
 * which policy each constraint came from so that a violation can name it.
 */
final class PolicyMerge {
  private final List<NamedPolicy> layers;
  private final Map<String, String> sources = new HashMap<>();

  private PolicyMerge(List<NamedPolicy> layers) {
    this.layers = layers;
  }

  static EffectivePolicy merge(WorkloadKind kind, String project, List<NamedPolicy> layers) {
    PolicyMerge m = new PolicyMerge(layers);
    Constraints constraints = new Constraints(
        m.constraint("maxGpus", Constraints::maxGpus),
        m.constraint("maxGpuFraction", Constraints::maxGpuFraction),
        m.constraint("maxGpuMemoryMiB", Constraints::maxGpuMemoryMiB),
        m.constraint("fractionOnly", Constraints::fractionOnly),
        m.constraint("allowedImages", Constraints::allowedImages),
        m.constraint("allowedNodePools", Constraints::allowedNodePools),
        m.constraint("maxRuntime", Constraints::maxRuntime),
        m.constraint("maxIdleTime", Constraints::maxIdleTime),
        m.constraint("preemptibleRequired", Constraints::preemptibleRequired),
        m.constraint("maxCpu", Constraints::maxCpu),
        m.constraint("maxMemory", Constraints::maxMemory));
    WorkloadSpec defaults = new WorkloadSpec(
        m.fallback(WorkloadSpec::image),
        m.fallback(WorkloadSpec::command),
        m.fallback(WorkloadSpec::args),
        m.fallback(WorkloadSpec::env),
        m.fallback(WorkloadSpec::gpu),
        m.fallback(WorkloadSpec::cpu),
        m.fallback(WorkloadSpec::cpuLimit),
        m.fallback(WorkloadSpec::memory),
        m.fallback(WorkloadSpec::memoryLimit),
        m.fallback(WorkloadSpec::nodePools),
        m.fallback(WorkloadSpec::priorityClassName),
        m.fallback(WorkloadSpec::preemptible),
        m.fallback(WorkloadSpec::dataSources),
        m.fallback(WorkloadSpec::connections),
        null);
    List<String> names = layers.stream().map(NamedPolicy::name).toList();
    return new EffectivePolicy(kind, project, names, defaults, constraints, m.sources);
  }

  private <T> T constraint(String field, Function<Constraints, T> get) {
    for (NamedPolicy layer : layers) {
      Constraints c = layer.spec().constraints();
      T value = c == null ? null : get.apply(c);
      if (value != null) {
        sources.put(field, layer.name());
        return value;
      }
    }
    return null;
  }

  private <T> T fallback(Function<WorkloadSpec, T> get) {
    for (NamedPolicy layer : layers) {
      WorkloadSpec d = layer.spec().defaults();
      T value = d == null ? null : get.apply(d);
      if (value != null) {
        return value;
      }
    }
    return null;
  }
}
