package dev.tessera.server.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tessera.api.WellKnown;
import dev.tessera.api.policy.DepartmentResource;
import dev.tessera.api.policy.NodePoolResource;
import dev.tessera.api.policy.PodGroupResource;
import dev.tessera.api.policy.PodGroupSpec;
import dev.tessera.api.policy.ProjectResource;
import dev.tessera.api.policy.ProjectSpec;
import dev.tessera.api.workloads.DistributedTrainingResource;
import dev.tessera.api.workloads.DistributedTrainingSpec;
import dev.tessera.api.workloads.ExternalWorkloadResource;
import dev.tessera.api.workloads.InferenceResource;
import dev.tessera.api.workloads.InferenceSpec;
import dev.tessera.api.workloads.TrainingResource;
import dev.tessera.api.workloads.WorkloadPhase;
import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.api.workloads.WorkspaceResource;
import dev.tessera.extender.model.PlacementStrategy;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code deploy/05-crds.yaml} against the policy classes in {@code dev.tessera.controller.workloads},
 * and {@code deploy/06-workload-crds.yaml} against the workload classes in {@code
 * dev.tessera.api.workloads}: one CRD per class with the class's group, version, kind, plural
 * and scope, a status subresource, and an OpenAPI schema whose fields are exactly the Java records'
 * (names and types, recursively), with the defaults and enums the Java code assumes. A field added
 * on one side only fails here: the API server would prune it, or the extender would never read it.
 */
class CrdManifestsTest {
  static final String FILE = "05-crds.yaml";
  static final String WORKLOAD_FILE = "06-workload-crds.yaml";

  /** Every policy kind the extender reads. */
  static final List<Class<? extends CustomResource<?, ?>>> KINDS =
      List.of(NodePoolResource.class, DepartmentResource.class, ProjectResource.class, PodGroupResource.class);

  /** The four workload kinds the workload controller runs, and the one that tracks other controllers' workloads. */
  static final List<Class<? extends CustomResource<?, ?>>> WORKLOAD_KINDS = List.of(WorkspaceResource.class,
      TrainingResource.class, DistributedTrainingResource.class, InferenceResource.class,
      ExternalWorkloadResource.class);

  /** The kinds whose pods the workload controller creates from their spec, under the workload policies. */
  static final List<Class<? extends CustomResource<?, ?>>> MANAGED_WORKLOAD_KINDS = WORKLOAD_KINDS.stream()
      .filter(k -> k != ExternalWorkloadResource.class).toList();

  /** Each file and the kinds it defines, in apply order. */
  static final Map<String, List<Class<? extends CustomResource<?, ?>>>> FILES =
      Map.of(FILE, KINDS, WORKLOAD_FILE, WORKLOAD_KINDS);

  static final List<Class<? extends CustomResource<?, ?>>> ALL_KINDS =
      Stream.concat(KINDS.stream(), WORKLOAD_KINDS.stream()).toList();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final YAMLMapper YAML = new YAMLMapper();
  private static final List<JsonNode> raw = new ArrayList<>();
  private static final List<CustomResourceDefinition> crds = new ArrayList<>();
  /** The file each CRD came from, by CRD name. */
  private static final Map<String, String> fileOf = new TreeMap<>();

  @BeforeAll
  static void load() throws IOException {
    for (String name : new TreeSet<>(FILES.keySet())) {
      load(name);
    }
  }

  private static void load(String name) throws IOException {
    Path file = deployDir().resolve(name);
    KubernetesSerialization k8s = new KubernetesSerialization();
    try (var parser = YAML.getFactory().createParser(file.toFile())) {
      Iterator<JsonNode> it = YAML.readValues(parser, JsonNode.class);
      while (it.hasNext()) {
        JsonNode node = it.next();
        if (node == null || node.isNull() || node.isMissingNode()) {
          continue;
        }
        raw.add(node);
        Object parsed;
        try {
          parsed = k8s.unmarshal(JSON.writeValueAsString(node));
        } catch (RuntimeException e) {
          Throwable cause = e.getCause() == null ? e : e.getCause();
          fail(name + " document " + raw.size() + " is not a valid CustomResourceDefinition: " + cause.getMessage());
          return;
        }
        if (!(parsed instanceof CustomResourceDefinition crd)) {
          fail(name + " should hold CustomResourceDefinitions (apiextensions.k8s.io/v1) only, found " + node.path("kind"));
          return;
        }
        crds.add(crd);
        fileOf.put(crd.getMetadata().getName(), name);
      }
    }
  }

  @Test
  void thereIsOneCrdPerCustomResourceClassAndNoOther() {
    FILES.forEach((file, kinds) -> {
      Set<String> expected = kinds.stream().map(CustomResource::getCRDName).collect(Collectors.toCollection(TreeSet::new));
      Set<String> found = fileOf.entrySet().stream()
          .filter(e -> e.getValue().equals(file))
          .map(Map.Entry::getKey)
          .collect(Collectors.toCollection(TreeSet::new));
      assertEquals(expected, found, file);
    });
    assertEquals(ALL_KINDS.size(), crds.size(), "one document per CRD");
  }

  @Test
  void namesGroupVersionAndScopeMatchTheClasses() {
    for (Class<? extends CustomResource<?, ?>> type : ALL_KINDS) {
      CustomResourceDefinition crd = crd(type);
      String what = crd.getMetadata().getName();
      assertEquals(WellKnown.API_GROUP, HasMetadata.getGroup(type), type.getSimpleName() + " group");
      assertEquals(WellKnown.API_VERSION, HasMetadata.getVersion(type), type.getSimpleName() + " version");
      assertEquals(HasMetadata.getGroup(type), crd.getSpec().getGroup(), what + " group");
      assertEquals(HasMetadata.getKind(type), crd.getSpec().getNames().getKind(), what + " kind");
      assertEquals(HasMetadata.getKind(type) + "List", crd.getSpec().getNames().getListKind(), what + " listKind");
      assertEquals(HasMetadata.getPlural(type), crd.getSpec().getNames().getPlural(), what + " plural");
      assertEquals(HasMetadata.getSingular(type), crd.getSpec().getNames().getSingular(), what + " singular");
      assertEquals(Arrays.asList(CustomResource.getCategories(type)), crd.getSpec().getNames().getCategories(),
          what + " categories");
      assertEquals(Arrays.asList(CustomResource.getShortNames(type)), crd.getSpec().getNames().getShortNames(),
          what + " shortNames");
      assertEquals(Namespaced.class.isAssignableFrom(type) ? "Namespaced" : "Cluster", crd.getSpec().getScope(),
          what + " scope: the class " + (Namespaced.class.isAssignableFrom(type) ? "is" : "is not") + " Namespaced");
      assertTrue(crd.getMetadata().getNamespace() == null, what + " is cluster-scoped itself");

      List<CustomResourceDefinitionVersion> versions = crd.getSpec().getVersions();
      assertEquals(1, versions.size(), what + ": one version");
      CustomResourceDefinitionVersion version = versions.get(0);
      assertEquals(HasMetadata.getVersion(type), version.getName(), what + " version");
      assertTrue(version.getServed() && version.getStorage(), what + ": the version is served and stored");
      assertNotNull(version.getSubresources(), what + " needs subresources");
      assertNotNull(version.getSubresources().getStatus(),
          what + ": the status subresource, so status writes never touch the spec (and RBAC can tell them apart)");
    }
  }

  @Test
  void everyKindShowsItsAcceptedConditionInKubectlGet() {
    for (Class<? extends CustomResource<?, ?>> type : KINDS) {
      List<CustomResourceColumnDefinition> columns = version(type).getAdditionalPrinterColumns();
      assertNotNull(columns, crd(type).getMetadata().getName() + " has no printer columns");
      Map<String, String> byName = columns.stream()
          .collect(Collectors.toMap(CustomResourceColumnDefinition::getName, CustomResourceColumnDefinition::getJsonPath));
      assertEquals(".status.conditions[?(@.type==\"Accepted\")].status", byName.get("Accepted"),
          crd(type).getMetadata().getName() + " Accepted column");
      assertEquals(".metadata.creationTimestamp", byName.get("Age"), crd(type).getMetadata().getName() + " Age column");
      for (CustomResourceColumnDefinition c : columns) {
        assertTrue(Set.of("string", "integer", "number", "boolean", "date").contains(c.getType()),
            c.getName() + ": column type " + c.getType());
        assertTrue(c.getJsonPath().startsWith("."), c.getName() + ": jsonPath must start with '.'");
      }
    }
  }

  @Test
  void workloadKindsAreNamespacedAndShowPhasePodsAndGpusInKubectlGet() {
    for (Class<? extends CustomResource<?, ?>> type : WORKLOAD_KINDS) {
      String what = crd(type).getMetadata().getName();
      assertTrue(WorkloadResource.class.isAssignableFrom(type), type.getSimpleName() + " is a WorkloadResource");
      assertEquals("Namespaced", crd(type).getSpec().getScope(), what + ": a workload lives in its project's namespace");
      assertEquals(List.of("tessera", "workloads"), crd(type).getSpec().getNames().getCategories(), what + " categories");
      List<CustomResourceColumnDefinition> columns = version(type).getAdditionalPrinterColumns();
      Map<String, String> byName = columns.stream()
          .filter(c -> c.getPriority() == null || c.getPriority() == 0)
          .collect(Collectors.toMap(CustomResourceColumnDefinition::getName, CustomResourceColumnDefinition::getJsonPath));
      Map<String, String> expected = new java.util.HashMap<>(Map.of("Phase", ".status.phase", "Running",
          ".status.runningPods", "GPUs", ".status.gpusAllocated", "Age", ".metadata.creationTimestamp"));
      if (type == ExternalWorkloadResource.class) {
        expected.put("Owner", ".spec.owner.kind"); // what runs it: Job, PyTorchJob, RayCluster, ...
      }
      assertEquals(expected, byName, what + " columns shown by default");
      for (CustomResourceColumnDefinition c : columns) {
        assertTrue(Set.of("string", "integer", "number", "boolean", "date").contains(c.getType()),
            c.getName() + ": column type " + c.getType());
      }
    }
  }

  @Test
  void workloadEnumsAndMinimumsAreTheOnesTheCodeAssumes() {
    List<String> phases = Arrays.stream(WorkloadPhase.values()).map(WorkloadPhase::label).toList();
    for (Class<? extends CustomResource<?, ?>> type : WORKLOAD_KINDS) {
      JSONSchemaProps status = version(type).getSchema().getOpenAPIV3Schema().getProperties().get("status");
      assertEquals(phases, texts(status.getProperties().get("phase").getEnum()), HasMetadata.getKind(type) + " phases");
    }
    for (Class<? extends CustomResource<?, ?>> type : MANAGED_WORKLOAD_KINDS) {
      String what = HasMetadata.getKind(type);
      JSONSchemaProps spec = spec(type);
      assertTrue(spec.getRequired().contains("image"), what + " requires an image");
      JSONSchemaProps gpu = spec.getProperties().get("gpu");
      assertEquals(1.0, gpu.getProperties().get("count").getMinimum(), what + " gpu.count");
      JSONSchemaProps fraction = gpu.getProperties().get("fraction");
      assertEquals(List.of(0.0, 1.0, true, true), List.of(fraction.getMinimum(), fraction.getMaximum(),
          fraction.getExclusiveMinimum(), fraction.getExclusiveMaximum()), what + " gpu.fraction in (0, 1)");
      JSONSchemaProps connection = spec.getProperties().get("connections").getItems().getSchema();
      assertEquals(List.of("ClusterIP", "NodePort"), texts(connection.getProperties().get("exposure").getEnum()),
          what + " exposure");
    }
    JSONSchemaProps distributed = spec(DistributedTrainingResource.class);
    assertEquals(DistributedTrainingSpec.FRAMEWORKS, texts(distributed.getProperties().get("framework").getEnum()));
    assertEquals(1.0, distributed.getProperties().get("workers").getMinimum());
    assertEquals(1.0, distributed.getProperties().get("minWorkers").getMinimum());
    assertEquals(1.0, distributed.getProperties().get("maxWorkers").getMinimum());
    assertTrue(distributed.getRequired().contains("framework"));
    assertTrue(distributed.getXKubernetesValidations().stream().anyMatch(rule -> rule.getRule().equals(
        "has(self.workers) != (has(self.minWorkers) || has(self.maxWorkers))")), "workers or an elastic range");
    JSONSchemaProps inference = spec(InferenceResource.class);
    assertEquals(1.0, inference.getProperties().get("minReplicas").getMinimum());
    assertEquals(1.0, inference.getProperties().get("maxReplicas").getMinimum());
    JSONSchemaProps autoscaling = inference.getProperties().get("autoscaling");
    assertEquals(InferenceSpec.METRICS, texts(autoscaling.getProperties().get("metric").getEnum()));
    assertEquals(1.0, autoscaling.getProperties().get("target").getMinimum());
  }

  @Test
  void schemasHaveExactlyTheJavaFields() {
    List<String> problems = new ArrayList<>();
    for (Class<? extends CustomResource<?, ?>> type : ALL_KINDS) {
      JSONSchemaProps root = version(type).getSchema().getOpenAPIV3Schema();
      String where = HasMetadata.getKind(type);
      expectType(root, "object", where, problems);
      Type[] specAndStatus = specAndStatus(type);
      Map<String, JSONSchemaProps> properties = root.getProperties();
      assertEquals(Set.of("spec", "status"), properties.keySet(), where + " top-level properties");
      compare(properties.get("spec"), specAndStatus[0], where + ".spec", problems);
      compare(properties.get("status"), specAndStatus[1], where + ".status", problems);
    }
    assertTrue(problems.isEmpty(), "CRD schemas and Java classes differ:\n  " + String.join("\n  ", problems));
  }

  @Test
  void everyGpuFigureInASpecIsAtLeastZero() {
    List<String> problems = new ArrayList<>();
    for (Class<? extends CustomResource<?, ?>> type : ALL_KINDS) {
      JSONSchemaProps spec = version(type).getSchema().getOpenAPIV3Schema().getProperties().get("spec");
      numbersWithoutMinimum(spec, HasMetadata.getKind(type) + ".spec", problems);
    }
    assertTrue(problems.isEmpty(), "numbers without minimum: 0 " + problems);
  }

  @Test
  void defaultsAndEnumsAreTheOnesTheCodeAssumes() {
    JSONSchemaProps pool = spec(NodePoolResource.class);
    List<String> strategies = Arrays.stream(PlacementStrategy.values()).map(PlacementStrategy::label).toList();
    for (String field : List.of("gpuPlacement", "cpuPlacement")) {
      assertEquals(strategies, pool.getProperties().get(field).getEnum().stream().map(JsonNode::asText).toList(), field);
    }
    assertEquals("binpack", pool.getProperties().get("gpuPlacement").getDefault().asText());
    assertEquals("spread", pool.getProperties().get("cpuPlacement").getDefault().asText());
    assertEquals(List.of("nodeSelector"), pool.getRequired());
    assertEquals(1L, pool.getProperties().get("nodeSelector").getMinProperties());

    JSONSchemaProps project = spec(ProjectResource.class);
    JSONSchemaProps quota = project.getProperties().get("quotas").getItems().getSchema();
    assertEquals(ProjectSpec.DEFAULT_OVER_QUOTA_WEIGHT, quota.getProperties().get("overQuotaWeight").getDefault().asDouble());
    assertEquals(Set.of("nodePool", "deservedGpus"), Set.copyOf(quota.getRequired()));
    assertEquals(ProjectSpec.DEFAULT_PRIORITY, project.getProperties().get("defaultPriority").getDefault().asInt());
    assertTrue(project.getProperties().get("overQuotaAllowed").getDefault().asBoolean());
    // The console binds tessera-<role> for each rule: a role the schema let through that the console does
    // not know would be skipped, and a role listed twice would bind its users twice.
    JSONSchemaProps access = project.getProperties().get("access");
    JSONSchemaProps rule = access.getItems().getSchema();
    assertEquals(ProjectSpec.Access.ROLES, texts(rule.getProperties().get("role").getEnum()), "access roles");
    assertEquals(List.of("role"), rule.getRequired());
    assertEquals("map", access.getXKubernetesListType(), "one access rule per role");
    assertEquals(List.of("role"), access.getXKubernetesListMapKeys());

    JSONSchemaProps group = spec(PodGroupResource.class);
    assertEquals(PodGroupSpec.DEFAULT_TIMEOUT_SECONDS, group.getProperties().get("schedulingTimeoutSeconds").getDefault().asInt());
    assertEquals(1.0, group.getProperties().get("minMember").getMinimum());
    assertEquals(List.of("minMember"), group.getRequired());
  }

  @Test
  void everyFieldOfTheFileIsOneTheApiServerKnows() throws IOException {
    // The typed model drops what it does not know (a typo such as "minimun"): compare the file with
    // its typed reading written back out.
    KubernetesSerialization k8s = new KubernetesSerialization();
    List<String> lost = new ArrayList<>();
    for (int i = 0; i < raw.size(); i++) {
      JsonNode back = JSON.readTree(k8s.asJson(crds.get(i)));
      missing(raw.get(i), back, crds.get(i).getMetadata().getName(), lost);
    }
    assertTrue(lost.isEmpty(), "fields the API server would not understand: " + lost);
  }

  @Test
  void theCrdsAreAppliedBeforeTheExtenderStarts() throws IOException {
    try (Stream<Path> files = Files.list(deployDir())) {
      String extenderFile = files.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith("-extender.yaml"))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no *-extender.yaml in deploy/"));
      for (String file : FILES.keySet()) {
        assertTrue(file.compareTo(extenderFile) < 0,
            file + " must sort before " + extenderFile + ": the extender lists these kinds when it starts");
      }
    }
  }

  // --- helpers ---

  /**
   * The spec and status types a resource class gives {@link CustomResource}, through any generic
   * base in between ({@code PolicyResource<S, T>}, {@code WorkloadResource<S>}).
   */
  static Type[] specAndStatus(Class<?> type) {
    Map<TypeVariable<?>, Type> bound = new HashMap<>();
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      if (!(c.getGenericSuperclass() instanceof ParameterizedType p)) {
        continue;
      }
      Type[] args = p.getActualTypeArguments().clone();
      for (int i = 0; i < args.length; i++) {
        if (args[i] instanceof TypeVariable<?> v && bound.containsKey(v)) {
          args[i] = bound.get(v);
        }
      }
      if (p.getRawType() == CustomResource.class) {
        return args;
      }
      TypeVariable<?>[] params = ((Class<?>) p.getRawType()).getTypeParameters();
      for (int i = 0; i < params.length; i++) {
        bound.put(params[i], args[i]);
      }
    }
    throw new AssertionError(type + " does not extend CustomResource");
  }

  private static List<String> texts(List<JsonNode> nodes) {
    return nodes == null ? null : nodes.stream().map(JsonNode::asText).toList();
  }

  /** Compares a schema with a Java type, recursively; records are objects with their components. */
  static void compare(JSONSchemaProps schema, Type type, String where, List<String> problems) {
    if (schema == null) {
      problems.add(where + ": no schema");
      return;
    }
    if (type instanceof ParameterizedType p && p.getRawType() == List.class) {
      if (expectType(schema, "array", where, problems)) {
        JSONSchemaProps items = schema.getItems() == null ? null : schema.getItems().getSchema();
        compare(items, p.getActualTypeArguments()[0], where + "[]", problems);
      }
      return;
    }
    if (type instanceof ParameterizedType p && p.getRawType() == Map.class) {
      if (expectType(schema, "object", where, problems)) {
        JSONSchemaProps values = schema.getAdditionalProperties() == null ? null : schema.getAdditionalProperties().getSchema();
        compare(values, p.getActualTypeArguments()[1], where + "{}", problems);
      }
      return;
    }
    if (type == String.class) {
      expectType(schema, "string", where, problems);
    } else if (type == Double.class || type == double.class) {
      expectType(schema, "number", where, problems);
    } else if (type == Integer.class || type == int.class) {
      if (expectType(schema, "integer", where, problems) && !"int32".equals(schema.getFormat())) {
        problems.add(where + ": an int in Java, so format: int32");
      }
    } else if (type == Long.class || type == long.class) {
      expectType(schema, "integer", where, problems);
    } else if (type == Boolean.class || type == boolean.class) {
      expectType(schema, "boolean", where, problems);
    } else if (type instanceof Class<?> c && c.isRecord()) {
      if (!expectType(schema, "object", where, problems)) {
        return;
      }
      Map<String, JSONSchemaProps> properties = schema.getProperties() == null ? Map.of() : schema.getProperties();
      Set<String> fields = new TreeSet<>();
      for (RecordComponent component : c.getRecordComponents()) {
        fields.add(component.getName());
        compare(properties.get(component.getName()), component.getGenericType(), where + "." + component.getName(), problems);
      }
      Set<String> extra = new TreeSet<>(properties.keySet());
      extra.removeAll(fields);
      if (!extra.isEmpty()) {
        problems.add(where + ": schema has " + extra + ", which " + c.getSimpleName() + " does not");
      }
      if (schema.getRequired() != null && !fields.containsAll(schema.getRequired())) {
        problems.add(where + ": requires " + schema.getRequired() + ", not all fields of " + c.getSimpleName());
      }
    } else {
      problems.add(where + ": no rule for Java type " + type);
    }
  }

  private static boolean expectType(JSONSchemaProps schema, String type, String where, List<String> problems) {
    if (!type.equals(schema.getType())) {
      problems.add(where + ": type " + schema.getType() + ", expected " + type);
      return false;
    }
    return true;
  }

  static void numbersWithoutMinimum(JSONSchemaProps schema, String where, List<String> out) {
    if (schema == null) {
      return;
    }
    if ("number".equals(schema.getType()) && !Double.valueOf(0).equals(schema.getMinimum())) {
      out.add(where);
    }
    if (schema.getProperties() != null) {
      schema.getProperties().forEach((name, child) -> numbersWithoutMinimum(child, where + "." + name, out));
    }
    if (schema.getItems() != null) {
      numbersWithoutMinimum(schema.getItems().getSchema(), where + "[]", out);
    }
  }

  /** Paths present in {@code original} and absent from {@code back}. */
  static void missing(JsonNode original, JsonNode back, String where, List<String> out) {
    if (back == null || back.isMissingNode() || back.isNull()) {
      out.add(where);
      return;
    }
    if (original.isObject()) {
      original.fieldNames().forEachRemaining(f -> missing(original.get(f), back.get(f), where + "." + f, out));
    } else if (original.isArray()) {
      for (int i = 0; i < original.size(); i++) {
        missing(original.get(i), back.get(i), where + "[" + i + "]", out);
      }
    }
  }

  private static CustomResourceDefinition crd(Class<? extends CustomResource<?, ?>> type) {
    String name = CustomResource.getCRDName(type);
    return crds.stream()
        .filter(c -> name.equals(c.getMetadata().getName()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("deploy/ has no CRD " + name + " for " + type.getSimpleName()));
  }

  private static CustomResourceDefinitionVersion version(Class<? extends CustomResource<?, ?>> type) {
    return crd(type).getSpec().getVersions().get(0);
  }

  private static JSONSchemaProps spec(Class<? extends CustomResource<?, ?>> type) {
    return version(type).getSchema().getOpenAPIV3Schema().getProperties().get("spec");
  }

  static Path deployDir() {
    Path start = Paths.get(System.getProperty("user.dir")).toAbsolutePath().normalize();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("deploy")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
        return dir.resolve("deploy");
      }
    }
    throw new AssertionError("no directory containing deploy/ and pom.xml above " + start);
  }
}
