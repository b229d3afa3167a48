package dev.tessera.extender.policy;

import static dev.tessera.extender.policy.Policies.cap;
import static dev.tessera.extender.policy.Policies.department;
import static dev.tessera.extender.policy.Policies.placedPool;
import static dev.tessera.extender.policy.Policies.podGroup;
import static dev.tessera.extender.policy.Policies.pool;
import static dev.tessera.extender.policy.Policies.project;
import static dev.tessera.extender.policy.Policies.quota;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.WellKnown;
import dev.tessera.api.conditions.Condition;
import dev.tessera.api.policy.DepartmentResource;
import dev.tessera.api.policy.NodePoolResource;
import dev.tessera.api.policy.PodGroupResource;
import dev.tessera.api.policy.PodGroupSpec;
import dev.tessera.api.policy.PolicyRef;
import dev.tessera.api.policy.ProjectResource;
import dev.tessera.extender.model.Department;
import dev.tessera.extender.model.NodePool;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.model.PodGroup;
import dev.tessera.extender.model.PoolQuota;
import dev.tessera.extender.model.Project;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicyValidationTest {

  // --- a good set ---

  @Test
  void aConsistentSetIsAcceptedWhole() {
    Input in = new Input()
        .add(pool("a100", "nvidia.com/gpu.product", "A100"))
        .add(placedPool("h100", "spread", "binpack", "nvidia.com/gpu.product", "H100"))
        .add(department("research", cap("a100", 8.0), cap("default", 2.0)))
        .add(project("ml").namespaces("ml", "ml-dev").department("research").priority(2)
            .quota(quota("a100", 4.0, 2.0, 6.0)).quota(quota("default", 1.0)).obj())
        .add(project("nlp").namespaces("nlp").overQuotaAllowed(false)
            .quota(quota("h100", 0.5, 0.0, null)).obj())
        .add(podGroup("ml", "train", 4, "ml", null))
        .add(podGroup("nlp", "solo", 1, null, 60))
        .node("n-a100", Map.of("nvidia.com/gpu.product", "A100"))
        .node("n-h100", Map.of("nvidia.com/gpu.product", "H100"))
        .node("n-cpu", Map.of());

    PolicyCatalog catalog = in.validate();

    assertTrue(catalog.verdicts().values().stream().allMatch(v -> v.accepted() && v.warnings().isEmpty()),
        catalog.verdicts().toString());
    assertEquals(7, catalog.verdicts().size());
    assertEquals(List.of(
            new NodePool("a100", Map.of("nvidia.com/gpu.product", "A100"), PlacementStrategy.BINPACK, PlacementStrategy.SPREAD),
            new NodePool("h100", Map.of("nvidia.com/gpu.product", "H100"), PlacementStrategy.SPREAD, PlacementStrategy.BINPACK)),
        catalog.pools());
    assertEquals(
        new Project("ml", List.of("ml", "ml-dev"), "research",
            Map.of("a100", new PoolQuota(4, 2, 6), "default", new PoolQuota(1, 1, PoolQuota.UNLIMITED)), 2, true),
        catalog.projects().get("ml"));
    assertEquals(
        new Project("nlp", List.of("nlp"), null, Map.of("h100", new PoolQuota(0.5, 0, PoolQuota.UNLIMITED)), 0, false),
        catalog.projects().get("nlp"));
    assertEquals(new Department("research", Map.of("a100", 8.0, "default", 2.0)), catalog.departments().get("research"));
    assertEquals(Map.of("ml", "ml", "ml-dev", "ml", "nlp", "nlp"), catalog.projectByNamespace());
    assertEquals("ml", catalog.projectOfNamespace("ml-dev").orElseThrow().name());
    assertTrue(catalog.projectOfNamespace("kube-system").isEmpty());
    assertEquals(new PodGroup("ml", "train", 4, "ml", null, PodGroup.DEFAULT_TIMEOUT), catalog.podGroup("ml", "train").orElseThrow());
    assertEquals(Duration.ofSeconds(60), catalog.podGroup("nlp", "solo").orElseThrow().schedulingTimeout());
    assertTrue(catalog.podGroup("ml", "other").isEmpty());
    assertEquals("a100", catalog.poolOf(Map.of("nvidia.com/gpu.product", "A100", "zone", "a")));
    assertEquals("h100", catalog.poolOf(Map.of("nvidia.com/gpu.product", "H100")));
    assertEquals(WellKnown.DEFAULT_POOL, catalog.poolOf(Map.of("nvidia.com/gpu.product", "T4")));
    assertEquals(WellKnown.DEFAULT_POOL, catalog.poolOf(null));

    Condition accepted = catalog.verdict(PolicyRef.project("ml")).condition(3L);
    assertEquals(new Condition("Accepted", "True", "Valid", "accepted", 3L, null), accepted);
  }

  @Test
  void absentFieldsTakeTheirDefaults() {
    PolicyCatalog catalog = new Input()
        .add(pool("a100", "gpu", "a100"))
        .add(project("ml").quota(quota("a100", 2.0)).obj())
        .add(podGroup("ml", "g", 2, null, null))
        .validate();
    NodePool pool = catalog.pool("a100").orElseThrow();
    assertEquals(PlacementStrategy.BINPACK, pool.gpuStrategy());
    assertEquals(PlacementStrategy.SPREAD, pool.cpuStrategy());
    Project ml = catalog.projects().get("ml");
    assertEquals(new PoolQuota(2, 1, PoolQuota.UNLIMITED), ml.quota("a100"));
    assertEquals(0, ml.defaultPriority());
    assertTrue(ml.overQuotaAllowed());
    assertEquals(List.of(), ml.namespaces());
    assertEquals(Duration.ofSeconds(PodGroupSpec.DEFAULT_TIMEOUT_SECONDS), PodGroup.DEFAULT_TIMEOUT);
    assertEquals(PodGroup.DEFAULT_TIMEOUT, catalog.podGroup("ml", "g").orElseThrow().schedulingTimeout());
  }

  @Test
  void theEmptyCatalogPutsEveryNodeInTheDefaultPool() {
    assertEquals(WellKnown.DEFAULT_POOL, PolicyCatalog.EMPTY.poolOf(Map.of("gpu", "a100")));
    assertTrue(PolicyCatalog.EMPTY.projectOfNamespace("ml").isEmpty());
    assertEquals(PolicyCatalog.EMPTY, new Input().validate());
  }

  // --- project quotas ---

  @Test
  void negativeQuotasAndWeightsAreRejected() {
    PolicyCatalog catalog = new Input()
        .add(project("neg-deserved").quota(quota("default", -1.0)).obj())
        .add(project("neg-weight").quota(quota("default", 1.0, -0.5, null)).obj())
        .add(project("neg-limit").quota(quota("default", 0.0, 1.0, -2.0)).obj())
        .validate();
    assertRejected(catalog, PolicyRef.project("neg-deserved"), "quota for node pool default: deservedGpus must be >= 0, was -1");
    assertRejected(catalog, PolicyRef.project("neg-weight"), "overQuotaWeight must be >= 0, was -0.5");
    assertRejected(catalog, PolicyRef.project("neg-limit"), "limitGpus must be >= 0, was -2");
    assertTrue(catalog.projects().isEmpty());
  }

  @Test
  void nanAndMissingFiguresAreRejected() {
    PolicyCatalog catalog = new Input()
        .add(project("nan-deserved").quota(quota("default", Double.NaN)).obj())
        .add(project("nan-weight").quota(quota("default", 1.0, Double.NaN, null)).obj())
        .add(project("nan-limit").quota(quota("default", 1.0, 1.0, Double.NaN)).obj())
        .add(project("inf-deserved").quota(quota("default", Double.POSITIVE_INFINITY)).obj())
        .add(project("no-deserved").quota(quota("default", null)).obj())
        .validate();
    assertRejected(catalog, PolicyRef.project("nan-deserved"), "deservedGpus must be a finite number, was NaN");
    assertRejected(catalog, PolicyRef.project("nan-weight"), "overQuotaWeight must be a finite number, was NaN");
    assertRejected(catalog, PolicyRef.project("nan-limit"), "limitGpus must be a finite number, was NaN");
    assertRejected(catalog, PolicyRef.project("inf-deserved"), "deservedGpus must be a finite number, was Infinity");
    assertRejected(catalog, PolicyRef.project("no-deserved"), "deservedGpus is required");
  }

  @Test
  void aLimitBelowDeservedIsRejected() {
    PolicyCatalog catalog = new Input()
        .add(project("ml").quota(quota("default", 4.0, 1.0, 2.0)).obj())
        .add(project("equal").quota(quota("default", 4.0, 1.0, 4.0)).obj())
        .validate();
    assertRejected(catalog, PolicyRef.project("ml"), "limitGpus (2) is below deservedGpus (4)");
    assertTrue(catalog.projects().containsKey("equal"));
  }

  @Test
  void aZeroWeightNeedsOverQuotaOff() {
    PolicyCatalog catalog = new Input()
        .add(project("zero").quota(quota("default", 1.0, 0.0, null)).obj())
        .add(project("zero-off").overQuotaAllowed(false).quota(quota("default", 1.0, 0.0, null)).obj())
        .validate();
    assertRejected(catalog, PolicyRef.project("zero"),
        "overQuotaWeight is 0 but overQuotaAllowed is true: the project could never use idle GPUs; set a weight > 0"
            + " or overQuotaAllowed: false");
    assertEquals(0, catalog.projects().get("zero-off").quota("default").overQuotaWeight());
  }

  @Test
  void aQuotaInAnUnknownPoolIsRejectedAndDefaultIsKnown() {
    PolicyCatalog catalog = new Input()
        .add(pool("a100", "gpu", "a100"))
        .add(project("ml").quota(quota("a100", 1.0)).quota(quota("default", 1.0)).quota(quota("v100", 1.0)).obj())
        .add(project("ok").quota(quota("default", 1.0)).obj())
        .validate();
    assertRejected(catalog, PolicyRef.project("ml"),
        "quotas: node pool v100 does not exist (there are: a100, default)");
    assertEquals(1, catalog.verdict(PolicyRef.project("ml")).problems().size());
    assertTrue(catalog.projects().containsKey("ok"));
  }

  @Test
  void aPoolListedTwiceIsRejected() {
    PolicyCatalog catalog = new Input()
        .add(project("ml").quota(quota("default", 1.0)).quota(quota("default", 2.0)).obj())
        .add(department("research", cap("default", 1.0), cap("default", 3.0)))
        .validate();
    assertRejected(catalog, PolicyRef.project("ml"), "node pool default is listed more than once in quotas");
    assertRejected(catalog, PolicyRef.department("research"), "node pool default is listed more than once in quotas");
  }

  @Test
  void anUnknownDepartmentIsRejected() {
    PolicyCatalog catalog = new Input()
        .add(department("research"))
        .add(project("ml").department("reserch").obj())
        .validate();
    assertRejected(catalog, PolicyRef.project("ml"),
        "department reserch does not exist (there are: research)");
  }

  @Test
  void aNamespaceInTwoProjectsRejectsBothNamingEachOther() {
    PolicyCatalog catalog = new Input()
        .add(project("ml").namespaces("shared", "ml").obj())
        .add(project("nlp").namespaces("nlp", "shared").obj())
        .add(project("cv").namespaces("cv").obj())
        .validate();
    assertRejected(catalog, PolicyRef.project("ml"), "namespace shared is also claimed by project nlp");
    assertRejected(catalog, PolicyRef.project("nlp"), "namespace shared is also claimed by project ml");
    assertEquals(Map.of("cv", "cv"), catalog.projectByNamespace(), "rejected projects own no namespace");
  }

  @Test
  void aProjectOnARejectedPoolIsRejectedToo() {
    PolicyCatalog catalog = new Input()
        .add(pool("broken"))
        .add(project("ml").quota(quota("broken", 1.0)).obj())
        .add(podGroup("ml", "train", 2, "ml", null))
        .validate();
    assertRejected(catalog, PolicyRef.nodePool("broken"), "nodeSelector is empty");
    assertRejected(catalog, PolicyRef.project("ml"),
        "quotas: node pool broken is rejected; fix it first");
    assertRejected(catalog, PolicyRef.podGroup("ml", "train"), "project ml is rejected");
    assertTrue(catalog.pools().isEmpty() && catalog.projects().isEmpty() && catalog.podGroups().isEmpty());
  }

  @Test
  void aPodGroupMayOnlyNameTheProjectOfItsNamespace() {
    PolicyCatalog catalog = new Input()
        .add(project("ml").namespaces("ml").obj())
        .add(project("nlp").namespaces("nlp").obj())
        .add(podGroup("ml", "borrowed", 2, "nlp", null))
        .add(podGroup("ml", "own", 2, "ml", null))
        .validate();
    assertRejected(catalog, PolicyRef.podGroup("ml", "borrowed"),
        "project nlp does not own namespace ml (project ml does)");
    assertTrue(catalog.podGroup("ml", "own").isPresent());
  }

  // --- departments ---

  @Test
  void aDepartmentWhoseProjectsDeserveMoreThanItsQuotaIsAcceptedWithAWarning() {
    PolicyCatalog catalog = new Input()
        .add(department("research", cap("default", 4.0)))
        .add(project("ml").department("research").quota(quota("default", 3.0)).obj())
        .add(project("nlp").department("research").quota(quota("default", 2.5)).obj())
        .add(project("elsewhere").quota(quota("default", 100.0)).obj())
        .validate();
    Verdict verdict = catalog.verdict(PolicyRef.department("research"));
    assertTrue(verdict.accepted());
    assertEquals(1, verdict.warnings().size(), verdict.toString());
    assertTrue(verdict.warnings().get(0).contains("in node pool default its projects deserve 5.5 GPUs together, more than"
        + " its quota of 4"), verdict.warnings().get(0));
    Condition condition = verdict.condition(1L);
    assertEquals("True", condition.status());
    assertEquals(Verdict.REASON_VALID_WITH_WARNINGS, condition.reason());
    assertTrue(condition.message().startsWith("accepted with warnings: in node pool default"), condition.message());
    assertTrue(catalog.departments().containsKey("research"));
  }

  @Test
  void departmentQuotasMustBeNumbersInKnownPools() {
    PolicyCatalog catalog = new Input()
        .add(department("neg", cap("default", -1.0)))
        .add(department("nan", cap("default", Double.NaN)))
        .add(department("missing", cap("default", null)))
        .add(department("unknown", cap("a100", 1.0)))
        .validate();
    assertRejected(catalog, PolicyRef.department("neg"), "gpus must be >= 0, was -1");
    assertRejected(catalog, PolicyRef.department("nan"), "gpus must be a finite number, was NaN");
    assertRejected(catalog, PolicyRef.department("missing"), "gpus is required");
    assertRejected(catalog, PolicyRef.department("unknown"), "quotas: node pool a100 does not exist");
    assertTrue(catalog.departments().isEmpty());
  }

  // --- node pools ---

  @Test
  void aPoolNeedsASelectorAndAKnownPlacement() {
    PolicyCatalog catalog = new Input()
        .add(pool("empty"))
        .add(placedPool("sideways", "sideways", null, "gpu", "a100"))
        .add(placedPool("cpu-odd", null, "diagonal", "gpu", "h100"))
        .add(placedPool("upper", "SPREAD", "Binpack", "gpu", "t4"))
        .add(pool(WellKnown.DEFAULT_POOL, "gpu", "v100"))
        .validate();
    assertRejected(catalog, PolicyRef.nodePool("empty"), "nodeSelector is empty");
    assertRejected(catalog, PolicyRef.nodePool("sideways"), "gpuPlacement 'sideways' is not binpack or spread");
    assertRejected(catalog, PolicyRef.nodePool("cpu-odd"), "cpuPlacement 'diagonal' is not binpack or spread");
    assertRejected(catalog, PolicyRef.nodePool("default"), "the name 'default' is reserved");
    assertEquals(List.of("upper"), catalog.pools().stream().map(NodePool::name).toList());
    assertEquals(PlacementStrategy.SPREAD, catalog.pools().get(0).gpuStrategy());
  }

  @Test
  void overlappingSelectorsRejectBothPoolsNamingEachOther() {
    PolicyCatalog catalog = new Input()
        .add(pool("a100", "gpu", "a100"))
        .add(pool("team-x", "team", "x"))
        .add(pool("h100", "gpu", "h100"))
        .validate();
    assertRejected(catalog, PolicyRef.nodePool("a100"), "nodeSelector {gpu=a100} overlaps node pool team-x's {team=x}");
    assertRejected(catalog, PolicyRef.nodePool("team-x"), "nodeSelector {team=x} overlaps node pool a100's {gpu=a100}");
    assertRejected(catalog, PolicyRef.nodePool("team-x"), "overlaps node pool h100's");
    assertRejected(catalog, PolicyRef.nodePool("h100"), "overlaps node pool team-x's");
    assertFalse(catalog.verdict(PolicyRef.nodePool("a100")).problems().toString().contains("h100"),
        "a100 and h100 ask for different values of gpu: no overlap");
    assertTrue(catalog.pools().isEmpty());
  }

  @Test
  void aNodeBothPoolsSelectIsNamed() {
    PolicyCatalog catalog = new Input()
        .add(pool("a100", "gpu", "a100"))
        .add(pool("team-x", "team", "x"))
        .node("n1", Map.of("gpu", "a100", "team", "x"))
        .node("n2", Map.of("gpu", "a100", "team", "y"))
        .validate();
    assertRejected(catalog, PolicyRef.nodePool("a100"), "node n1 matches both this pool and node pool team-x");
    assertRejected(catalog, PolicyRef.nodePool("team-x"), "node n1 matches both this pool and node pool a100");
    assertFalse(catalog.verdict(PolicyRef.nodePool("a100")).problems().toString().contains("n2"));
  }

  @Test
  void manyNodesInTwoPoolsAreCountedNotAllNamed() {
    Input in = new Input().add(pool("a", "gpu", "a100")).add(pool("b", "zone", "eu"));
    for (int i = 0; i < 10; i++) {
      in.node("n" + i, Map.of("gpu", "a100", "zone", "eu"));
    }
    assertRejected(in.validate(), PolicyRef.nodePool("a"), "nodes n0, n1, n2 and 7 more match both this pool and node pool b");
  }

  @Test
  void disjointPoolsSplitTheNodes() {
    PolicyCatalog catalog = new Input()
        .add(pool("a100", "gpu", "a100", "zone", "eu"))
        .add(pool("a100-us", "gpu", "a100", "zone", "us"))
        .node("n1", Map.of("gpu", "a100", "zone", "eu"))
        .node("n2", Map.of("gpu", "a100", "zone", "us"))
        .validate();
    assertEquals(2, catalog.pools().size(), catalog.verdicts().toString());
    assertEquals("a100-us", catalog.poolOf(Map.of("gpu", "a100", "zone", "us")));
  }

  // --- pod groups ---

  @Test
  void podGroupsNeedMembersAPositiveTimeoutAndAKnownProject() {
    PolicyCatalog catalog = new Input()
        .add(project("ml").namespaces("ml").obj())
        .add(podGroup("ml", "zero", 0, null, null))
        .add(podGroup("ml", "none", null, null, null))
        .add(podGroup("ml", "no-time", 2, null, 0))
        .add(podGroup("ml", "negative-time", 2, null, -5))
        .add(podGroup("ml", "typo", 2, "m1", null))
        .add(podGroup("ml", "good", 2, "ml", 10))
        .validate();
    assertRejected(catalog, PolicyRef.podGroup("ml", "zero"), "minMember must be at least 1, was 0");
    assertRejected(catalog, PolicyRef.podGroup("ml", "none"), "minMember is required");
    assertRejected(catalog, PolicyRef.podGroup("ml", "no-time"), "schedulingTimeoutSeconds must be positive, was 0");
    assertRejected(catalog, PolicyRef.podGroup("ml", "negative-time"), "schedulingTimeoutSeconds must be positive, was -5");
    assertRejected(catalog, PolicyRef.podGroup("ml", "typo"), "project m1 does not exist (there are: ml)");
    assertEquals(List.of("ml/good"), List.copyOf(catalog.podGroups().keySet()));
  }

  // --- verdicts ---

  @Test
  void aRejectionCollectsEveryReasonIntoItsCondition() {
    PolicyCatalog catalog = new Input()
        .add(project("bad").department("nowhere").quota(quota("default", -1.0)).quota(quota("x", 1.0)).obj())
        .validate();
    Verdict verdict = catalog.verdict(PolicyRef.project("bad"));
    assertEquals(3, verdict.problems().size(), verdict.problems().toString());
    Condition condition = verdict.condition(7L);
    assertEquals("False", condition.status());
    assertEquals("Invalid", condition.reason());
    assertEquals(7L, condition.observedGeneration());
    assertTrue(condition.message().startsWith("rejected: "), condition.message());
    for (String problem : verdict.problems()) {
      assertTrue(condition.message().contains(problem), condition.message());
    }
  }

  @Test
  void aThousandObjectsAllValidate() {
    Input in = new Input();
    for (int p = 0; p < 20; p++) {
      in.add(pool("pool-" + p, "pool", "p" + p));
    }
    for (int d = 0; d < 20; d++) {
      in.add(department("dept-" + d, cap("pool-" + d, 100.0)));
    }
    for (int i = 0; i < 500; i++) {
      in.add(project("project-" + i).namespaces("ns-" + i).department("dept-" + (i % 20))
          .quota(quota("pool-" + (i % 20), 1.0)).quota(quota("default", 0.5)).obj());
      in.add(podGroup("ns-" + i, "gang", 4, "project-" + i, null));
    }
    for (int n = 0; n < 2000; n++) {
      in.node("node-" + n, Map.of("pool", "p" + (n % 25), "kubernetes.io/hostname", "node-" + n));
    }
    PolicyCatalog catalog = in.validate();
    assertEquals(500, catalog.projects().size(), catalog.verdicts().values().stream().filter(v -> !v.accepted()).findFirst()
        .map(Verdict::toString).orElse(""));
    assertEquals(500, catalog.podGroups().size());
  }

  // --- helpers ---

  private static void assertRejected(PolicyCatalog catalog, PolicyRef ref, String reasonPart) {
    Verdict verdict = catalog.verdict(ref);
    assertNotNull(verdict, ref + " has no verdict");
    assertFalse(verdict.accepted(), ref + " was accepted");
    assertTrue(verdict.problems().stream().anyMatch(p -> p.contains(reasonPart)),
        ref + ": no reason containing \"" + reasonPart + "\" in " + verdict.problems());
    switch (ref.kind()) {
      case NODE_POOL -> assertTrue(catalog.pool(ref.name()).isEmpty(), ref + " is in the catalog");
      case DEPARTMENT -> assertFalse(catalog.departments().containsKey(ref.name()), ref + " is in the catalog");
      case PROJECT -> assertFalse(catalog.projects().containsKey(ref.name()), ref + " is in the catalog");
      case POD_GROUP -> assertTrue(catalog.podGroup(ref.namespace(), ref.name()).isEmpty(), ref + " is in the catalog");
    }
  }

  /** The objects of one validation. */
  private static final class Input {
    final List<NodePoolResource> pools = new ArrayList<>();
    final List<DepartmentResource> departments = new ArrayList<>();
    final List<ProjectResource> projects = new ArrayList<>();
    final List<PodGroupResource> podGroups = new ArrayList<>();
    final Map<String, Map<String, String>> nodes = new HashMap<>();

    Input add(NodePoolResource r) {
      pools.add(r);
      return this;
    }

    Input add(DepartmentResource r) {
      departments.add(r);
      return this;
    }

    Input add(ProjectResource r) {
      projects.add(r);
      return this;
    }

    Input add(PodGroupResource r) {
      podGroups.add(r);
      return this;
    }

    Input node(String name, Map<String, String> labels) {
      nodes.put(name, labels);
      return this;
    }

    PolicyCatalog validate() {
      return PolicyValidation.validate(pools, departments, projects, podGroups, nodes);
    }
  }
}
