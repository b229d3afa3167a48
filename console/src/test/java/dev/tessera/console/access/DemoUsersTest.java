package dev.tessera.console.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DemoUsersTest {
  private final DemoUsers demo = DemoUsers.forDemo();

  @Test
  void eachDemoTokenIsItsUser() {
    for (DemoUsers.User user : demo.users()) {
      assertEquals(new Caller(user.name(), List.of(DemoUsers.AUTHENTICATED)), demo.authenticate(user.token()));
    }
    assertEquals(List.of("admin", "alice", "bob", "carol"), demo.users().stream().map(DemoUsers.User::name).toList());
    assertEquals("alice", demo.authenticate("tessera-demo-alice").user());
  }

  @Test
  void anyOtherTokenIsUnauthenticated() {
    assertThrows(UnauthenticatedException.class, () -> demo.authenticate("alice"));
    assertThrows(UnauthenticatedException.class, () -> demo.authenticate(""));
  }

  @Test
  void aResearcherWorksInTheirProjectOnly() {
    Caller alice = demo.authenticate("tessera-demo-alice");
    Decision patch = demo.check(alice, Permission.tessera("patch", "trainings", "team-vision"));
    assertEquals(Decision.allow("RBAC: allowed by RoleBinding \"tessera-researcher/team-vision\" of ClusterRole"
        + " \"tessera-researcher\" to User \"alice\""), patch);
    assertEquals(Decision.deny("no RBAC rule lets alice patch trainings.tessera.dev in namespace team-nlp"),
        demo.check(alice, Permission.tessera("patch", "trainings", "team-nlp")));
    assertFalse(demo.check(alice, Permission.podLogs("team-nlp")).allowed());
  }

  @Test
  void aViewerReadsButDoesNotChange() {
    Caller bob = demo.authenticate("tessera-demo-bob");
    assertTrue(demo.check(bob, Permission.tessera("list", "trainings", "team-nlp")).allowed());
    assertTrue(demo.check(bob, Permission.podLogs("team-nlp")).allowed());
    assertFalse(demo.check(bob, Permission.tessera("patch", "trainings", "team-nlp")).allowed());
    assertFalse(demo.check(bob, Permission.tessera("list", "trainings", "team-vision")).allowed());
  }

  @Test
  void aProjectAdminGrantsRolesInTheirProject() {
    Caller carol = demo.authenticate("tessera-demo-carol");
    Permission bindings = new Permission("create", "rbac.authorization.k8s.io", "rolebindings", null, "team-vision");
    assertTrue(demo.check(carol, bindings).allowed());
    assertTrue(demo.check(carol, Permission.tessera("delete", "inferences", "team-vision")).allowed());
    assertFalse(demo.check(demo.authenticate("tessera-demo-alice"), bindings).allowed());
  }

  @Test
  void theClusterAdminMayEverywhere() {
    Caller admin = demo.authenticate("tessera-demo-admin");
    Decision decision = demo.check(admin, Permission.tessera("delete", "trainings", "team-nlp"));
    assertEquals(Decision.allow("RBAC: allowed by ClusterRoleBinding of ClusterRole \"tessera-cluster-admin\" to"
        + " User \"admin\""), decision);
    assertTrue(demo.check(admin, Permission.tessera("create", "projects", "")).allowed());
    assertFalse(demo.check(admin, new Permission("delete", "", "nodes", null, "")).allowed(), "not Tessera's");
  }

  @Test
  void aCallerWhoIsNoDemoUserMayNothing() {
    assertFalse(demo.check(new Caller("mallory", List.of()), Permission.podLogs("team-vision")).allowed());
  }

  @Test
  void usersAndRolesAreChecked() {
    assertThrows(IllegalArgumentException.class, () -> new DemoUsers.Grant("cluster-admin", null));
    DemoUsers.User one = new DemoUsers.User("a", "t", List.of());
    assertThrows(IllegalArgumentException.class, () -> new DemoUsers(List.of(one, new DemoUsers.User("b", "t", List.of()))));
    assertThrows(IllegalArgumentException.class, () -> new DemoUsers(List.of(one, new DemoUsers.User("a", "u", List.of()))));
  }
}
