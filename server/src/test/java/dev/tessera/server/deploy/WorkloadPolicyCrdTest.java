package dev.tessera.server.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tessera.api.conditions.ConditionsStatus;
import dev.tessera.api.policy.WorkloadPolicyResource;
import dev.tessera.api.policy.WorkloadPolicySpec;
import dev.tessera.api.workloads.WorkloadKind;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code deploy/07-workload-policy-crd.yaml} against {@link WorkloadPolicyResource}, with the
 * same rules {@link CrdManifestsTest} applies to the kinds in {@code 05-crds.yaml}: names, scope,
 * status subresource, printer columns, and a schema with exactly the Java fields.
 */
class WorkloadPolicyCrdTest {
  static final String FILE = "07-workload-policy-crd.yaml";
  private static final Class<WorkloadPolicyResource> TYPE = WorkloadPolicyResource.class;

  private static JsonNode raw;
  private static CustomResourceDefinition crd;

  @BeforeAll
  static void load() throws IOException {
    raw = new YAMLMapper().readTree(CrdManifestsTest.deployDir().resolve(FILE).toFile());
    crd = (CustomResourceDefinition) new KubernetesSerialization().unmarshal(new ObjectMapper().writeValueAsString(raw));
  }

  @Test
  void namesGroupVersionAndScopeMatchTheClass() {
    assertEquals(CustomResource.getCRDName(TYPE), crd.getMetadata().getName());
    assertEquals(HasMetadata.getGroup(TYPE), crd.getSpec().getGroup());
    assertEquals(HasMetadata.getKind(TYPE), crd.getSpec().getNames().getKind());
    assertEquals(HasMetadata.getKind(TYPE) + "List", crd.getSpec().getNames().getListKind());
    assertEquals(HasMetadata.getPlural(TYPE), crd.getSpec().getNames().getPlural());
    assertEquals(HasMetadata.getSingular(TYPE), crd.getSpec().getNames().getSingular());
    assertEquals(Arrays.asList(CustomResource.getCategories(TYPE)), crd.getSpec().getNames().getCategories());
    assertEquals("Cluster", crd.getSpec().getScope());
    assertTrue(!Namespaced.class.isAssignableFrom(TYPE));
    assertEquals(1, crd.getSpec().getVersions().size());
    assertEquals(HasMetadata.getVersion(TYPE), version().getName());
    assertTrue(version().getServed() && version().getStorage());
    assertNotNull(version().getSubresources().getStatus(), "status subresource");
  }

  @Test
  void kubectlGetShowsKindProjectAndAccepted() {
    Map<String, String> columns = version().getAdditionalPrinterColumns().stream()
        .collect(Collectors.toMap(CustomResourceColumnDefinition::getName, CustomResourceColumnDefinition::getJsonPath));
    assertEquals(".spec.workloadKind", columns.get("Kind"));
    assertEquals(".spec.project", columns.get("Project"));
    assertEquals(".status.conditions[?(@.type==\"Accepted\")].status", columns.get("Accepted"));
    assertEquals(".metadata.creationTimestamp", columns.get("Age"));
  }

  @Test
  void theSchemaHasExactlyTheJavaFields() throws IOException {
    List<String> problems = new ArrayList<>();
    Map<String, JSONSchemaProps> properties = version().getSchema().getOpenAPIV3Schema().getProperties();
    assertEquals(java.util.Set.of("spec", "status"), properties.keySet());
    CrdManifestsTest.compare(properties.get("spec"), WorkloadPolicySpec.class, "WorkloadPolicy.spec", problems);
    CrdManifestsTest.compare(properties.get("status"), ConditionsStatus.class, "WorkloadPolicy.status", problems);
    CrdManifestsTest.numbersWithoutMinimum(properties.get("spec"), "WorkloadPolicy.spec", problems);
    CrdManifestsTest.missing(raw, new ObjectMapper().readTree(new KubernetesSerialization().asJson(crd)), FILE,
        problems);
    assertTrue(problems.isEmpty(), "CRD schema and Java classes differ:\n  " + String.join("\n  ", problems));
  }

  @Test
  void theKindEnumIsTheWorkloadKindsTesseraRuns() {
    JSONSchemaProps kind = version().getSchema().getOpenAPIV3Schema().getProperties().get("spec").getProperties()
        .get("workloadKind");
    // Not ExternalWorkload: another controller runs those, and policies do not govern them.
    assertEquals(Arrays.stream(WorkloadKind.values()).filter(WorkloadKind::managedByTessera).map(WorkloadKind::kind)
        .toList(), kind.getEnum().stream().map(JsonNode::asText).toList());
  }

  private static CustomResourceDefinitionVersion version() {
    return crd.getSpec().getVersions().get(0);
  }
}
