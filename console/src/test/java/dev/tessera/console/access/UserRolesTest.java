package dev.tessera.console.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tessera.api.policy.ProjectSpec;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The Java table of the user roles against deploy/76-user-roles.yaml: one cannot change alone. */
class UserRolesTest {
  private static final String FILE = "76-user-roles.yaml";

  @Test
  void theTableGrantsExactlyWhatTheClusterRolesOfTheFileGrant() throws IOException {
    Map<String, Set<String>> file = new TreeMap<>();
    for (ClusterRole role : clusterRolesOf(deployDir().resolve(FILE))) {
      file.put(role.getMetadata().getName(), grants(role.getRules()));
    }
    Map<String, Set<String>> table = new TreeMap<>();
    for (String name : UserRoles.names()) {
      table.put(name, grants(UserRoles.rules(name).stream().map(UserRolesTest::policyRule).toList()));
    }
    assertEquals(file.keySet(), table.keySet(), "the roles " + FILE + " defines");
    file.forEach((role, grants) -> {
      Set<String> extra = new TreeSet<>(table.get(role));
      extra.removeAll(grants);
      Set<String> missing = new TreeSet<>(grants);
      missing.removeAll(table.get(role));
      assertTrue(extra.isEmpty() && missing.isEmpty(), role + ": UserRoles grants " + extra
          + " beyond the file, and not " + missing + " that the file grants");
    });
  }

  @Test
  void eachRoleHoldsTheRightsOfTheOneBelow() {
    List<String> ladder = List.of(UserRoles.VIEWER, UserRoles.RESEARCHER, UserRoles.PROJECT_ADMIN);
    for (int i = 1; i < ladder.size(); i++) {
      Set<String> below = grants(UserRoles.rules(ladder.get(i - 1)).stream().map(UserRolesTest::policyRule).toList());
      Set<String> above = grants(UserRoles.rules(ladder.get(i)).stream().map(UserRolesTest::policyRule).toList());
      assertTrue(above.containsAll(below) && !below.containsAll(above), ladder.get(i) + " over " + ladder.get(i - 1));
    }
  }

  @Test
  void everyProjectAccessRoleBindsOneOfTheRoles() {
    for (String role : ProjectSpec.Access.ROLES) {
      Optional<String> clusterRole = UserRoles.forProjectRole(role);
      assertTrue(clusterRole.isPresent() && UserRoles.names().contains(clusterRole.get()), role);
    }
    assertEquals(Optional.of(UserRoles.PROJECT_ADMIN), UserRoles.forProjectRole("project-admin"));
    assertEquals(Optional.empty(), UserRoles.forProjectRole("cluster-admin"), "never granted per project");
    assertEquals(Optional.empty(), UserRoles.forProjectRole(null));
  }

  @Test
  void aRuleAllowsItsVerbsOnItsResourcesOnly() {
    assertTrue(UserRoles.allows(UserRoles.VIEWER, Permission.podLogs("team-a")));
    assertTrue(UserRoles.allows(UserRoles.VIEWER, Permission.tessera("watch", "inferences", "team-a")));
    assertFalse(UserRoles.allows(UserRoles.VIEWER, Permission.tessera("patch", "trainings", "team-a")));
    assertFalse(UserRoles.allows(UserRoles.VIEWER, new Permission("get", "", "pods", "exec", "team-a")),
        "a subresource is its own resource");
    assertFalse(UserRoles.allows(UserRoles.VIEWER, new Permission("get", "tessera.dev", "pods", null, "team-a")),
        "the group counts");
    assertTrue(UserRoles.allows(UserRoles.RESEARCHER, Permission.tessera("patch", "trainings", "team-a")));
    assertFalse(UserRoles.allows(UserRoles.RESEARCHER, Permission.tessera("patch", "projects", "team-a")));
    assertTrue(UserRoles.allows(UserRoles.CLUSTER_ADMIN, Permission.tessera("deletecollection", "nodepools", "")));
    // Other controllers' workloads: seen by every role, changed by none (their owners are).
    for (String role : UserRoles.names()) {
      assertTrue(UserRoles.allows(role, Permission.tessera("list", "externalworkloads", "team-a")), role);
      assertFalse(UserRoles.allows(role, Permission.tessera("delete", "externalworkloads", "team-a")), role);
    }
  }

  @Test
  void aRuleLimitedToNamesAllowsNoPermissionWithoutOne() {
    assertFalse(UserRoles.allows(UserRoles.PROJECT_ADMIN,
        new Permission("bind", "rbac.authorization.k8s.io", "clusterroles", null, "team-a")));
    assertTrue(UserRoles.allows(UserRoles.PROJECT_ADMIN,
        new Permission("create", "rbac.authorization.k8s.io", "rolebindings", null, "team-a")));
  }

  @Test
  void anUnknownRoleIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> UserRoles.rules("cluster-admin"));
  }

  /** group/resource:verb, with "/name" for each name a rule is limited to. */
  private static Set<String> grants(List<PolicyRule> rules) {
    Set<String> out = new TreeSet<>();
    for (PolicyRule rule : rules) {
      List<String> names = rule.getResourceNames() == null ? List.of() : rule.getResourceNames();
      for (String group : rule.getApiGroups()) {
        for (String resource : rule.getResources()) {
          for (String verb : rule.getVerbs()) {
            String grant = (group.isEmpty() ? "core" : group) + "/" + resource + ":" + verb;
            if (names.isEmpty()) {
              out.add(grant);
            } else {
              names.forEach(name -> out.add(grant + "/" + name));
            }
          }
        }
      }
    }
    return out;
  }

  private static PolicyRule policyRule(UserRoles.Rule rule) {
    PolicyRule policy = new PolicyRule();
    policy.setApiGroups(rule.apiGroups());
    policy.setResources(rule.resources());
    policy.setVerbs(rule.verbs());
    policy.setResourceNames(rule.resourceNames());
    return policy;
  }

  private static List<ClusterRole> clusterRolesOf(Path file) throws IOException {
    YAMLMapper yaml = new YAMLMapper();
    try (var parser = yaml.getFactory().createParser(file.toFile())) {
      List<JsonNode> documents = yaml.readValues(parser, JsonNode.class).readAll();
      return documents.stream()
          .map(node -> Serialization.unmarshal(node.toString(), ClusterRole.class))
          .toList();
    }
  }

  /** The repository's deploy/, found upwards from where the tests run. */
  static Path deployDir() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("deploy")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
        return dir.resolve("deploy");
      }
    }
    throw new AssertionError("no deploy/ above " + Path.of("").toAbsolutePath());
  }
}
