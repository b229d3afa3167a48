package dev.tessera.controller.workloads.policy;

import dev.tessera.api.policy.WorkloadPolicySpec.Constraints;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.api.workloads.WorkloadSpec.GpuSpec;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks one workload against an effective policy's constraints. Each broken rule is one sentence
 * that a user can act on without reading the policy: the field, the value, the limit, and the
 * policy the rule comes from.
 */
final class ConstraintChecks {
  private final EffectivePolicy policy;
  private final Constraints c;
  private final List<Violation> out = new ArrayList<>();

  ConstraintChecks(EffectivePolicy policy) {
    this.policy = policy;
    this.c = policy.constraints();
  }

  List<Violation> check(WorkloadSpec spec) {
    gpus(spec.gpu());
    images(spec.image());
    nodePools(spec.nodePools());
    preemptible(spec.preemptible());
    quantity("maxCpu", "cpu", spec.cpu());
    quantity("maxCpu", "cpuLimit", spec.cpuLimit());
    quantity("maxMemory", "memory", spec.memory());
    quantity("maxMemory", "memoryLimit", spec.memoryLimit());
    return List.copyOf(out);
  }

  private void gpus(GpuSpec gpu) {
    if (gpu == null) {
      return;
    }
    int devices = gpu.devices() == null ? 1 : gpu.devices();
    String on = devices == 1 ? "" : " on " + devices + " devices";
    if (c.maxGpus() != null) {
      String max = "the policy maximum of " + Messages.gpus(c.maxGpus()) + " per pod";
      if (gpu.count() != null && gpu.count() > c.maxGpus()) {
        add("maxGpus", "gpu.count", "gpu.count " + gpu.count() + " exceeds " + max);
      } else if (gpu.count() == null && gpu.fraction() != null && gpu.fraction() * devices > c.maxGpus()) {
        String total = devices == 1 ? "" : " (" + Messages.gpus(gpu.fraction() * devices) + ")";
        add("maxGpus", "gpu.fraction", "gpu.fraction " + Messages.number(gpu.fraction()) + on + total + " exceeds " + max);
      } else if (gpu.count() == null && gpu.fraction() == null && gpu.memoryMiB() != null
          && devices > c.maxGpus()) {
        add("maxGpus", "gpu.memoryMiB", "gpu.memoryMiB " + gpu.memoryMiB() + on + " counts as " + Messages.gpus(devices)
            + " and exceeds " + max);
      }
    }
    if (Boolean.TRUE.equals(c.fractionOnly()) && gpu.count() != null && gpu.count() > 0) {
      add("fractionOnly", "gpu.count", "gpu.count " + gpu.count() + " asks for whole GPUs but the policy allows only"
          + " fractions of a GPU: use gpu.fraction or gpu.memoryMiB");
    }
    if (c.maxGpuFraction() != null) {
      String max = " exceeds the policy maximum of " + Messages.number(c.maxGpuFraction()) + " of a GPU";
      if (gpu.fraction() != null && gpu.fraction() > c.maxGpuFraction()) {
        add("maxGpuFraction", "gpu.fraction", "gpu.fraction " + Messages.number(gpu.fraction()) + max);
      }
      if (gpu.fractionLimit() != null && gpu.fractionLimit() > c.maxGpuFraction()) {
        add("maxGpuFraction", "gpu.fractionLimit", "gpu.fractionLimit " + Messages.number(gpu.fractionLimit()) + max);
      }
    }
    if (c.maxGpuMemoryMiB() != null) {
      String max = " MiB exceeds the policy maximum of " + c.maxGpuMemoryMiB() + " MiB of GPU memory";
      if (gpu.memoryMiB() != null && gpu.memoryMiB() > c.maxGpuMemoryMiB()) {
        add("maxGpuMemoryMiB", "gpu.memoryMiB", "gpu.memoryMiB " + gpu.memoryMiB() + max);
      }
      if (gpu.memoryLimitMiB() != null && gpu.memoryLimitMiB() > c.maxGpuMemoryMiB()) {
        add("maxGpuMemoryMiB", "gpu.memoryLimitMiB", "gpu.memoryLimitMiB " + gpu.memoryLimitMiB() + max);
      }
    }
  }

  private void images(String image) {
    List<String> allowed = c.allowedImages();
    if (allowed == null) {
      return;
    }
    String patterns = String.join(", ", allowed);
    if (image == null || image.isBlank()) {
      add("allowedImages", "image", "image is not set and the policy allows only images matching " + patterns);
    } else if (allowed.stream().noneMatch(glob -> ImageGlob.matches(glob, image))) {
      add("allowedImages", "image", "image " + image + " matches none of the allowed images " + patterns);
    }
  }

  private void nodePools(List<String> pools) {
    List<String> allowed = c.allowedNodePools();
    if (allowed == null) {
      return;
    }
    String names = String.join(", ", allowed);
    if (pools == null || pools.isEmpty()) {
      add("allowedNodePools", "nodePools", "nodePools is not set and the policy allows only the node pools " + names
          + ": name at least one");
      return;
    }
    for (String pool : pools) {
      if (!allowed.contains(pool)) {
        add("allowedNodePools", "nodePools", "node pool " + pool + " is not one of the allowed node pools " + names);
      }
    }
  }

  private void preemptible(Boolean preemptible) {
    if (!Boolean.TRUE.equals(c.preemptibleRequired())) {
      return;
    }
    if (preemptible == null && !policy.kind().preemptibleByDefault()) {
      add("preemptibleRequired", "preemptible", "preemptible is not set and a " + policy.kind().kind() + " is not"
          + " preemptible by default, but the policy requires preemptible workloads: set preemptible: true");
    } else if (Boolean.FALSE.equals(preemptible)) {
      add("preemptibleRequired", "preemptible", "preemptible is false but the policy requires preemptible workloads");
    }
  }

  private void quantity(String rule, String field, String value) {
    String limit = rule.equals("maxCpu") ? c.maxCpu() : c.maxMemory();
    Optional<BigDecimal> bound = Quantities.parse(limit); // empty only for a policy never validated
    if (bound.isEmpty() || value == null) {
      return;
    }
    String max = "the policy maximum of " + limit + " per pod";
    Optional<BigDecimal> given = Quantities.parse(value);
    if (given.isEmpty()) {
      add(rule, field, field + " " + value + " is not a Kubernetes quantity, so " + max + " cannot be checked");
    } else if (given.get().compareTo(bound.get()) > 0) {
      add(rule, field, field + " " + value + " exceeds " + max);
    }
  }

  private void add(String rule, String field, String sentence) {
    out.add(new Violation("spec." + field, sentence + " (policy " + policy.source(rule) + ")"));
  }
}
