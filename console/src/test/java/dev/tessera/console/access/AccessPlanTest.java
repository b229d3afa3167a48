package dev.tessera.console.access;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.api.policy.ProjectResource;
import dev.tessera.api.policy.ProjectSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class AccessPlanTest {
  static ProjectResource project(String name, List<String> namespaces, ProjectSpec.Access... access) {
    ProjectResource project = new ProjectResource();
    project.setMetadata(new ObjectMetaBuilder().withName(name).build());
    project.setSpec(new ProjectSpec(namespaces, null, null, null, null, access.length == 0 ? null : List.of(access)));
    return project;
  }

  static ProjectSpec.Access access(String role, List<String> users, List<String> groups) {
    return new ProjectSpec.Access(role, users, groups);
  }

  @Test
  void oneBindingPerRolePerNamespaceOfTheProject() {
    AccessPlan.Plan plan = AccessPlan.of(List.of(project("vision", List.of("cv", "cv-dev"),
        access("researcher", List.of("bob", "alice"), List.of("ml")),
        access("viewer", null, List.of("interns")))));
    assertEquals(List.of(
        new AccessPlan.Binding("cv", "tessera-researcher", "vision", List.of("alice", "bob"), List.of("ml")),
        new AccessPlan.Binding("cv", "tessera-viewer", "vision", List.of(), List.of("interns")),
        new AccessPlan.Binding("cv-dev", "tessera-researcher", "vision", List.of("alice", "bob"), List.of("ml")),
        new AccessPlan.Binding("cv-dev", "tessera-viewer", "vision", List.of(), List.of("interns"))),
        List.copyOf(plan.bindings().values()));
    assertEquals(List.of(), plan.problems());
    assertEquals("cv/tessera-researcher", plan.bindings().values().iterator().next().key());
  }

  @Test
  void entriesOfOneRoleAreJoinedAndBlankNamesDropped() {
    AccessPlan.Plan plan = AccessPlan.of(List.of(project("vision", List.of("cv"),
        access("viewer", List.of("alice", ""), null),
        access("viewer", List.of("alice", "bob"), List.of(" ")))));
    assertEquals(List.of(new AccessPlan.Binding("cv", "tessera-viewer", "vision", List.of("alice", "bob"), List.of())),
        List.copyOf(plan.bindings().values()));
  }

  @Test
  void aRoleWithNobodyOrAProjectWithoutAccessBindsNothing() {
    AccessPlan.Plan plan = AccessPlan.of(List.of(
        project("empty", List.of("e"), access("viewer", List.of(), null)),
        project("none", List.of("n")),
        project("nowhere", null, access("viewer", List.of("alice"), null))));
    assertEquals(List.of(), List.copyOf(plan.bindings().values()));
    assertEquals(List.of(), plan.problems());
  }

  @Test
  void anUnknownRoleIsAProblemAndTheOtherRolesStillCount() {
    AccessPlan.Plan plan = AccessPlan.of(List.of(project("vision", List.of("cv"),
        access("cluster-admin", List.of("mallory"), null),
        access(null, List.of("mallory"), null),
        access("researcher", List.of("alice"), null))));
    assertEquals(List.of(new AccessPlan.Binding("cv", "tessera-researcher", "vision", List.of("alice"), List.of())),
        List.copyOf(plan.bindings().values()));
    assertEquals(List.of(
        "project vision: access role \"cluster-admin\" is not one of [viewer, researcher, project-admin]; its users"
            + " and groups are granted nothing by it",
        "project vision: access role \"null\" is not one of [viewer, researcher, project-admin]; its users and groups"
            + " are granted nothing by it"), plan.problems());
  }

  @Test
  void aNamespaceInTwoProjectsGetsNoBindingFromEither() {
    AccessPlan.Plan plan = AccessPlan.of(List.of(
        project("vision", List.of("cv", "shared"), access("researcher", List.of("alice"), null)),
        project("nlp", List.of("shared", "nlp"), access("researcher", List.of("mallory"), null))));
    assertEquals(List.of("cv/tessera-researcher", "nlp/tessera-researcher"), List.copyOf(plan.bindings().keySet()));
    assertEquals(List.of("namespace shared is in projects [nlp, vision]: none of their access lists is granted"
        + " there until it is in one only"), plan.problems());
  }
}
