package dev.tessera.controller.workloads.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.policy.WorkloadPolicySpec;
import dev.tessera.api.policy.WorkloadPolicySpec.Constraints;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.api.workloads.WorkloadSpec.GpuSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WorkloadPoliciesTest {
  private static final WorkloadKind TRAINING = WorkloadKind.TRAINING;

  // --- defaults ---

  @Test
  void defaultsFillWhatTheWorkloadLeavesOut() {
    WorkloadPolicies policies = WorkloadPolicies.of(List.of(policy("global").defaults(
        spec().image("nvcr.io/nvidia/pytorch:24.01").gpu(count(1)).cpu("2").nodePools("a100")
            .preemptible(true).env(Map.of("A", "1"))).obj()));

    WorkloadSpec filled = policies.effective(TRAINING, "team-a").applyDefaults(spec().cpu("4").obj());

    assertEquals(spec().image("nvcr.io/nvidia/pytorch:24.01").gpu(count(1)).cpu("4").nodePools("a100")
        .preemptible(true).env(Map.of("A", "1")).obj(), filled);
  }

  @Test
  void defaultsNeverReplaceWhatTheUserSet() {
    WorkloadPolicies policies = WorkloadPolicies.of(List.of(policy("global").defaults(
        spec().image("default:1").gpu(fraction(0.5)).nodePools("a100").preemptible(true)).obj()));
    WorkloadSpec mine = spec().image("mine:2").gpu(count(2)).nodePools("h100").preemptible(false).obj();

    assertEquals(mine, policies.effective(TRAINING, "team-a").applyDefaults(mine));
  }

  @Test
  void aGpuRequestIsTakenWholeNeverMixed() {
    WorkloadPolicies policies = WorkloadPolicies.of(List.of(policy("global").defaults(
        spec().gpu(new GpuSpec(null, 0.5, null, null, 0.8, null))).obj()));
    EffectivePolicy effective = policies.effective(TRAINING, null);

    GpuSpec mine = new GpuSpec(2, null, null, null, null, null);
    assertEquals(mine, effective.applyDefaults(spec().gpu(mine).obj()).gpu());
    assertEquals(new GpuSpec(null, 0.5, null, null, 0.8, null), effective.applyDefaults(spec().obj()).gpu());
    // an empty request asks for nothing: the default one is taken
    assertEquals(new GpuSpec(null, 0.5, null, null, 0.8, null),
        effective.applyDefaults(spec().gpu(new GpuSpec(null, null, null, null, null, null)).obj()).gpu());
  }

  @Test
  void stoppedIsNeverDefaulted() {
    WorkloadSpec filled = WorkloadPolicies.of(List.of(policy("global").defaults(spec().image("i")).obj()))
        .effective(TRAINING, "p").applyDefaults(null);
    assertEquals("i", filled.image());
    assertNull(filled.stopped());
  }

  // --- no policy ---

  @Test
  void withoutPoliciesNothingIsFilledAndEverythingIsAllowed() {
    EffectivePolicy none = WorkloadPolicies.NONE.effective(WorkloadKind.WORKSPACE, "team-a");
    WorkloadSpec big = spec().image("anything:latest").gpu(count(64)).cpu("512").memory("4Ti")
        .preemptible(false).obj();

    assertEquals(big, none.applyDefaults(big));
    assertEquals(List.of(), none.violations(big));
    assertEquals(List.of(), none.policies());
    assertEquals(Optional.empty(), none.maxRuntime());
    assertEquals(Optional.empty(), none.maxIdleTime());
    assertTrue(WorkloadPolicies.NONE.problems().isEmpty());
    assertEquals(List.of(), WorkloadPolicies.of(null).effective(TRAINING, null).violations(big));
  }

  // --- constraints, one each ---

  @Test
  void maxGpusLimitsTheCount() {
    assertEquals(List.of("gpu.count 8 exceeds the policy maximum of 4 GPUs per pod (policy limits)"),
        violations(rules().maxGpus(4), spec().gpu(count(8))));
    assertEquals(List.of(), violations(rules().maxGpus(4), spec().gpu(count(4))));
  }

  @Test
  void maxGpusCountsAFractionAsItsShareOfEachDevice() {
    assertEquals(List.of(), violations(rules().maxGpus(1), spec().gpu(fraction(0.5))));
    assertEquals(List.of("gpu.fraction 0.5 on 4 devices (2 GPUs) exceeds the policy maximum of 1 GPU per pod"
            + " (policy limits)"),
        violations(rules().maxGpus(1), spec().gpu(new GpuSpec(null, 0.5, null, 4, null, null))));
    assertEquals(List.of("gpu.fraction 0.5 exceeds the policy maximum of 0 GPUs per pod (policy limits)"),
        violations(rules().maxGpus(0), spec().gpu(fraction(0.5))));
  }

  @Test
  void maxGpusCountsAMemoryRequestAsItsDevices() {
    assertEquals(List.of("gpu.memoryMiB 8000 on 2 devices counts as 2 GPUs and exceeds the policy maximum of"
            + " 1 GPU per pod (policy limits)"),
        violations(rules().maxGpus(1), spec().gpu(new GpuSpec(null, null, 8000L, 2, null, null))));
  }

  @Test
  void maxGpuFractionLimitsTheFractionAndItsLimit() {
    assertEquals(List.of(
            "gpu.fraction 0.75 exceeds the policy maximum of 0.5 of a GPU (policy limits)",
            "gpu.fractionLimit 0.9 exceeds the policy maximum of 0.5 of a GPU (policy limits)"),
        violations(rules().maxGpuFraction(0.5), spec().gpu(new GpuSpec(null, 0.75, null, null, 0.9, null))));
  }

  @Test
  void maxGpuMemoryLimitsTheMemoryAndItsLimit() {
    assertEquals(List.of(
            "gpu.memoryMiB 40000 MiB exceeds the policy maximum of 20000 MiB of GPU memory (policy limits)",
            "gpu.memoryLimitMiB 48000 MiB exceeds the policy maximum of 20000 MiB of GPU memory (policy limits)"),
        violations(rules().maxGpuMemoryMiB(20000L),
            spec().gpu(new GpuSpec(null, null, 40000L, null, null, 48000L))));
  }

  @Test
  void fractionOnlyRejectsWholeGpus() {
    assertEquals(List.of("gpu.count 1 asks for whole GPUs but the policy allows only fractions of a GPU: use"
            + " gpu.fraction or gpu.memoryMiB (policy limits)"),
        violations(rules().fractionOnly(true), spec().gpu(count(1))));
    assertEquals(List.of(), violations(rules().fractionOnly(true), spec().gpu(fraction(0.25))));
    assertEquals(List.of(), violations(rules().fractionOnly(true), spec()));
  }

  @Test
  void allowedImagesAreGlobs() {
    Rules rules = rules().allowedImages("nvcr.io/nvidia/*", "ghcr.io/team-a/**");
    assertEquals(List.of(), violations(rules, spec().image("nvcr.io/nvidia/pytorch:24.01-py3")));
    assertEquals(List.of(), violations(rules, spec().image("ghcr.io/team-a/tools/jupyter:1")));
    assertEquals(List.of("image nvcr.io/nvidia/deep/x:1 matches none of the allowed images nvcr.io/nvidia/*,"
            + " ghcr.io/team-a/** (policy limits)"),
        violations(rules, spec().image("nvcr.io/nvidia/deep/x:1")));
    assertEquals(List.of("image docker.io/library/ubuntu:22.04 matches none of the allowed images"
            + " nvcr.io/nvidia/*, ghcr.io/team-a/** (policy limits)"),
        violations(rules, spec().image("docker.io/library/ubuntu:22.04")));
    assertEquals(List.of("image is not set and the policy allows only images matching nvcr.io/nvidia/*,"
            + " ghcr.io/team-a/** (policy limits)"),
        violations(rules, spec()));
  }

  @Test
  void allowedNodePoolsNameEachPoolOutside() {
    Rules rules = rules().allowedNodePools("a100", "default");
    assertEquals(List.of(), violations(rules, spec().nodePools("a100", "default")));
    assertEquals(List.of("node pool h100 is not one of the allowed node pools a100, default (policy limits)"),
        violations(rules, spec().nodePools("a100", "h100")));
    assertEquals(List.of("nodePools is not set and the policy allows only the node pools a100, default: name"
            + " at least one (policy limits)"),
        violations(rules, spec()));
  }

  @Test
  void preemptibleRequiredCountsTheKindsDefault() {
    Rules rules = rules().preemptibleRequired(true);
    assertEquals(List.of("preemptible is false but the policy requires preemptible workloads (policy limits)"),
        violations(rules, spec().preemptible(false)));
    assertEquals(List.of(), violations(rules, spec())); // a Training is preemptible by default
    EffectivePolicy workspace = WorkloadPolicies.of(List.of(policy("limits").constraints(rules).obj()))
        .effective(WorkloadKind.WORKSPACE, "p");
    assertEquals(List.of("preemptible is not set and a Workspace is not preemptible by default, but the policy"
            + " requires preemptible workloads: set preemptible: true (policy limits)"),
        workspace.violations(spec().obj()));
  }

  @Test
  void maxCpuLimitsRequestAndLimitByValue() {
    assertEquals(List.of(
            "cpu 4500m exceeds the policy maximum of 4 per pod (policy limits)",
            "cpuLimit 8 exceeds the policy maximum of 4 per pod (policy limits)"),
        violations(rules().maxCpu("4"), spec().cpu("4500m").cpuLimit("8")));
    assertEquals(List.of(), violations(rules().maxCpu("4"), spec().cpu("4000m")));
    assertEquals(List.of("cpu lots is not a Kubernetes quantity, so the policy maximum of 4 per pod cannot be"
            + " checked (policy limits)"),
        violations(rules().maxCpu("4"), spec().cpu("lots")));
  }

  @Test
  void maxMemoryLimitsRequestAndLimitByValue() {
    assertEquals(List.of("memory 64Gi exceeds the policy maximum of 32Gi per pod (policy limits)"),
        violations(rules().maxMemory("32Gi"), spec().memory("64Gi").memoryLimit("32768Mi")));
  }

  @Test
  void durationsAreExposedNotChecked() {
    EffectivePolicy effective = WorkloadPolicies.of(List.of(
            policy("limits").constraints(rules().maxRuntime("8h").maxIdleTime("1h30m")).obj()))
        .effective(WorkloadKind.WORKSPACE, "p");
    assertEquals(Optional.of(Duration.ofHours(8)), effective.maxRuntime());
    assertEquals(Optional.of(Duration.ofMinutes(90)), effective.maxIdleTime());
    assertEquals(List.of(), effective.violations(spec().obj()));
  }

  @Test
  void everyBrokenRuleIsListed() {
    List<String> found = violations(
        rules().maxGpus(2).allowedImages("nvcr.io/**").maxCpu("1"),
        spec().gpu(count(4)).image("ubuntu").cpu("2"));
    assertEquals(3, found.size(), found.toString());
  }

  // --- precedence ---

  @Test
  void aProjectPolicyOverridesTheGlobalOneFieldByField() {
    WorkloadPolicies policies = WorkloadPolicies.of(List.of(
        policy("global").defaults(spec().image("global:1").cpu("1"))
            .constraints(rules().maxGpus(2).allowedImages("nvcr.io/**")).obj(),
        policy("team-a").project("team-a").defaults(spec().image("team-a:1"))
            .constraints(rules().maxGpus(8)).obj()));

    EffectivePolicy teamA = policies.effective(TRAINING, "team-a");
    assertEquals(List.of("team-a", "global"), teamA.policies());
    assertEquals("team-a:1", teamA.defaults().image());
    assertEquals("1", teamA.defaults().cpu());
    assertEquals(8, teamA.constraints().maxGpus());
    assertEquals(List.of("nvcr.io/**"), teamA.constraints().allowedImages());
    assertEquals(List.of("image team-a:1 matches none of the allowed images nvcr.io/** (policy global)"),
        teamA.violations(teamA.applyDefaults(spec().gpu(count(8)).obj())));

    EffectivePolicy teamB = policies.effective(TRAINING, "team-b");
    assertEquals(List.of("global"), teamB.policies());
    assertEquals(List.of("gpu.count 8 exceeds the policy maximum of 2 GPUs per pod (policy global)"),
        teamB.violations(spec().image("nvcr.io/x").gpu(count(8)).obj()));
  }

  @Test
  void aKindPolicyOverridesTheAllKindsOneAtTheSameLevel() {
    WorkloadPolicies policies = WorkloadPolicies.of(List.of(
        policy("all").constraints(rules().maxGpus(1).maxRuntime("24h")).obj(),
        policy("training").kind("Training").constraints(rules().maxGpus(4)).obj()));

    EffectivePolicy training = policies.effective(TRAINING, "p");
    assertEquals(List.of("training", "all"), training.policies());
    assertEquals(4, training.constraints().maxGpus());
    assertEquals(Optional.of(Duration.ofHours(24)), training.maxRuntime());
    assertEquals(1, policies.effective(WorkloadKind.INFERENCE, "p").constraints().maxGpus());
  }

  @Test
  void projectAllKindsOutranksGlobalKind() {
    WorkloadPolicies policies = WorkloadPolicies.of(List.of(
        policy("g-all").constraints(rules().maxGpus(1).maxCpu("1").maxMemory("1Gi").fractionOnly(true)).obj(),
        policy("g-training").kind("Training").constraints(rules().maxGpus(2).maxCpu("2").maxMemory("2Gi")).obj(),
        policy("p-all").project("p").constraints(rules().maxGpus(3).maxCpu("3")).obj(),
        policy("p-training").project("p").kind("Training").constraints(rules().maxGpus(4)).obj()));

    EffectivePolicy effective = policies.effective(TRAINING, "p");
    assertEquals(List.of("p-training", "p-all", "g-training", "g-all"), effective.policies());
    assertEquals(new Constraints(4, null, null, true, null, null, null, null, null, "3", "2Gi"),
        effective.constraints());
    assertEquals(Map.of("maxGpus", "p-training", "maxCpu", "p-all", "maxMemory", "g-training",
        "fractionOnly", "g-all"), effective.sources());
  }

  @Test
  void anInvalidProjectPolicyFallsBackToTheGlobalOne() {
    WorkloadPolicies policies = WorkloadPolicies.of(List.of(
        policy("global").constraints(rules().maxGpus(2)).obj(),
        policy("team-a").project("team-a").constraints(rules().maxGpus(-8)).obj()));
    assertEquals(List.of("global"), policies.effective(TRAINING, "team-a").policies());
  }

  // --- invalid policies ---

  @Test
  void invalidPoliciesAreReportedWithEveryProblem() {
    WorkloadPolicies policies = WorkloadPolicies.of(List.of(
        policy("bad").kind("Notebook").project(" ")
            .defaults(spec().stopped(true))
            .constraints(rules().maxGpus(-1).maxGpuFraction(1.5).maxGpuMemoryMiB(-2L)
                .allowedImages("nvcr.io/[a-z]*", "").allowedNodePools()
                .maxRuntime("8 hours").maxIdleTime("0s").maxCpu("four").maxMemory("-1Gi"))
            .obj(),
        new NamedPolicy("nospec", null),
        policy("good").constraints(rules().maxGpus(1)).obj()));

    assertEquals(List.of(
            "workloadKind Notebook is not a workload kind: use one of Workspace, Training,"
                + " DistributedTraining, Inference, or leave it out for every kind",
            "project is empty; leave it out for a global policy",
            "defaults.stopped is not a default: leave it out",
            "constraints.maxGpus must be >= 0, was -1",
            "constraints.maxGpuFraction must be between 0 and 1, was 1.5",
            "constraints.maxGpuMemoryMiB must be >= 0, was -2",
            "constraints.allowedImages[0] \"nvcr.io/[a-z]*\" is not a supported pattern: use letters, digits,"
                + " . _ - / : @ and the wildcards *, ** and ?",
            "constraints.allowedImages[1] is empty",
            "constraints.allowedNodePools is empty, which would allow nothing; leave it out to allow"
                + " everything",
            "constraints.maxRuntime \"8 hours\" is not a duration: write e.g. 8h, 90m or 1h30m",
            "constraints.maxIdleTime must be longer than 0, was 0s",
            "constraints.maxCpu \"four\" is not a Kubernetes quantity: write e.g. 4, 500m or 32Gi",
            "constraints.maxMemory must be >= 0, was -1Gi"),
        policies.problems("bad"));
    assertEquals(List.of("spec is missing"), policies.problems("nospec"));
    assertEquals(List.of(), policies.problems("good"));
    assertEquals(List.of("good"), policies.effective(TRAINING, null).policies());
  }

  @Test
  void twoPoliciesOfOneScopeAreBothRejected() {
    WorkloadPolicies policies = WorkloadPolicies.of(List.of(
        policy("a").project("team-a").kind("Training").obj(),
        policy("b").project("team-a").kind("Training").obj(),
        policy("c").project("team-a").obj()));
    assertEquals(List.of("its scope (project team-a, kind Training) is also the scope of b; one scope has one"
        + " policy: merge them or narrow one"), policies.problems("a"));
    assertEquals(List.of("its scope (project team-a, kind Training) is also the scope of a; one scope has one"
        + " policy: merge them or narrow one"), policies.problems("b"));
    assertEquals(List.of("c"), policies.effective(TRAINING, "team-a").policies());
  }

  // --- helpers ---

  private static List<String> violations(Rules rules, SpecBuilder spec) {
    return WorkloadPolicies.of(List.of(policy("limits").constraints(rules).obj()))
        .effective(TRAINING, "p").violations(spec.obj());
  }

  private static GpuSpec count(int n) {
    return new GpuSpec(n, null, null, null, null, null);
  }

  private static GpuSpec fraction(double f) {
    return new GpuSpec(null, f, null, null, null, null);
  }

  static PolicyBuilder policy(String name) {
    return new PolicyBuilder(name);
  }

  static SpecBuilder spec() {
    return new SpecBuilder();
  }

  static Rules rules() {
    return new Rules();
  }

  /** A WorkloadPolicy, global and for every kind unless told. */
  static final class PolicyBuilder {
    private final String name;
    private String kind;
    private String project;
    private WorkloadSpec defaults;
    private Constraints constraints;

    PolicyBuilder(String name) {
      this.name = name;
    }

    PolicyBuilder kind(String kind) {
      this.kind = kind;
      return this;
    }

    PolicyBuilder project(String project) {
      this.project = project;
      return this;
    }

    PolicyBuilder defaults(SpecBuilder spec) {
      this.defaults = spec.obj();
      return this;
    }

    PolicyBuilder constraints(Rules rules) {
      this.constraints = rules.obj();
      return this;
    }

    NamedPolicy obj() {
      return new NamedPolicy(name, new WorkloadPolicySpec(kind, project, defaults, constraints));
    }
  }

  /** A WorkloadSpec with only the fields a test names. */
  static final class SpecBuilder {
    private String image;
    private Map<String, String> env;
    private GpuSpec gpu;
    private String cpu;
    private String cpuLimit;
    private String memory;
    private String memoryLimit;
    private List<String> nodePools;
    private Boolean preemptible;
    private Boolean stopped;

    SpecBuilder image(String v) {
      image = v;
      return this;
    }

    SpecBuilder env(Map<String, String> v) {
      env = v;
      return this;
    }

    SpecBuilder gpu(GpuSpec v) {
      gpu = v;
      return this;
    }

    SpecBuilder cpu(String v) {
      cpu = v;
      return this;
    }

    SpecBuilder cpuLimit(String v) {
      cpuLimit = v;
      return this;
    }

    SpecBuilder memory(String v) {
      memory = v;
      return this;
    }

    SpecBuilder memoryLimit(String v) {
      memoryLimit = v;
      return this;
    }

    SpecBuilder nodePools(String... v) {
      nodePools = List.of(v);
      return this;
    }

    SpecBuilder preemptible(boolean v) {
      preemptible = v;
      return this;
    }

    SpecBuilder stopped(boolean v) {
      stopped = v;
      return this;
    }

    WorkloadSpec obj() {
      return new WorkloadSpec(image, null, null, env, gpu, cpu, cpuLimit, memory, memoryLimit, nodePools, null,
          preemptible, null, null, stopped);
    }
  }

  /** Constraints with only the rules a test names. */
  static final class Rules {
    private Integer maxGpus;
    private Double maxGpuFraction;
    private Long maxGpuMemoryMiB;
    private Boolean fractionOnly;
    private List<String> allowedImages;
    private List<String> allowedNodePools;
    private String maxRuntime;
    private String maxIdleTime;
    private Boolean preemptibleRequired;
    private String maxCpu;
    private String maxMemory;

    Rules maxGpus(int v) {
      maxGpus = v;
      return this;
    }

    Rules maxGpuFraction(double v) {
      maxGpuFraction = v;
      return this;
    }

    Rules maxGpuMemoryMiB(Long v) {
      maxGpuMemoryMiB = v;
      return this;
    }

    Rules fractionOnly(boolean v) {
      fractionOnly = v;
      return this;
    }

    Rules allowedImages(String... v) {
      allowedImages = new ArrayList<>(List.of(v));
      return this;
    }

    Rules allowedNodePools(String... v) {
      allowedNodePools = List.of(v);
      return this;
    }

    Rules maxRuntime(String v) {
      maxRuntime = v;
      return this;
    }

    Rules maxIdleTime(String v) {
      maxIdleTime = v;
      return this;
    }

    Rules preemptibleRequired(boolean v) {
      preemptibleRequired = v;
      return this;
    }

    Rules maxCpu(String v) {
      maxCpu = v;
      return this;
    }

    Rules maxMemory(String v) {
      maxMemory = v;
      return this;
    }

    Constraints obj() {
      return new Constraints(maxGpus, maxGpuFraction, maxGpuMemoryMiB, fractionOnly, allowedImages,
          allowedNodePools, maxRuntime, maxIdleTime, preemptibleRequired, maxCpu, maxMemory);
    }
  }
}
